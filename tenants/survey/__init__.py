"""The resident side: the office's survey, its versions and departments, the responses and
their counts, moderation, the staff's result filters and the residents' page cache.

Knows no staff page and no report. ``init_app`` puts the cached blank survey ahead of every
other request hook, so the composition calls it before the CSRF and rate-limit extensions.
"""

from __future__ import annotations

from celery.schedules import crontab
from flask import Flask

from saas_platform.core.tasks import add_beat_entry
from tenants.audit.labels import register_labels

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
