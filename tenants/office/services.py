"""The office's own data and its departments, as an admin edits them. Services flush, never
commit; every change is audited with the values before and after.

Renaming, deactivating or merging a department changes how past results read, so each of
them first makes the pre-change report (``tenants.reports.pre_change``), in the same
transaction: they are the only ways the panel makes those changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from saas_platform.core import text as text_policy
from saas_platform.core.db import db, duplicate_raises
from saas_platform.core.templating import COLOUR
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.tenancy.models import Tenant
from tenants.accounts import services as staff
from tenants.accounts.services import StaffError, acting_staff_id, normalise_email, staff_recipients
from tenants.audit import services as audit
from tenants.reports.models import Report
from tenants.reports.pre_change import make_pre_change_report
from tenants.survey import counts
from tenants.survey.departments import all_departments, department_has_responses
from tenants.survey.models import Department, Response

OFFICE_FIELDS = (
    "extra_report_frequencies",
    "name",
    "address",
    "contact_email",
    "contact_phone",
    "brand_colour",
    "score_threshold",
    "report_recipients",
    "report_comments",
    "retention_years",
    "public_results",
)
MAX_REPORT_RECIPIENTS = 20
# Raw responses may be kept 1 to this many years (or for good); the counts always stay.
MAX_RETENTION_YEARS = 20
MAX_DEPARTMENT_NAME = 200
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()./-]{4,38}$")
# Recipients come one a line; commas, semicolons and spaces (as pasted from a mail client)
# separate addresses too: none of them can appear in an address we accept.
RECIPIENT_SEPARATORS = re.compile(r"[\s,;]+")


RETENTION_MESSAGE = (
    f"Podaj liczbę lat od 1 do {MAX_RETENTION_YEARS} albo zostaw pole puste "
    "(odpowiedzi przechowywane bez limitu)."
)


class OfficeError(ValueError):
    """A change to the office or its departments breaks a rule; the message says which."""


def clean_text(value: str, limit: int, what: str) -> str:
    """One line of text as the platform's text policy keeps it, at most ``limit`` characters."""
    try:
        value = text_policy.clean_text(value, single_line=True)
    except text_policy.RefusedCharacter as refused:
        raise OfficeError(text_policy.refusal_message(what, refused.character)) from refused
    if len(value) > limit:
        raise OfficeError(f"{what} może mieć najwyżej {limit} znaków.")
    return value


def normalise_colour(value: str) -> str:
    """A brand colour as ``#rrggbb`` in lower case."""
    value = value.strip()
    if not COLOUR.match(value):
        raise OfficeError("Podaj kolor w postaci #rrggbb, np. #1d4f91.")
    return value.lower()


def normalise_phone(value: str) -> str:
    """A contact phone number (digits, spaces, + ( ) - / .), or "" when none is given."""
    value = " ".join(value.split())
    if value and not PHONE_PATTERN.match(value):
        raise OfficeError("Podaj numer telefonu z cyfr, np. +48 22 123 45 67.")
    return value


def normalise_contact_email(value: str) -> str:
    """A lower-cased e-mail address, or "" when none is given."""
    if not value.strip():
        return ""
    try:
        return normalise_email(value)
    except StaffError as exc:
        raise OfficeError(str(exc)) from exc


def parse_recipients(text: str) -> list[str]:
    """Report recipients from a textarea: checked, lower-cased, without repeats, in order."""
    recipients: list[str] = []
    for item in RECIPIENT_SEPARATORS.split(text):
        if not item:
            continue
        try:
            email = normalise_email(item)
        except StaffError as exc:
            raise OfficeError(f"„{item[:80]}” nie jest poprawnym adresem e-mail.") from exc
        if email not in recipients:
            recipients.append(email)
    if len(recipients) > MAX_REPORT_RECIPIENTS:
        raise OfficeError(f"Podaj najwyżej {MAX_REPORT_RECIPIENTS} adresów odbiorców raportów.")
    return recipients


def update_office(tenant: Tenant, values: dict) -> Report | None:
    """Apply checked values (keys from ``OFFICE_FIELDS``), first making the pre-change report
    (§5), which is returned; audited with what changed. None when nothing changed."""
    unknown = set(values) - set(OFFICE_FIELDS)
    if unknown:
        raise ValueError(f"not office fields: {sorted(unknown)}")
    if not 0 <= values.get("score_threshold", tenant.score_threshold) <= 100:
        raise OfficeError("Próg oceny musi mieścić się między 0 a 100.")
    retention = values.get("retention_years", tenant.retention_years)
    if retention is not None and not 1 <= retention <= MAX_RETENTION_YEARS:
        raise OfficeError(RETENTION_MESSAGE)
    changing = sorted(name for name, value in values.items() if getattr(tenant, name) != value)
    if not changing:
        return None
    report = office_pre_change_report("office.update", fields=changing)
    before, after = audit.changed_fields(tenant, OFFICE_FIELDS, values)
    db.session.flush()
    after["pre_change_report_id"] = report.id
    audit.record("office.update", "tenant", tenant.id, before=before, after=after)
    return report


def office_pre_change_report(reason: str, **details) -> Report:
    """§5: the report of the results so far, made before the office's data change."""
    return make_pre_change_report(
        reason, "office", current_tenant.today(), acting_staff_id(), staff_recipients(), **details
    )


# -- departments ---------------------------------------------------------------------------


