"""The action register's rules: checking what staff type, creating and changing actions,
progress notes. Every function flushes, none commits; each change is audited in the same
transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import db, is_id
from saas_platform.core.numbers import bounded_int
from saas_platform.core.text import RefusedCharacter, clean_text, refusal_message
from tenants.accounts.models import StaffUser
from tenants.actions.models import (
    DEFAULT_WINDOW_DAYS,
    DESCRIPTION_LIMIT,
    KIND_LABELS,
    MAX_WINDOW_DAYS,
    MIN_WINDOW_DAYS,
    NOTE_LIMIT,
    OPEN_STATUSES,
    REASON_LIMIT,
    RESPONSIBLE_TEXT_LIMIT,
    STATUS_LABELS,
    TITLE_LIMIT,
    Action,
    ActionNote,
)
from tenants.audit import services as audit
from tenants.survey.forms import FieldError
from tenants.survey.models import Department, Question, SurveyVersion

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
# The fields an edit may change (audited one by one).
EDITABLE = (
    "title",
    "description",
    "kind",
    "item_keys",
    "department_ids",
    "responsible_user_id",
    "responsible_text",
    "planned_start",
    "due_date",
    "implemented_on",
    "status",
    "abandon_reason",
    "effect_window_days",
    "published",
)


class ActionConflict(Exception):
    """The action changed since the form was opened: saving would overwrite that change."""

    MESSAGE = (
        "Ktoś inny zmienił to działanie, gdy edytowano formularz. Nie zapisano zmian: "
        "otwórz działanie ponownie, sprawdź jego aktualny stan i wprowadź zmiany jeszcze raz."
    )

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


@dataclass(frozen=True)
class ActionValues:
    """Checked values of an action, ready to be stored."""

    title: str
    description: str
    kind: str
    item_keys: list[str]
    department_ids: list[int]
    responsible_user_id: int | None
    responsible_text: str
    planned_start: date | None
    due_date: date | None
    implemented_on: date | None
    status: str
    abandon_reason: str
    effect_window_days: int
    published: bool = False


@dataclass
class ActionCheck:
    values: ActionValues | None
    errors: list[FieldError] = field(default_factory=list)


# -- what the office has -------------------------------------------------------------------


def rated_items() -> dict[str, str]:
    """The office's rated items, question key -> its text in the newest published version
    that has it, newest version's order first."""
    rows = db.session.execute(
        select(Question.key, Question.text)
        .join(SurveyVersion, SurveyVersion.id == Question.version_id)
        .where(SurveyVersion.published_at.is_not(None), Question.kind == "rating")
        .order_by(SurveyVersion.number.desc(), Question.position)
    )
    items: dict[str, str] = {}
    for key, text in rows:
        items.setdefault(key, text)
    return items


def office_departments() -> dict[int, str]:
    """Every department of the office (inactive ones too), id -> name."""
    rows = db.session.execute(
        select(Department.id, Department.name).order_by(Department.position, Department.name)
    )
    return {department_id: name for department_id, name in rows}


def office_staff() -> dict[int, StaffUser]:
    """The office's staff members, id -> member, by name."""
    members = db.session.scalars(select(StaffUser).order_by(StaffUser.name, StaffUser.email))
    return {member.id: member for member in members}


# -- checking ------------------------------------------------------------------------------


def _text(
    form: Mapping[str, str],
    name: str,
    label: str,
    limit: int,
    errors: list[FieldError],
    *,
    single_line: bool = False,
) -> str:
    try:
        value = clean_text(form.get(name, ""), single_line=single_line)
    except RefusedCharacter as refused:
        errors.append(FieldError(refusal_message(label, refused.character), name))
        return ""
    if len(value) > limit:
        errors.append(
            FieldError(
                f"{label}: najwyżej {limit} znaków (wpisano {len(value)}).",
                name,
            )
        )
    return value


