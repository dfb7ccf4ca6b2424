"""The accessible HTML edition of a report: one self-contained Polish file, made with the PDF
from the same figures. The figures are read back from both editions as a reader gets them
(the PDF through pdftotext, the HTML through its tables) and compared, in two demo offices."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from itertools import pairwise

import lxml.html
import pytest

from saas_platform.core.db import db, utcnow
from saas_platform.core.tenancy import tenant_scope
from saas_platform.demo import create_demo_offices
from tenants.reports.html_edition import Editions, build_editions
from tenants.reports.pdf import ReportRequest
from tests.conftest import reset_platform

DEMO_RESPONSES = 800
NUMBER = r"\d+,\d"
CHANGE = r"(?:[+−]?\d+,\d|—)"
PERCENT = r"\d+%"
COUNT = r"\d+"
# One row of each table of figures, as pdftotext -layout prints it: the row's first line
# (a long question wraps onto the next lines, its numbers stay on the first one).
PDF_ROWS = {
    "questions": re.compile(
        rf"^(?P<label>\S.*?)\s+(?P<n>{NUMBER})\s+({CHANGE})\s+"
        rf"({PERCENT})\s+({PERCENT})\s+({PERCENT})\s+({PERCENT})\s+({PERCENT})\s+({COUNT})\s+({COUNT})$"
    ),
    "areas": re.compile(
        rf"^(?P<label>\S.*?)\s+(?P<n>{NUMBER})\s+({NUMBER}–{NUMBER})\s+({CHANGE})\s+"
        rf"({PERCENT})\s+({COUNT})$"
    ),
    "groups": re.compile(rf"^(?P<label>\S.*?)\s+(?P<n>{COUNT})\s+({NUMBER})\s+({PERCENT})$"),
}
HTML_TABLES = {
    "questions": ["tabela-pytania"],
    "areas": ["tabela-obszary"],
    "groups": ["tabela-wydzialy", "tabela-kanaly"],
}


@pytest.fixture(scope="module")
def demo_editions(migrated_app, owner_engine) -> dict[str, Editions]:
    """Both editions of each demo office's report for the last full year (the default: no
    comments)."""
    reset_platform(migrated_app, owner_engine)
    editions = {}
    with migrated_app.app_context():
        for tenant, _ in create_demo_offices(DEMO_RESPONSES, seed=2020):
            with tenant_scope(tenant):
                year = tenant.today().year - 1
                request = ReportRequest(date(year, 1, 1), date(year, 12, 31), kind="scheduled")
                editions[tenant.name] = build_editions(tenant, request, utcnow())
        db.session.commit()
    assert len(editions) == 2
    return editions


def pdf_lines(pdf: bytes) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return [line.strip() for line in text.splitlines()]


def pdf_figures(pdf: bytes) -> dict[str, object]:
    """The index, the number of responses and every row of figures, read from the PDF."""
    lines = pdf_lines(pdf)
    figures: dict[str, object] = {name: [] for name in PDF_ROWS}
    for line in lines:
        for name, pattern in PDF_ROWS.items():
            if match := pattern.match(line):
                figures[name].append((match["label"], match.groups()[1:]))  # type: ignore[attr-defined]
                break
        if match := re.match(rf"^Indeks satysfakcji \(0–100\)\s+({NUMBER})$", line):
            figures["index"] = match[1]
        if match := re.match(r"^Liczba odpowiedzi w okresie\s+(\d+)$", line):
            figures["responses"] = match[1]
    return figures


def _cell(element) -> str:
    # A flagged value carries "(do poprawy)" after its number; the PDF shows it in red.
    return " ".join(element.text_content().split()).replace(" (do poprawy)", "")


def html_figures(html: str) -> dict[str, object]:
    """The same figures, read from the HTML edition's tables."""
    document = lxml.html.fromstring(html)
    figures: dict[str, object] = {}
    for name, ids in HTML_TABLES.items():
        rows = []
        for table_id in ids:
            for row in document.get_element_by_id(table_id).iter("tr"):
                header = row.find("th[@scope='row']")
                cells = [_cell(td) for td in row.findall("td")]
                if header is None or not cells or "za mało" in cells[0]:
                    continue
                rows.append((_cell(header), tuple(cells)))
        figures[name] = rows
    summary = {
        _cell(row.find("th")): [_cell(td) for td in row.findall("td")]
        for row in document.get_element_by_id("tabela-podsumowanie").iter("tr")
    }
    figures["index"] = summary["Indeks satysfakcji (0–100)"][0]
    figures["responses"] = summary["Liczba odpowiedzi w okresie"][0]
    return figures