def _check_department_name(name: str, keep_id: int | None = None) -> str:
    name = clean_text(name, MAX_DEPARTMENT_NAME, "Nazwa wydziału")
    if not name:
        raise OfficeError("Podaj nazwę wydziału.")
    # Case-insensitive: "wydział podatków" beside "Wydział Podatków" would confuse residents.
    # Both sides folded by the database's lower(), the function of its unique index: Python's
    # str.lower folds some letters differently ("İ").
    clash = select(Department.id).where(func.lower(Department.name) == func.lower(name))
    if keep_id is not None:
        clash = clash.where(Department.id != keep_id)
    if db.session.scalar(clash) is not None:
        raise _name_taken(name)
    return name


def _name_taken(name: str) -> OfficeError:
    return OfficeError(f"Wydział „{name}” już istnieje w tym urzędzie.")


@contextmanager
def _refused_as(message: str) -> Iterator[None]:
    """Changes made inside reach the database in a savepoint, so a constraint that refuses them
    (a response naming a department being deleted) becomes an ``OfficeError`` with
    ``message``, not a 500."""
    try:
        with db.session.begin_nested():
            yield
    except IntegrityError as exc:
        raise OfficeError(message) from exc


def add_department(name: str) -> Department:
    """A new active department at the end of the list."""
    name = _check_department_name(name)
    last = db.session.scalar(select(func.max(Department.position)))
    department = Department(name=name, position=(last or 0) + 1)
    with duplicate_raises(_name_taken(name)):  # added a moment ago by another admin
        db.session.add(department)
    audit.record("department.create", "department", department.id, after={"name": name})
    return department


def _pre_change_report(reason: str, department: Department, **details) -> Report:
    return make_pre_change_report(
        reason,
        "departments",
        current_tenant.today(),
        acting_staff_id(),
        staff_recipients(),
        department_id=department.id,
        department=department.name,
        **details,
    )


def rename_department(department: Department, name: str) -> Report | None:
    """Give a department a new name; past responses follow it. First the pre-change report,
    which is returned (None when nothing changed)."""
    name = _check_department_name(name, keep_id=department.id)
    if name == department.name:
        return None
    report = _pre_change_report("department.rename", department, new_name=name)
    with duplicate_raises(_name_taken(name)):
        before, after = audit.changed_fields(department, ("name",), {"name": name})
    after["pre_change_report_id"] = report.id
    audit.record("department.rename", "department", department.id, before=before, after=after)
    return report


def deactivate_department(department: Department) -> Report | None:
    """Take a department off the residents' list; its results stay. First the pre-change
    report, which is returned (None when it was already off)."""
    if not department.is_active:
        return None
    report = _pre_change_report("department.deactivate", department)
    _set_active(department, False, "department.deactivate", report.id)
    return report


def reactivate_department(department: Department) -> bool:
    """Put a deactivated department back on the residents' list."""
    return _set_active(department, True, "department.reactivate")


def _set_active(
    department: Department, active: bool, action: str, report_id: int | None = None
) -> bool:
    before, after = audit.changed_fields(department, ("is_active",), {"is_active": active})
    if not after:
        return False
    db.session.flush()
    if report_id is not None:
        after["pre_change_report_id"] = report_id
    audit.record(action, "department", department.id, before=before, after=after)
    return True


def delete_department(department: Department) -> None:
    """Delete a department no response names; one that has responses can only be deactivated."""
    if department_has_responses(department.id):
        raise OfficeError(
            f"Wydział „{department.name}” ma już odpowiedzi: nie można go usunąć, "
            "można go tylko wyłączyć."
        )
    managers = staff.managers_of(department.id)
    if managers:
        raise OfficeError(
            f"Wydziałem „{department.name}” kierują osoby z panelu ("
            + ", ".join(m.display_name for m in managers)
            + "): zmień najpierw ich wydziały na stronie Użytkownicy albo wyłącz wydział."
        )
    before = {"name": department.name, "is_active": department.is_active}
    department_id = department.id
    with _refused_as(f"Wydział „{department.name}” ma już odpowiedzi: nie można go usunąć."):
        db.session.delete(department)
    audit.record("department.delete", "department", department_id, before=before)


def move_department(department: Department, step: int) -> bool:
    """Move a department one place up (-1) or down (+1) the list. False at either end."""
    ordered = all_departments()
    index = ordered.index(department)
    target = index + step
    if step not in (-1, 1) or not 0 <= target < len(ordered):
        return False
    ordered[index], ordered[target] = ordered[target], ordered[index]
    before = {"position": index + 1}
    for position, item in enumerate(ordered, start=1):
        item.position = position  # renumbered from 1: older rows may share a position
    db.session.flush()
    audit.record(
        "department.reorder",
        "department",
        department.id,
        before=before,
        after={"position": target + 1},
    )
    return True


def merge_departments(source: Department, target: Department) -> Report:
    """Fold ``source`` into ``target``: its responses and their counts move to ``target`` and
    ``source`` is switched off. First the pre-change report, which is returned."""
    if source.id == target.id:
        raise OfficeError("Wybierz inny wydział niż ten, który łączysz.")
    report = _pre_change_report("department.merge", source, target_id=target.id, target=target.name)
    # Row locks on both: a submission naming either waits for this transaction (its foreign
    # key check takes a key-share lock), so no response or count slips in between.
    db.session.scalars(
        select(Department)
        .where(Department.id.in_((source.id, target.id)))
        .order_by(Department.id)
        .with_for_update()
    ).all()
    moved = db.session.execute(
        update(Response)
        .where(Response.department_id == source.id)
        .values(department_id=target.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    counts.move_department_counts(source.id, target.id)
    # Its managers follow its responses to the target, and keep the source (its history).
    staff.follow_merged_department(source.id, target.id)
    if source.is_active:
        source.is_active = False
    db.session.flush()
    audit.record(
        "department.merge",
        "department",
        source.id,
        before={"name": source.name, "responses": moved},
        after={"merged_into": target.id, "name": target.name, "pre_change_report_id": report.id},
    )
    return report
