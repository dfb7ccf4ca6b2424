"""The printed report as a mayor reads it, measured with poppler's tools on the demo office:
its length, its metadata, its fonts, its words and its signs."""

from __future__ import annotations

import io
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from saas_platform.core.db import db, utcnow
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from saas_platform.demo import create_demo_offices
from tenants.reports.pdf import ReportRequest, build_report_pdf
from tests.conftest import reset_platform

DEMO_RESPONSES = 1500


def poppler(tool: str, pdf: Path, *args: str) -> str:
    command = [tool, *args, str(pdf)] + (["-"] if tool == "pdftotext" else [])
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout


def embedded_font_problems(pdf: Path) -> list[str]:
    """The rows of ``pdffonts`` whose font is not embedded (column "emb" is "no")."""
    rows = poppler("pdffonts", pdf).splitlines()[2:]
    return [row for row in rows if row.split()[-5] != "yes"]


def pdf_language(pdf: bytes) -> str | None:
    return PdfReader(io.BytesIO(pdf)).trailer["/Root"].get("/Lang")


@pytest.fixture(scope="module")
def demo_yearly_reports(migrated_app, owner_engine, tmp_path_factory) -> dict[str, Path]:
    """The demo offices' reports for the last full year (the default: no comments)."""
    reset_platform(migrated_app, owner_engine)
    tmp_path = tmp_path_factory.mktemp("reports")
    paths = {}
    with migrated_app.app_context():
        for tenant, _ in create_demo_offices(DEMO_RESPONSES, seed=2019):
            with tenant_scope(tenant):
                year = tenant.today().year - 1
                request = ReportRequest(date(year, 1, 1), date(year, 12, 31), kind="scheduled")
                path = tmp_path / f"{tenant.slug}.pdf"
                path.write_bytes(build_report_pdf(tenant, request, utcnow()))
                paths[tenant.name] = path
        db.session.commit()
    return paths


@pytest.fixture(scope="module")
def demo_twelve_month_reports(demo_yearly_reports, migrated_app, tmp_path_factory) -> list[Path]:
    """The demo offices' reports for the last twelve months: compared with the twelve months
    before, which the demo's two years of data cover in full, so every change is shown. (The
    last full year's comparison year is mostly before the demo's data: few changes show there,
    and whether one of them is positive is down to the random draw.)"""
    tmp_path = tmp_path_factory.mktemp("twelve-months")
    paths = []
    with migrated_app.app_context():
        for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
            with tenant_scope(tenant):
                today = tenant.today()
                request = ReportRequest(today - timedelta(days=364), today)
                path = tmp_path / f"{tenant.slug}.pdf"
                path.write_bytes(build_report_pdf(tenant, request, utcnow()))
                paths.append(path)
    return paths


def test_demo_yearly_report_without_comments_is_at_most_eight_pages(demo_yearly_reports):
    for path in demo_yearly_reports.values():
        info = poppler("pdfinfo", path)
        pages = int(
            next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1]
        )
        assert pages <= 8, f"{path.name}: {pages} pages"


def test_report_metadata_names_the_office_in_polish(demo_yearly_reports):
    for name, path in demo_yearly_reports.items():
        info = poppler("pdfinfo", path)
        fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
        assert name in fields["Title"]
        assert fields["Author"].strip() == name
        assert "satysfakcji" in fields["Subject"]
        assert pdf_language(path.read_bytes()) == "pl"
        other = next(n for n in demo_yearly_reports if n != name)
        assert other not in info


def test_every_font_of_the_report_is_embedded(demo_yearly_reports):
    for path in demo_yearly_reports.values():
        assert embedded_font_problems(path) == []


def test_report_text_is_polish_with_polish_labels(demo_yearly_reports):
    for name, path in demo_yearly_reports.items():
        text = poppler("pdftotext", path, "-layout")
        words = text.split()
        assert name in text  # ą, ę, ł, ó, ś, ź, ż intact
        assert "CI" not in words and "CI:" not in words and "n" not in words
        assert "95% przedział" in text and "liczba odpowiedzi" in text.lower()
        assert "Najmocniejsze strony" in text and "Najsłabsze strony" in text
        flowing = " ".join(poppler("pdftotext", path).split())
        assert "wobec tego samego okresu rok wcześniej" in flowing


def test_positive_changes_carry_their_plus_sign(demo_twelve_month_reports):
    for path in demo_twelve_month_reports:
        words = poppler("pdftotext", path, "-layout").split()
        changes = [w for w in words if w[:1] in "+−" and w[1:2].isdigit()]
        assert any(w.startswith("+") for w in changes), f"{path.name}: no + among {changes}"
        assert any(w.startswith("−") for w in changes), f"{path.name}: no − among {changes}"


def test_manual_and_poster_carry_metadata_and_embed_every_font(two_offices, logged_in, tmp_path):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    documents = {
        "instrukcja": (admin.get("/panel/instrukcja.pdf").data, "Instrukcja"),
        "plakat": (admin.get("/panel/baner/plakat.pdf").data, wolomin.name),
    }
    for name, (pdf, title) in documents.items():
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(pdf)
        fields = dict(
            line.split(":", 1) for line in poppler("pdfinfo", path).splitlines() if ":" in line
        )
        assert title in fields["Title"], name
        assert fields["Author"].strip() and fields["Subject"].strip(), name
        assert pdf_language(pdf) == "pl", name
        problems = embedded_font_problems(path)
        assert problems == [], f"{name}: {problems}"
    assert sierpc.name not in poppler("pdfinfo", tmp_path / "plakat.pdf")
