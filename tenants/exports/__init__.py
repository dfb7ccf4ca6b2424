"""Exports of an office's responses as spreadsheets (CSV for Polish Excel, XLSX): the rows of
the filtered responses (``writer.py``, which the panel's streamed download, the background
job and the operator's office archive share), and the exports too large to stream, made by a
worker (``ExportJob`` in ``models.py``, ``services.py``, ``tasks.py``: the row first, the task
after the commit, the sweeper for what the broker lost, the link e-mailed when ready).

Imports the survey (responses, answers, filters and the response list's search) and accounts
(who asked); knows no staff page, report, office admin page, outreach, action or comment
triage. The panel's views call it; nothing below it imports it.
"""

from __future__ import annotations

from flask import Flask

from saas_platform.core.tasks import add_beat_entry


def init_app(app: Flask) -> None:
    """The export tasks, and the sweeper's beat entry."""
    from tenants.exports import tasks

    add_beat_entry(
        app, "sweep-stuck-exports", tasks.sweep_stuck_exports, app.config["REPORT_SWEEP_SECONDS"]
    )