def _date(form: Mapping[str, str], name: str, label: str, errors: list[FieldError]) -> date | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    try:
        if not _ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError(f"{label}: podaj datę w postaci RRRR-MM-DD.", name))
        return None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        errors.append(FieldError(f"{label}: podaj datę z lat 2000–2100.", name))
        return None
    return day


def check_action(form: MultiDict[str, str], today: date) -> ActionCheck:
    """Check a posted action form against the office; collect every problem at once."""
    errors: list[FieldError] = []
    title = _text(form, "title", "Tytuł", TITLE_LIMIT, errors, single_line=True)
    if not title and not any(e.field_name == "title" for e in errors):
        errors.append(FieldError("Podaj tytuł działania.", "title"))
    description = _text(form, "description", "Opis", DESCRIPTION_LIMIT, errors)

    kind = form.get("kind", "")
    if kind not in KIND_LABELS:
        errors.append(FieldError("Wybierz rodzaj działania: naprawcze lub doskonalące.", "kind"))

    items = rated_items()
    item_keys = list(dict.fromkeys(form.getlist("item_keys")))
    if any(key not in items for key in item_keys):
        errors.append(FieldError("Wybierz pytania z listy pytań ankiety urzędu.", "item_keys"))
    departments = office_departments()
    raw_departments = list(dict.fromkeys(form.getlist("department_ids")))
    department_ids = [int(d) for d in raw_departments if is_id(d)]
    if len(department_ids) != len(raw_departments) or any(
        d not in departments for d in department_ids
    ):
        errors.append(FieldError("Wybierz wydziały z listy wydziałów urzędu.", "department_ids"))

    responsible_user_id: int | None = None
    raw_user = form.get("responsible_user_id", "").strip()
    if raw_user:
        if not is_id(raw_user) or int(raw_user) not in office_staff():
            errors.append(
                FieldError("Wybierz osobę odpowiedzialną z listy.", "responsible_user_id")
            )
        else:
            responsible_user_id = int(raw_user)
    responsible_text = _text(
        form,
        "responsible_text",
        "Odpowiedzialna komórka lub osoba",
        RESPONSIBLE_TEXT_LIMIT,
        errors,
        single_line=True,
    )

    planned_start = _date(form, "planned_start", "Planowany początek", errors)
    due_date = _date(form, "due_date", "Termin", errors)
    implemented_on = _date(form, "implemented_on", "Data wdrożenia", errors)
    if planned_start and due_date and due_date < planned_start:
        errors.append(
            FieldError("Termin nie może być wcześniejszy niż planowany początek.", "due_date")
        )
    if implemented_on and implemented_on > today:
        errors.append(FieldError("Data wdrożenia nie może być w przyszłości.", "implemented_on"))

    status = form.get("status", "planned")
    abandon_reason = _text(form, "abandon_reason", "Powód porzucenia", REASON_LIMIT, errors)
    if status not in STATUS_LABELS:
        errors.append(FieldError("Wybierz stan działania z listy.", "status"))
    elif (
        status == "done" and implemented_on is None and "implemented_on" not in form_errors(errors)
    ):
        errors.append(FieldError("Działanie zrealizowane wymaga daty wdrożenia.", "implemented_on"))
    elif status != "done" and implemented_on is not None:
        errors.append(
            FieldError(
                "Datę wdrożenia podaje się tylko dla działania zrealizowanego.", "implemented_on"
            )
        )
    if status == "abandoned" and not abandon_reason and "abandon_reason" not in form_errors(errors):
        errors.append(FieldError("Podaj powód porzucenia działania.", "abandon_reason"))
    if status != "abandoned":
        abandon_reason = ""
    published = form.get("published") == "1"
    if published and status != "done":
        errors.append(
            FieldError(
                "Na stronie „Wyniki i zmiany” można opublikować tylko działanie zrealizowane.",
                "published",
            )
        )

    raw_window = form.get("effect_window_days", "").strip()
    window = (
        DEFAULT_WINDOW_DAYS
        if not raw_window
        else bounded_int(raw_window, MIN_WINDOW_DAYS, MAX_WINDOW_DAYS)
    )
    if window is None:
        errors.append(
            FieldError(
                f"Okno porównania: liczba dni od {MIN_WINDOW_DAYS} do {MAX_WINDOW_DAYS}.",
                "effect_window_days",
            )
        )

    if errors or window is None:
        return ActionCheck(None, errors)
    return ActionCheck(
        ActionValues(
            title=title,
            description=description,
            kind=kind,
            item_keys=item_keys,
            department_ids=department_ids,
            responsible_user_id=responsible_user_id,
            responsible_text=responsible_text,
            planned_start=planned_start,
            due_date=due_date,
            implemented_on=implemented_on,
            status=status,
            abandon_reason=abandon_reason,
            effect_window_days=window,
            published=published,
        )
    )


