"""Paper surveys typed in by staff: checked exactly like the web form, stored under the date
written on the paper, so results and counts belong to the day the resident answered."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from werkzeug.datastructures import MultiDict

from saas_platform.core.db import is_id
from saas_platform.core.tenancy.models import Tenant
from tenants.audit import services as audit
from tenants.survey.definition import VersionDef, published_version
from tenants.survey.departments import active_departments
from tenants.survey.forms import FieldError, check_submission
from tenants.survey.services import submit_response

PAPER_CHANNEL = "paper"
DATE_FIELD = "data_wypelnienia"
EARLIEST_PAPER_DATE = date(2000, 1, 1)
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
POLISH_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")  # where a browser has no picker


@dataclass
class PaperEntry:
    """The outcome of one typed-in paper form."""

    version: VersionDef | None
    response_id: int | None = None
    errors: list[FieldError] = field(default_factory=list)

    @property
    def already_stored(self) -> bool:
        """The same paper form was sent before (a double click): nothing new was stored."""
        return not self.errors and self.response_id is None


def read_paper_date(values: list[str], today: date) -> date | FieldError:
    """The date written on the paper form, or the error that explains what is wrong with it."""
    raw = values[0].strip() if values else ""
    if not raw:
        return FieldError("Podaj datę wypełnienia ankiety zapisaną na formularzu.", DATE_FIELD)
    iso, polish = ISO_DATE.match(raw), POLISH_DATE.match(raw)
    if len(values) > 1:
        iso = polish = None
    try:
        if iso:
            answered_on = date(*(int(part) for part in iso.groups()))
        elif polish:
            day, month, year = (int(part) for part in polish.groups())
            answered_on = date(year, month, day)
        else:
            raise ValueError(raw)
    except ValueError:
        return FieldError(
            "Podaj datę wypełnienia w postaci RRRR-MM-DD, np. 2026-03-15.", DATE_FIELD
        )
    if answered_on > today:
        return FieldError("Data wypełnienia nie może być z przyszłości.", DATE_FIELD)
    if answered_on < EARLIEST_PAPER_DATE:
        return FieldError(
            f"Data wypełnienia nie może być wcześniejsza niż {EARLIEST_PAPER_DATE:%d.%m.%Y}.",
            DATE_FIELD,
        )
    return answered_on


def enter_paper_response(tenant: Tenant, form: MultiDict, text_limit: int) -> PaperEntry:
    """Check a typed-in paper form and store it with channel "paper"; audited. Flushes only."""
    posted_version = form.get("version", "")
    version = published_version(int(posted_version)) if is_id(posted_version) else None
    if version is None:
        return PaperEntry(
            None, errors=[FieldError("Ta wersja ankiety nie jest już dostępna. Odśwież stronę.")]
        )
    answered_on = read_paper_date(form.getlist(DATE_FIELD), tenant.today())
    survey_fields = MultiDict([(k, v) for k, v in form.items(multi=True) if k != DATE_FIELD])
    check = check_submission(
        version,
        survey_fields,
        frozenset(d.id for d in active_departments()),
        text_limit,
        allowed_channels=(PAPER_CHANNEL,),
    )
    errors = ([answered_on] if isinstance(answered_on, FieldError) else []) + check.errors
    if errors:
        return PaperEntry(version, errors=errors)
    response_id = submit_response(
        tenant.id, tenant.timezone, version, check.submission, answered_on=answered_on
    )
    if response_id is not None:
        audit.record(
            "response.paper_entry",
            "response",
            response_id,
            after={"answered_on": answered_on.isoformat(), "survey_version": version.number},
        )
    return PaperEntry(version, response_id)
