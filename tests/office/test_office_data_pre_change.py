"""§5 of the order for the office's data: every form on the office page (its data, the logo,
the logo's removal) first makes the pre-change report "przed zmianą danych urzędu", in the
change's own transaction, with the change's audit entry linked to it; no second report when
the last one already covers every response so far."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from saas_platform.core.db import db
from tenants.audit.models import AuditEntry
from tenants.reports.models import Report
from tests.office.test_office_pages import (
    OFFICE_DATA,
    _form_post,
    _image_bytes,
    _upload_logo,
)
from tests.reports.test_end_to_end import pdf_text, wait_for_report

OFFICE_LABEL = "Raport przed zmianą danych urzędu"


def _reports(office, in_office) -> list[Report]:
    with in_office(office):
        reports = list(db.session.scalars(select(Report).order_by(Report.id)))
        for report in reports:
            db.session.expunge(report)
        return reports


def _entries(office, in_office, action: str) -> list[AuditEntry]:
    with in_office(office):
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(db.session.scalars(query))


def _submit(client, complete_answers) -> None:
    form = {**client.survey_form(), **complete_answers()}
    assert client.post("/", data=form).status_code == 303


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Urząd Miasta Wołomin"),
        ("address", "ul. Ogrodowa 4, 05-200 Wołomin"),
        ("contact_email", "sekretariat@wolomin.pl"),
        ("contact_phone", "+48 22 787 30 21"),
        ("brand_colour", "#aa3300"),
        ("score_threshold", "70"),
        ("report_recipients", "burmistrz@wolomin.pl"),
        ("extra_report_frequencies", "quarterly"),
        ("retention_years", "5"),
    ],
)
def test_every_office_data_field_changes_only_after_the_pre_change_report(
    two_offices, logged_in, in_office, field, value
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    response = _form_post(admin, "/panel/urzad", **{**OFFICE_DATA, field: value})
    assert response.status_code == 302
    [report] = _reports(wolomin, in_office)
    assert (report.kind, report.subject, report.label) == ("pre_change", "office", OFFICE_LABEL)
    assert report.score_threshold == 75  # the flags as they were before the change
    [update] = _entries(wolomin, in_office, "office.update")
    assert list(update.before) == [field]
    assert update.after["pre_change_report_id"] == report.id
    [made] = _entries(wolomin, in_office, "report.pre_change")
    assert made.object_id == report.id and made.after["reason"] == "office.update"
    assert made.after["fields"] == [field]
    listing = html.unescape(admin.get("/panel/raporty").get_data(as_text=True))
    assert OFFICE_LABEL in listing
    assert _reports(sierpc, in_office) == []


def test_saving_office_data_unchanged_makes_no_report(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    assert _form_post(admin, "/panel/urzad", **OFFICE_DATA).status_code == 302
    assert _reports(wolomin, in_office) == []


def test_refused_office_data_stores_neither_the_change_nor_a_report(
    two_offices, logged_in, in_office
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    refused = _form_post(
        admin, "/panel/urzad", **{**OFFICE_DATA, "name": "Nowa nazwa", "score_threshold": "101"}
    )
    assert refused.status_code == 422
    assert _reports(wolomin, in_office) == []
    with in_office(wolomin) as tenant:
        assert tenant.name == OFFICE_DATA["name"]


def test_a_new_logo_and_its_removal_each_follow_a_pre_change_report(
    two_offices, logged_in, client_for, in_office, complete_answers
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    assert _upload_logo(admin, _image_bytes("PNG", size=(120, 60))).status_code == 302
    _submit(client_for(wolomin), complete_answers)  # so the removal needs a report of its own
    removal = _form_post(admin, "/panel/urzad/logo/usun", form_page="/panel/urzad")
    assert removal.status_code == 302
    first, second = _reports(wolomin, in_office)
    assert {first.subject, second.subject} == {"office"}
    [upload] = _entries(wolomin, in_office, "office.logo")
    [removed] = _entries(wolomin, in_office, "office.logo_remove")
    assert upload.after["pre_change_report_id"] == first.id
    assert removed.after["pre_change_report_id"] == second.id
    assert second.covers_response_id is not None and first.covers_response_id is None
    assert _reports(sierpc, in_office) == []


def test_a_refused_logo_makes_no_report(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    assert _upload_logo(admin, b"not an image at all").status_code == 422
    assert _reports(wolomin, in_office) == []


def test_no_second_report_while_the_last_one_covers_every_response_so_far(
    two_offices, logged_in, client_for, in_office, complete_answers
):
    wolomin, sierpc = two_offices
    resident = client_for(wolomin)
    _submit(resident, complete_answers)
    admin = logged_in(wolomin)
    _form_post(admin, "/panel/urzad", **{**OFFICE_DATA, "contact_phone": "+48 22 111 11 11"})
    _form_post(admin, "/panel/urzad", **{**OFFICE_DATA, "contact_phone": "+48 22 222 22 22"})
    [report] = _reports(wolomin, in_office)  # nobody answered between the two changes
    first, second = _entries(wolomin, in_office, "office.update")
    assert first.after["pre_change_report_id"] == second.after["pre_change_report_id"] == report.id

    _submit(resident, complete_answers)
    _form_post(admin, "/panel/urzad", **{**OFFICE_DATA, "contact_phone": "+48 22 333 33 33"})
    assert len(_reports(wolomin, in_office)) == 2  # a response came: a new report covers it

    # the last report flags with 75, still in force: it covers the change to 60; the next
    # change needs a report flagged with the 60 in force before it
    _form_post(admin, "/panel/urzad", **{**OFFICE_DATA, "score_threshold": "60"})
    _form_post(admin, "/panel/urzad", **{**OFFICE_DATA, "score_threshold": "50"})
    reports = _reports(wolomin, in_office)
    assert [r.score_threshold for r in reports] == [75, 75, 60]
    assert _reports(sierpc, in_office) == []


def test_a_failed_report_is_not_reused(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    _form_post(admin, "/panel/urzad", **{**OFFICE_DATA, "contact_phone": "+48 22 111 11 11"})
    [report] = _reports(wolomin, in_office)
    wait_for_report(in_office, wolomin, report.id)
    with in_office(wolomin):
        db.session.get(Report, report.id).status = "failed"
        db.session.commit()
    _form_post(admin, "/panel/urzad", **{**OFFICE_DATA, "contact_phone": "+48 22 222 22 22"})
    assert len(_reports(wolomin, in_office)) == 2


def test_the_pre_change_pdf_names_the_office_data_and_keeps_the_old_threshold(
    two_offices, logged_in, client_for, in_office, complete_answers
):
    wolomin, _ = two_offices
    _submit(client_for(wolomin), complete_answers)
    admin = logged_in(wolomin)
    _form_post(admin, "/panel/urzad", **{**OFFICE_DATA, "score_threshold": "40"})
    [report] = _reports(wolomin, in_office)
    assert wait_for_report(in_office, wolomin, report.id).status == "done"
    text = " ".join(pdf_text(admin.get(f"/panel/raporty/{report.id}/pdf").data).split())
    assert OFFICE_LABEL in text
    assert "75" in text and "przed zmianą ankiety" not in text
