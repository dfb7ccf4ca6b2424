"""The staff home: the dashboard. Other pages live in the modules beside this one."""

from __future__ import annotations

from flask import render_template

from tenants.panel.blueprint import bp


@bp.get("/")
def dashboard():
    """How are we doing, and where must we improve?"""
    return render_template("panel/dashboard.html")
