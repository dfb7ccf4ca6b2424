"""Corrective and improvement actions (§4): the office's register of what it does about its
results, who is responsible and by when, progress notes, each action's measured effect on the
items it links, and reminders when an action is overdue.

Imports the survey (items, departments and the counts' scores), accounts and audit; knows no
staff page, report, office admin page or outreach. Its staff pages are a blueprint the
composition mounts under the panel; the panel and the reports import it, never the reverse.
"""

from __future__ import annotations

from celery.schedules import crontab
from flask import Flask

from saas_platform.core.navigation import add_menu_entry
from saas_platform.core.tasks import add_beat_entry
from tenants.audit.labels import register_labels
from tenants.audit.naming import register_fields

AUDIT_LABELS = {
    "action.create": "Dodanie działania",
    "action.update": "Zmiana działania",
    "action.note": "Notatka do działania",
}


def init_app(app: Flask) -> None:
    """The register's menu entry, the reminder task with its beat entry, audit labels."""
    from tenants.actions import tasks
    from tenants.actions.views import bp

    add_menu_entry(app, bp, "index", "Działania", position=35, group="Działania")
    add_beat_entry(
        app,
        "remind-overdue-actions",
        tasks.remind_overdue_actions,
        crontab(hour=app.config["ACTION_REMINDERS_HOUR"], minute=15),
    )
    register_labels(AUDIT_LABELS)
    register_fields({"published": "na stronie „Wyniki i zmiany”"})
