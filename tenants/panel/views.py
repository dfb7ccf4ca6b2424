"""The staff home: the dashboard. Other pages live in the modules beside this one."""

from __future__ import annotations

from collections import defaultdict

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from saas_platform.core.db import db
from saas_platform.core.tenancy import current_tenant
from tenants.actions.services import PlanLinks, plans_for
from tenants.comments.services import topic_counts
from tenants.office import first_steps
from tenants.panel.blueprint import admin_required, bp
from tenants.reports.comments import comments
from tenants.reports.priorities import office_priorities
from tenants.reports.stats import Results, compute_results
from tenants.survey.filters import parse_filters
from tenants.survey.moderation import excluded_count

# The summary shows a few; the rest are a link away (the responses with a comment).
LATEST_COMMENTS = 3


@bp.get("/")
def dashboard():
    """How are we doing, and where must we improve? Until the first response: first steps."""
    tenant = current_tenant._get_current_object()
    if not request.args and not first_steps.has_responses():
        return render_template("panel/first_steps.html", steps=first_steps.first_steps(tenant))
    chosen = parse_filters(request.args, current_tenant.today(), current_user.department_scope)
    results = compute_results(chosen.filters, current_tenant.score_threshold, chosen.comparison)
    item_plans, area_plans = _weak_plans(results)
    page = render_template(
        "panel/dashboard.html",
        chosen=chosen,
        results=results,
        priorities=office_priorities(results),
        topic_counts=topic_counts(chosen.filters),
        latest_comments=comments(chosen.filters, limit=LATEST_COMMENTS),
        excluded=excluded_count(chosen.filters),
        item_plans=item_plans,
        area_plans=area_plans,
    )
    return page, 400 if chosen.errors else 200


@bp.post("/pierwsze-kroki/<key>")
@admin_required
def first_step_tick(key: str):
    """An admin ticks a first step the platform cannot see for itself."""
    if key not in first_steps.TICKABLE:
        abort(404)
    if first_steps.tick_step(current_tenant._get_current_object(), key):
        db.session.commit()
        flash(f"Zaznaczono krok: {first_steps.TITLES[key][0]}.", "success")
    return redirect(url_for("panel.dashboard"))


def _weak_plans(results: Results) -> tuple[dict[str, PlanLinks], dict[str, PlanLinks]]:
    """The actions (or "Zaplanuj działanie") of each flagged item and area: items and areas
    below the office's threshold or significantly worse than the period compared with."""
    area_items: dict[str, list[str]] = defaultdict(list)
    for item in results.items:
        area_items[item.area_key].append(item.key)
    groups = {
        f"item:{item.key}": [item.key]
        for item in results.items
        if item.below_threshold or item.significantly_worse
    }
    groups.update(
        {
            f"area:{area.key}": area_items[area.key]
            for area in results.areas
            if area.below_threshold or area.significantly_worse
        }
    )
    plans = plans_for(groups, current_user.department_scope)
    return (
        {name.removeprefix("item:"): p for name, p in plans.items() if name.startswith("item:")},
        {name.removeprefix("area:"): p for name, p in plans.items() if name.startswith("area:")},
    )
