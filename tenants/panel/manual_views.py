"""The staff manual inside the panel, and the same manual as one PDF."""

from __future__ import annotations

from flask import current_app

from tenants.panel import manual
from tenants.panel.blueprint import bp


@bp.get("/instrukcja")
def manual_page():
    """Instrukcja obsługi: every staff member may read it."""
    return manual.manual_page()


@bp.get("/instrukcja.pdf")
def manual_pdf():
    """The manual to download or print."""
    response = current_app.response_class(manual.manual_pdf(), mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="instrukcja-obslugi.pdf"'
    return response
