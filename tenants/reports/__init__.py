"""Reports: the numbers the staff dashboard and the PDF report show, the PDF itself, the
reports staff ask for, the scheduled ones and the one made before a change (§4, §5).

Knows no staff page and no queue: its staff pages are a blueprint the composition mounts
under the panel, and its tasks are sent through the core's dispatch.
"""

from __future__ import annotations

from celery.schedules import crontab
from flask import Flask

from saas_platform.core.navigation import add_menu_entry
from saas_platform.core.tasks import add_beat_entry
from tenants.audit.labels import register_labels
from tenants.audit.naming import register_fields, register_object_type

AUDIT_LABELS = {
    "report.request": "Zamówienie raportu",
    "report.retry": "Ponowienie raportu",
    "report.pre_change": "Raport przed zmianą",
}


def init_app(app: Flask) -> None:
    """The staff pages' menu entry, the public results page, the report tasks with their
    beat entries, audit labels."""
    from tenants.reports import tasks
    from tenants.reports.public_views import bp as public_bp
    from tenants.reports.views import bp

    add_menu_entry(app, bp, "index", "Raporty", position=30, group="Raporty")
    app.register_blueprint(public_bp)
    add_beat_entry(
        app,
        "dispatch-due-reports",
        tasks.dispatch_due_reports,
        crontab(hour=app.config["SCHEDULED_REPORTS_HOUR"], minute=0),
    )
    add_beat_entry(
        app, "sweep-stuck-reports", tasks.sweep_stuck_reports, app.config["REPORT_SWEEP_SECONDS"]
    )
    register_labels(AUDIT_LABELS)
    register_object_type("report", "raport", _report_names)
    register_fields(
        {
            "pre_change_report_id": "raport przed zmianą",
            "reason": "powód",
            "fields": "zmienione pola",
            "period": "okres",
        },
        references={"pre_change_report_id": "report"},
    )


def _report_names(ids: set[int]) -> dict[int, str]:
    from sqlalchemy import select

    from saas_platform.core.db import db
    from tenants.reports.models import Report

    reports = db.session.scalars(select(Report).where(Report.id.in_(ids)))
    return {
        r.id: f"{r.label.lower()} za {r.period_start:%d.%m.%Y}–{r.period_end:%d.%m.%Y}"
        for r in reports
    }