def test_both_editions_print_the_same_index_counts_and_per_item_values(demo_editions):
    seen = set()
    for name, editions in demo_editions.items():
        from_pdf, from_html = pdf_figures(editions.pdf), html_figures(editions.html)
        assert from_pdf["index"] == from_html["index"], name
        assert from_pdf["responses"] == from_html["responses"], name
        assert int(from_html["responses"]) > 300, name
        for table in PDF_ROWS:
            pdf_rows, html_rows = from_pdf[table], from_html[table]
            assert len(html_rows) >= 3, (name, table)
            assert [numbers for _, numbers in pdf_rows] == [numbers for _, numbers in html_rows], (
                name,
                table,
            )
            for (pdf_label, _), (html_label, _) in zip(pdf_rows, html_rows, strict=True):
                # a long label wraps in the PDF: its first line starts the HTML's
                assert html_label.startswith(pdf_label), (name, pdf_label, html_label)
        assert len(from_html["questions"]) >= 6, name  # Wołomin: the short survey
        seen.add((from_html["index"], from_html["responses"]))
    assert len(seen) == 2  # two offices, two different sets of figures


def test_the_html_edition_is_one_self_contained_file_in_polish(demo_editions):
    for name, editions in demo_editions.items():
        document = lxml.html.fromstring(editions.html)
        assert document.get("lang") == "pl"
        assert name in document.find(".//title").text_content()
        assert document.xpath("//meta[@name='author']/@content") == [name]
        # nothing to run and nothing loaded from anywhere
        assert document.xpath("//script | //link | //iframe | //object | //embed") == []
        assert all(src.startswith("data:") for src in document.xpath("//@src"))
        assert all(href.startswith("#") for href in document.xpath("//@href")), name
        assert "url(" not in editions.html and "@import" not in editions.html
        other = next(n for n in demo_editions if n != name)
        assert other not in editions.html


def test_the_html_edition_has_structured_headings_and_described_charts_with_tables(
    demo_editions,
):
    for name, editions in demo_editions.items():
        document = lxml.html.fromstring(editions.html)
        headings = [int(h.tag[1]) for h in document.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert headings.count(1) == 1 and headings[0] == 1
        assert all(b - a <= 1 for a, b in pairwise(headings)), headings  # no level skipped
        titles = [h.text_content() for h in document.iter("h2")]
        for section in ("Podsumowanie", "Wyniki według pytań", "Metodologia"):
            assert section in titles, (name, section)
        charts = document.xpath("//*[local-name()='svg']")
        assert len(charts) == 2, name  # the trend and the areas
        for chart in charts:
            assert chart.get("role") == "img"
            title_id, desc_id = chart.get("aria-labelledby").split()
            title = chart.xpath(f"*[local-name()='title'][@id='{title_id}']")[0].text_content()
            desc = chart.xpath(f"*[local-name()='desc'][@id='{desc_id}']")[0].text_content()
            assert title and "Indeks" in title
            # the description names the data table, and that table is in the file
            table_name = re.search(r"w tabeli „(.+?)”", desc)[1]
            captions = [c.text_content() for c in document.iter("caption")]
            assert table_name in captions, (name, table_name)
        for table in document.iter("table"):
            assert table.find("caption") is not None
            assert table.xpath(".//th[@scope]"), "every table names its header cells"