def form_errors(errors: Iterable[FieldError]) -> set[str | None]:
    """The names of the fields that already have an error."""
    return {error.field_name for error in errors}


def check_note(body: str) -> tuple[str, list[FieldError]]:
    """A progress note as stored, and what is wrong with it."""
    errors: list[FieldError] = []
    text = _text({"body": body}, "body", "Notatka", NOTE_LIMIT, errors)
    if not text and not errors:
        errors.append(FieldError("Wpisz treść notatki.", "body"))
    return text, errors


# -- changing ------------------------------------------------------------------------------


def _audited(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in values.items()
    }


def create_action(values: ActionValues, created_by_id: int | None) -> Action:
    """Add an action to the register. Flushes only."""
    action = Action(created_by_id=created_by_id, **asdict(values))
    db.session.add(action)
    db.session.flush()
    audit.record("action.create", "action", action.id, after=_audited(asdict(values)))
    return action


def update_action(action: Action, values: ActionValues, expected_version: int | None) -> Action:
    """Change an action opened at ``expected_version``; raises ``ActionConflict`` when someone
    saved it since (also when that save commits between this read and this write)."""
    if expected_version != action.version:
        raise ActionConflict()
    before, after = audit.changed_fields(action, EDITABLE, asdict(values))
    if not after:
        return action
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise ActionConflict() from exc
    audit.record("action.update", "action", action.id, _audited(before), _audited(after))
    return action


def add_note(action: Action, body: str, author_id: int | None) -> ActionNote:
    """Add a checked progress note to an action. Flushes only."""
    note = ActionNote(action_id=action.id, author_id=author_id, body=body)
    db.session.add(note)
    db.session.flush()
    audit.record("action.note", "action", action.id, after={"note": body})
    return note


def notes_of(action: Action) -> list[ActionNote]:
    """An action's notes, newest first."""
    return list(
        db.session.scalars(
            select(ActionNote)
            .where(ActionNote.action_id == action.id)
            .order_by(ActionNote.created_at.desc(), ActionNote.id.desc())
        )
    )


def visible_to(action: Action, scope: frozenset[int] | None) -> bool:
    """Whether a reader of ``scope`` sees an action: the whole office (None) every one; a
    department manager those linked to one of their departments, not the office-wide ones
    (no department) nor other departments' (they name other departments' weak items)."""
    return scope is None or bool(scope.intersection(action.department_ids))


def register(status: str | None = None, scope: frozenset[int] | None = None) -> list[Action]:
    """The office's actions (those ``visible_to`` the reader of ``scope``), open ones by due
    date first, then the rest newest first."""
    query = select(Action)
    if status is not None:
        query = query.where(Action.status == status)
    actions = db.session.scalars(query.order_by(Action.created_at.desc(), Action.id.desc()))
    return sorted(
        (a for a in actions if visible_to(a, scope)),
        key=lambda a: (not a.is_open, a.due_date is None, a.due_date or date.max),
    )


