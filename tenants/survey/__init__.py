"""The resident side: the office's survey, its versions and departments, the responses and
their counts, moderation, the staff's result filters and the residents' page cache.

Knows no staff page and no report. ``init_app`` puts the cached blank survey ahead of every
other request hook, so the composition calls it before the CSRF and rate-limit extensions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery.schedules import crontab
from flask import Flask

from saas_platform.core.tasks import add_beat_entry
from tenants.audit.labels import register_labels
from tenants.audit.naming import register_fields, register_object_type

AUDIT_LABELS = {
    "response.paper_entry": "Wprowadzenie ankiety papierowej",
    "response.exclude": "Wyłączenie odpowiedzi z wyników",
    "response.restore": "Przywrócenie odpowiedzi do wyników",
    "response.keep": "Pozostawienie oznaczonej odpowiedzi",
    "response.retention_delete": "Usunięcie starych odpowiedzi (okres przechowywania)",
    "kiosk.create": "Dodanie kiosku",
    "kiosk.revoke": "Wyłączenie kiosku",
}


def init_app(app: Flask) -> None:
    """The residents' pages and their cached hot path, the language, the retention task."""
    from tenants.survey import tasks
    from tenants.survey.languages import current_language
    from tenants.survey.views import bp, serve_cached_survey_page

    app.before_request(serve_cached_survey_page)
    app.jinja_env.globals["current_language"] = current_language
    app.register_blueprint(bp)
    add_beat_entry(
        app,
        "apply-retention",
        tasks.apply_retention,
        crontab(hour=app.config["RETENTION_HOUR"], minute=30),
    )
    register_labels(AUDIT_LABELS)
    register_object_type("department", "wydział", _department_names)
    register_object_type("survey_version", "wersja ankiety", _version_names)
    register_object_type("survey_draft", "szkic ankiety")
    register_object_type("response", "odpowiedź", _response_names)
    register_object_type("kiosk", "kiosk", _kiosk_names)
    register_fields(
        {
            "name": "nazwa",
            "position": "miejsce na liście",
            "responses": "odpowiedzi",
            "merged_into": "połączony z",
            "department_id": "wydział",
            "department": "wydział",
            "target_id": "wydział docelowy",
            "target": "wydział docelowy",
            "new_name": "nowa nazwa",
            "version": "wersja ankiety",
            "survey_version": "wersja ankiety",
            "answered_on": "data wypełnienia",
            "flag_reason": "powód oznaczenia",
            "excluded": "wyłączona z wyników",
            "deleted_responses": "usunięte odpowiedzi",
            "answered_before": "wypełnione przed",
        },
        references={
            "department_id": "department",
            "target_id": "department",
            "merged_into": "department",
        },
    )


def _named(model: Any, ids: set[int], name: Callable[[Any], str]) -> dict[int, str]:
    from sqlalchemy import select

    from saas_platform.core.db import db

    return {row.id: name(row) for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def _department_names(ids: set[int]) -> dict[int, str]:
    from tenants.survey.models import Department

    return _named(Department, ids, lambda d: f"wydział „{d.name}”")


def _version_names(ids: set[int]) -> dict[int, str]:
    from tenants.survey.models import SurveyVersion

    return _named(SurveyVersion, ids, lambda v: f"wersja ankiety nr {v.number}")


def _response_names(ids: set[int]) -> dict[int, str]:
    from saas_platform.core.db import db
    from saas_platform.core.tenancy import current_tenant_id
    from saas_platform.core.tenancy.models import Tenant, local_day
    from tenants.survey.models import Response

    tenant = db.session.get(Tenant, current_tenant_id())
    timezone = tenant.timezone if tenant is not None else "Europe/Warsaw"

    def name(response: Response) -> str:
        return f"odpowiedź z {local_day(response.submitted_at, timezone):%d.%m.%Y}"

    return _named(Response, ids, name)


def _kiosk_names(ids: set[int]) -> dict[int, str]:
    from tenants.survey.models import KioskDevice

    return _named(KioskDevice, ids, lambda k: f"kiosk „{k.name}”")
