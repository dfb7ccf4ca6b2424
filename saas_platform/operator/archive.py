"""Offboarding: everything an office owns, in one ZIP, before it is deleted.

Responses as CSV and XLSX (the same exports staff download), every finished report PDF, and
the settings (office data, departments, survey versions, staff accounts) as JSON. Written to a
temporary file, never held in memory whole.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from datetime import date
from typing import IO

from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.core.spreadsheets import csv_chunks, write_xlsx
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant, TenantDomain
from tenants.accounts.models import StaffUser
from tenants.exports.writer import build_export
from tenants.reports.models import Report
from tenants.survey.definition import published_version
from tenants.survey.filters import Filters
from tenants.survey.models import Department, SurveyDraft, SurveyVersion
from tenants.survey.responses import ResponseSearch

SPOOL_LIMIT = 16 * 1024 * 1024
ALL_TIME = (date(2000, 1, 1), date(2100, 12, 31))


def _settings(tenant: Tenant) -> dict:
    versions = db.session.scalars(select(SurveyVersion).order_by(SurveyVersion.number)).all()
    return {
        "office": {
            "slug": tenant.slug,
            "name": tenant.name,
            "municipality": tenant.municipality,
            "teryt": tenant.teryt,
            "address": tenant.address,
            "contact_email": tenant.contact_email,
            "contact_phone": tenant.contact_phone,
            "brand_colour": tenant.brand_colour,
            "timezone": tenant.timezone,
            "status": tenant.status,
            "score_threshold": tenant.score_threshold,
            "report_recipients": tenant.report_recipients,
            "extra_report_frequencies": tenant.extra_report_frequencies,
            "created_at": tenant.created_at.isoformat(),
        },
        "custom_domains": list(db.session.scalars(select(TenantDomain.host))),
        "departments": [
            {"id": d.id, "name": d.name, "active": d.is_active}
            for d in db.session.scalars(select(Department).order_by(Department.position))
        ],
        "staff": [
            {"email": u.email, "name": u.name, "role": u.role, "active": u.is_active}
            for u in db.session.scalars(select(StaffUser).order_by(StaffUser.email))
        ],
        "survey_versions": [_version_json(v) for v in versions],
        "survey_draft": db.session.scalar(select(SurveyDraft.definition)),
    }


def _version_json(version: SurveyVersion) -> dict:
    definition = published_version(version.id)
    sections = definition.sections if definition else ()
    return {
        "number": version.number,
        "title": version.title,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "sections": [
            {
                "key": s.key, "title": s.title,
                "questions": [
                    {"key": q.key, "kind": q.kind, "text": q.text, "required": q.required,
                     "options": [{"key": o.key, "label": o.label} for o in q.options]}
                    for q in s.questions
                ],
            }
            for s in sections
        ],
    }  # fmt: skip


def office_archive(tenant: Tenant) -> IO[bytes]:
    """The ZIP of everything the office owns, in a temporary file positioned at its start."""
    target = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)  # noqa: SIM115 - streamed, then closed
    filters = Filters(*ALL_TIME)
    with tenant_scope(tenant), zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("odpowiedzi.csv", "w") as entry:
            for chunk in csv_chunks(build_export(filters, ResponseSearch(), tenant.timezone)):
                entry.write(chunk)
        workbook = write_xlsx(build_export(filters, ResponseSearch(), tenant.timezone))
        with workbook, archive.open("odpowiedzi.xlsx", "w") as entry:
            shutil.copyfileobj(workbook, entry)
        report_ids = db.session.scalars(
            select(Report.id).where(Report.status == "done").order_by(Report.id)
        ).all()
        for report_id in report_ids:  # one PDF in memory at a time
            report = db.session.get(Report, report_id)
            name = (
                f"raporty/{report.id}-{report.kind}-{report.period_start}-{report.period_end}.pdf"
            )
            archive.writestr(name, report.pdf)
            db.session.expire(report)
        archive.writestr(
            "ustawienia.json", json.dumps(_settings(tenant), ensure_ascii=False, indent=2)
        )
    target.seek(0)
    return target
