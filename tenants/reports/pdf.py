"""The PDF: xhtml2pdf renders the report template with the fonts shipped in the repo.

Resources are confined: no remote fetch at all, local reads only inside the report assets
(fonts); charts and the logo travel as data URIs. xhtml2pdf renders one document at a time per
process, so workers scale with processes.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import render_template
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from xhtml2pdf import default as xhtml2pdf_default
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from saas_platform.core.db import db
from tenants.actions.effects import measure
from tenants.actions.services import (
    any_actions,
    completed_between,
    office_staff,
    open_actions,
    plans_for,
    rated_items,
    responsible_label,
)
from tenants.comments.services import topic_counts
from tenants.reports import comments as comments_service
from tenants.reports import summary
from tenants.reports.charts import CHART_WIDTH_PX, report_charts
from tenants.reports.comments import COMMENT_LIMIT
from tenants.reports.models import report_label
from tenants.reports.stats import compute_results
from tenants.survey.filters import Filters
from tenants.survey.models import Department
from tenants.survey.moderation import excluded_count
from tenants.survey.scores import MIN_GROUP

ASSETS = Path(__file__).with_name("fonts")
# ReportLab opens every page and every table cell in Helvetica, and xhtml2pdf sets the empty
# text beside an image or an anchor in it: a base-14 font, never embedded. In this process
# the name means the embedded DejaVu, so every font of every PDF the product makes is embedded.
pdfmetrics.registerFont(TTFont("Helvetica", str(ASSETS / "DejaVuSans.ttf")))
# The "DejaVu" family every PDF template names, registered once per process with ReportLab
# rather than through @font-face: xhtml2pdf maps a family's missing styles to each face it
# loads, so with a regular and a bold @font-face its reverse map says the regular face is bold
# and every line came out bold. Italic is drawn upright (no oblique face is shipped).
pdfmetrics.registerFont(TTFont("DejaVuSans", str(ASSETS / "DejaVuSans.ttf")))
pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(ASSETS / "DejaVuSans-Bold.ttf")))
pdfmetrics.registerFontFamily(
    "dejavu",
    normal="DejaVuSans",
    bold="DejaVuSans-Bold",
    italic="DejaVuSans",
    boldItalic="DejaVuSans-Bold",
)
xhtml2pdf_default.DEFAULT_FONT["dejavu"] = "dejavu"  # the family name CSS may use
ASSET_POLICY = ResourceAccessPolicy(allow_remote=False, base_dir=ASSETS)


PRE_CHANGE_NOTE = (
    "Raport przedstawia dotychczasowe wyniki: ostatnie 12 miesięcy przed zmianą (albo okres "
    "od pierwszej odpowiedzi, jeśli jest krótszy), ze wszystkich wersji ankiety."
)


class ReportRenderError(RuntimeError):
    """xhtml2pdf could not produce the document."""


@dataclass(frozen=True)
class ReportRequest:
    """What to put in a report: the office is the current one."""

    period_start: date
    period_end: date
    department_id: int | None = None
    kind: str = "on_demand"
    subject: str | None = None
    score_threshold: int | None = None  # None: the office's current threshold


def _data_uri(png: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(png).decode('ascii')}"


def report_context(tenant, request: ReportRequest, generated_at: datetime) -> dict[str, Any]:
    """Every figure of a report, computed once (from the dashboard's code path): the PDF and
    the HTML edition render this same context, so both editions show the same numbers."""
    filters = Filters(request.period_start, request.period_end, request.department_id)
    threshold = request.score_threshold
    if threshold is None:
        threshold = tenant.score_threshold
    results = compute_results(filters, float(threshold))
    department = (
        db.session.get(Department, request.department_id) if request.department_id else None
    )
    total_comments = comments_service.comment_count(filters)
    with_comments = tenant.report_comments == "newest"
    # "topics": the appendix is the comments' counts per triage topic, no comment's text.
    with_topics = tenant.report_comments == "topics"
    today = tenant.today()
    improvement_items = [
        item
        for item in results.items
        if not item.score.hidden and (item.below_threshold or item.significantly_worse)
    ]
    return {
        "office": tenant,
        "logo": _data_uri(tenant.logo, tenant.logo_mime_type) if tenant.logo else None,
        "kind_label": report_label(request.kind, request.subject),
        "pre_change_note": PRE_CHANGE_NOTE if request.kind == "pre_change" else None,
        "results": results,
        "department": department,
        "previous": summary.against_previous_period(results),
        "year_earlier": summary.against_year_earlier(results),
        "strongest": summary.strongest(results),
        "weakest": summary.weakest(results),
        "priorities": summary.priorities(results),
        "action_status": summary.action_status(
            request.period_start, request.period_end, today, report_scope(request)
        ),
        "with_comments": with_comments,
        "topics": topic_counts(filters) if with_topics else None,
        "comments": comments_service.comments(filters, COMMENT_LIMIT) if with_comments else [],
        "total_comments": total_comments,
        "excluded": excluded_count(filters),
        "comment_limit": COMMENT_LIMIT,
        "min_group": MIN_GROUP,
        "generated_at": generated_at,
        "improvement_items": improvement_items,
        "improvement_plans": plans_for({item.key: [item.key] for item in improvement_items}),
        "actions": _action_sections(request, today),
    }


def pdf_document(context: dict[str, Any]) -> str:
    """The HTML xhtml2pdf turns into the PDF: the context with its charts as PNG data URIs."""
    charts = {name: _data_uri(png) for name, png in report_charts(context["results"]).items()}
    return render_template(
        "reports/report.html", **context, charts=charts, chart_width=CHART_WIDTH_PX
    )


def report_html(tenant, request: ReportRequest, generated_at: datetime) -> str:
    """The report as HTML for xhtml2pdf (every number from the dashboard's code path)."""
    return pdf_document(report_context(tenant, request, generated_at))


def _action_sections(request: ReportRequest, today: date) -> dict[str, object]:
    """ "Plan działań" (open actions now) and "Efekty działań" (actions implemented in the
    period, each with its before/after); ``any`` False when the office has recorded none.
    A department's report holds the actions linked to that department, their effect measured
    on its responses, as its manager sees them in the register (``report_scope``)."""
    items = rated_items()
    staff = office_staff()
    scope = report_scope(request)
    completed = completed_between(request.period_start, request.period_end, scope)
    return {
        "any": any_actions(scope),
        "open": [(a, responsible_label(a, staff)) for a in open_actions(scope)],
        "completed": [
            (a, responsible_label(a, staff), measure(a, items, today, scope)) for a in completed
        ],
        "today": today,
    }


def report_scope(request: ReportRequest) -> frozenset[int] | None:
    """Whose actions a report holds: a department's report, its department's (None: the
    whole office's)."""
    return None if request.department_id is None else frozenset({request.department_id})


def html_to_pdf(html: str) -> bytes:
    """Render HTML to PDF bytes with the confined resource policy."""
    output = io.BytesIO()
    status = pisa.CreatePDF(
        html,
        dest=output,
        path=str(ASSETS / "report.html"),
        encoding="utf-8",
        resource_policy=ASSET_POLICY,
    )
    if status.err:
        raise ReportRenderError(f"xhtml2pdf reported {status.err} error(s)")
    return output.getvalue()


def build_report_pdf(tenant, request: ReportRequest, generated_at: datetime) -> bytes:
    """The finished PDF for the current office."""
    return html_to_pdf(report_html(tenant, request, generated_at))
