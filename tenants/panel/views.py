"""The staff home: the dashboard. Other pages live in the modules beside this one."""

from __future__ import annotations

from flask import render_template, request

from saas_platform.core.tenancy import current_tenant
from tenants.panel.blueprint import bp
from tenants.reports.comments import comments
from tenants.reports.stats import compute_results, previous_period
from tenants.survey.filters import parse_filters
from tenants.survey.moderation import excluded_count

LATEST_COMMENTS = 10


@bp.get("/")
def dashboard():
    """How are we doing, and where must we improve?"""
    chosen = parse_filters(request.args, current_tenant.today())
    results = compute_results(chosen.filters, current_tenant.score_threshold)
    page = render_template(
        "panel/dashboard.html",
        chosen=chosen,
        results=results,
        previous=previous_period(chosen.filters),
        latest_comments=comments(chosen.filters, limit=LATEST_COMMENTS),
        excluded=excluded_count(chosen.filters),
    )
    return page, 400 if chosen.errors else 200
