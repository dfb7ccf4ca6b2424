"""A new office's first steps, shown on its dashboard until the first response arrives.

Each step ticks itself from stored facts:

- look: a logo uploaded or the brand colour changed from the platform's default;
- survey: a survey version of the office's own published (the template it started with is
  version 1), or an admin ticked "the template suits us";
- banner: a response came through the website banner, or an admin ticked it (the platform
  cannot see the town's website);
- posters: a QR poster or code was downloaded from the banner kit (recorded then), or an admin
  ticked it;
- colleagues: the office has a second staff account (an invitation counts);
- recipients: report recipients are set.

Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from saas_platform.core.db import db, utcnow
from saas_platform.core.tenancy.models import Tenant
from tenants.accounts.models import StaffUser
from tenants.audit import services as audit
from tenants.survey.models import Response, ResponseCount, SurveyVersion

DEFAULT_COLOUR = "#1d4f91"
# Steps an admin may tick by hand: the platform has no fact that shows them (or not always).
TICKABLE = ("survey", "banner", "posters")


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    how: str
    endpoint: str
    done: bool
    tickable: bool


TITLES = {
    "look": (
        "Logo i kolory",
        "Dodaj herb lub logo urzędu i ustaw jego kolor: mieszkańcy rozpoznają ankietę.",
        "panel.office_details",
    ),
    "survey": (
        "Szablon ankiety i języki",
        "Przejrzyj pytania szablonu, dopasuj je do urzędu i dodaj wersje językowe. "
        "Jeśli szablon wam odpowiada, zaznacz ten krok.",
        "panel.survey_editor",
    ),
    "banner": (
        "Baner lub przycisk na stronie urzędu",
        "Skopiuj kod banera „Oceń Urząd” na stronę internetową urzędu, a potem zaznacz ten krok.",
        "panel.outreach.banner_kit",
    ),
    "posters": (
        "Plakaty z kodem QR",
        "Pobierz i wydrukuj plakaty z kodem QR do sal obsługi. Krok zaznacza się sam po "
        "pobraniu plakatu; możesz go też zaznaczyć ręcznie.",
        "panel.outreach.banner_kit",
    ),
    "colleagues": (
        "Zaproszeni współpracownicy",
        "Zaproś co najmniej jedną osobę z urzędu, która będzie oglądać wyniki.",
        "panel.staff_list",
    ),
    "recipients": (
        "Odbiorcy raportów",
        "Podaj adresy e-mail, na które mają przychodzić raporty okresowe.",
        "panel.office_details",
    ),
}


class FirstStepError(ValueError):
    """A step that cannot be ticked by hand; the message says why, in Polish."""


def has_responses() -> bool:
    """Whether the current office has had any response yet (the counts keep even deleted ones)."""
    return (
        db.session.scalar(select(Response.id).limit(1)) is not None
        or db.session.scalar(select(ResponseCount.day).limit(1)) is not None
    )


def first_steps(tenant: Tenant) -> list[Step]:
    """The office's first steps, each done or not, in the order a new office takes them."""
    ticked = tenant.first_steps or {}
    banner_responses = db.session.scalar(
        select(ResponseCount.day).where(ResponseCount.channel == "banner").limit(1)
    )
    done = {
        "look": tenant.has_logo or tenant.brand_colour != DEFAULT_COLOUR,
        "survey": "survey" in ticked
        or (db.session.scalar(select(func.count()).select_from(SurveyVersion)) or 0) > 1,
        "banner": "banner" in ticked or banner_responses is not None,
        "posters": "posters" in ticked,
        "colleagues": (db.session.scalar(select(func.count()).select_from(StaffUser)) or 0) > 1,
        "recipients": bool(tenant.report_recipients),
    }
    return [
        Step(key, title, how, endpoint, done[key], key in TICKABLE)
        for key, (title, how, endpoint) in TITLES.items()
    ]


def record_step(tenant: Tenant, key: str) -> bool:
    """Remember that ``key`` happened now (a poster downloaded); False when it already had."""
    if key not in TICKABLE:
        raise FirstStepError("Tego kroku nie zaznacza się ręcznie: zaznaczy się sam.")
    if key in (tenant.first_steps or {}):
        return False
    tenant.first_steps = {**(tenant.first_steps or {}), key: utcnow().isoformat()}
    db.session.flush()
    return True


def tick_step(tenant: Tenant, key: str) -> bool:
    """An admin ticks a step by hand; audited. False when it was ticked already."""
    if not record_step(tenant, key):
        return False
    audit.record("office.first_step", "tenant", tenant.id, after={"step": TITLES[key][0]})
    return True