@dataclass(frozen=True)
class ActionLink:
    """An action as a weak item's row links to it."""

    id: int
    title: str
    status: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class PlanLinks:
    """What a weak item (or area) shows: the actions linking it, or, with none, the item keys
    a new action's form is prefilled with ("Zaplanuj działanie")."""

    actions: tuple[ActionLink, ...]
    item_keys: tuple[str, ...]


def plans_for(
    groups: Mapping[str, Iterable[str]], scope: frozenset[int] | None = None
) -> dict[str, PlanLinks]:
    """For each row key of ``groups`` (an item, or an area with its items' keys), the actions
    linking any of its items (those ``visible_to`` the reader of ``scope``), newest first. One
    query of five columns for the whole page."""
    wanted = {name: tuple(keys) for name, keys in groups.items()}
    if not wanted:
        return {}
    linked: dict[str, list[ActionLink]] = {name: [] for name in wanted}
    rows = db.session.execute(
        select(
            Action.id, Action.title, Action.status, Action.item_keys, Action.department_ids
        ).order_by(Action.created_at.desc(), Action.id.desc())
    )
    for action_id, title, status, item_keys, department_ids in rows:
        if scope is not None and not scope.intersection(department_ids):
            continue
        keys = set(item_keys)
        for name, group_keys in wanted.items():
            if keys.intersection(group_keys):
                linked[name].append(ActionLink(action_id, title, status))
    return {name: PlanLinks(tuple(linked[name]), wanted[name]) for name in wanted}


# -- reminders -----------------------------------------------------------------------------

REMINDER_INTERVAL = timedelta(days=7)


def claim_reminders(today: date) -> list[int]:
    """Mark the open actions past their due date that are owed a reminder today (never sent
    one, or the last one a week ago or more) and return their ids. One atomic UPDATE: a
    second run on the same day, even a concurrent one, finds them marked and claims none."""
    claimed = db.session.execute(
        update(Action)
        .where(
            Action.status.in_(OPEN_STATUSES),
            Action.due_date < today,
            or_(Action.reminded_on.is_(None), Action.reminded_on <= today - REMINDER_INTERVAL),
        )
        .values(reminded_on=today)
        .returning(Action.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.scalars())


def reminder_recipients(action: Action) -> list[str]:
    """The responsible staff member (when one is named and active) and the office's active
    admins, each once."""
    members = db.session.scalars(
        select(StaffUser).where(
            StaffUser.is_active.is_(True),
            or_(StaffUser.role == "admin", StaffUser.id == action.responsible_user_id),
        )
    )
    return sorted({member.email for member in members})


# -- for the reports -----------------------------------------------------------------------


def responsible_label(action: Action, staff: Mapping[int, StaffUser]) -> str:
    """Who answers for an action, as the register, the export and the report print it."""
    member = staff.get(action.responsible_user_id or 0)
    parts = (member.display_name if member else "", action.responsible_text)
    return ", ".join(part for part in parts if part)


def any_actions(scope: frozenset[int] | None = None) -> bool:
    """Whether the office has recorded any action at all (that a reader of ``scope`` sees)."""
    if scope is None:
        return db.session.scalar(select(Action.id).limit(1)) is not None
    return bool(register(scope=scope))


def open_actions(scope: frozenset[int] | None = None) -> list[Action]:
    """The open actions (planowane, w toku), by due date, those without one last (those
    ``visible_to`` a reader of ``scope``)."""
    return [action for action in register(scope=scope) if action.is_open]


def completed_between(first: date, last: date, scope: frozenset[int] | None = None) -> list[Action]:
    """The actions implemented from ``first`` to ``last``, oldest first (those ``visible_to``
    a reader of ``scope``)."""
    implemented = db.session.scalars(
        select(Action)
        .where(Action.status == "done", Action.implemented_on.between(first, last))
        .order_by(Action.implemented_on, Action.id)
    )
    return [action for action in implemented if visible_to(action, scope)]
