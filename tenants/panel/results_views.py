"""Results in depth: one area or one question of the survey (drill-down from the dashboard)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from saas_platform.core.tenancy import current_tenant
from saas_platform.core.web import page_number
from tenants.actions.services import plans_for
from tenants.panel.blueprint import bp
from tenants.reports.comments import comments
from tenants.reports.drilldown import AREA, QUESTION, item_detail
from tenants.survey.filters import parse_filters

COMMENTS_PER_PAGE = 20
# Question and section keys are short identifiers; anything longer is no key of the office.
MAX_KEY_LENGTH = 100


@bp.get("/wyniki/obszar/<key>", endpoint="area_results")
def area_results(key: str):
    """One area: its distribution, trend, breakdowns, questions and low-rated comments."""
    return _drilldown(AREA, key)


@bp.get("/wyniki/pytanie/<key>", endpoint="question_results")
def question_results(key: str):
    """One question: its distribution, trend, breakdowns, actions and low-rated comments."""
    return _drilldown(QUESTION, key)


def _drilldown(kind: str, key: str):
    if len(key) > MAX_KEY_LENGTH:
        abort(404)
    chosen = parse_filters(request.args, current_tenant.today(), current_user.department_scope)
    threshold = current_tenant.score_threshold
    detail = item_detail(kind, key, chosen.filters, threshold, chosen.comparison)
    if detail is None:  # no such area or rated question in this office
        abort(404)
    keys = detail.item_keys
    # One row more than a page says whether there is a next one; no count of them all, which
    # in a busy office's year would read every comment of the period.
    page = page_number()
    low_comments = comments(
        chosen.filters,
        limit=COMMENTS_PER_PAGE + 1,
        offset=(page - 1) * COMMENTS_PER_PAGE,
        rated_low=keys,
    )
    row = detail.row
    flagged = {
        q.key: [q.key] for q in detail.questions if q.below_threshold or q.significantly_worse
    }
    if row.below_threshold or row.significantly_worse:
        flagged[f"{kind}:{key}"] = list(keys)
    plans = plans_for(flagged, current_user.department_scope)
    page_html = render_template(
        "panel/drilldown.html",
        chosen=chosen,
        detail=detail,
        threshold=threshold,
        plan=plans.get(f"{kind}:{key}"),
        item_plans={k: p for k, p in plans.items() if ":" not in k},
        low_comments=low_comments[:COMMENTS_PER_PAGE],
        page=page,
        has_next=len(low_comments) > COMMENTS_PER_PAGE,
    )
    return page_html, 400 if chosen.errors else 200
