"""The accessible HTML edition of a report, made beside the PDF from the same figures.

Public bodies in Poland publish documents that must be accessible (ustawa o dostępności
cyfrowej); xhtml2pdf writes no structure tree, so the PDF is for print and this edition is for
reading on screen and for publishing in the office's BIP as it is: one self-contained file in
Polish (``lang="pl"``), structured headings, tables with their headers, the charts as inline
SVG with a title and a description, each beside its data table, styles inline, no script and
nothing loaded from anywhere (``EDITION_CSP`` is what the panel serves it with).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import render_template

from tenants.reports.pdf import ReportRequest, html_to_pdf, pdf_document, report_context
from tenants.reports.svg_charts import report_svgs

# The file needs nothing but its own inline styles and data-URI images (the logo).
EDITION_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Editions:
    """A report's two editions: the PDF for print and the accessible HTML."""

    pdf: bytes
    html: str


def html_document(context: dict[str, Any]) -> str:
    """The HTML edition of a report context (``pdf.report_context``)."""
    return render_template(
        "reports/report_accessible.html", **context, charts=report_svgs(context["results"])
    )


def build_editions(tenant, request: ReportRequest, generated_at: datetime) -> Editions:
    """Both editions of one report for the current office, from one computation of its
    figures."""
    context = report_context(tenant, request, generated_at)
    return Editions(pdf=html_to_pdf(pdf_document(context)), html=html_document(context))
