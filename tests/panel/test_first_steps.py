"""A new office's dashboard: first steps instead of empty tables, each ticking itself from
stored facts (or by an admin's tick, for what the platform cannot see), until the first
response comes."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from saas_platform.core.db import db
from tenants.audit.models import AuditEntry
from tests.conftest import csrf_token_of
from tests.office.test_office_pages import OFFICE_DATA, _image_bytes, _upload_logo


def _post(client, path: str, form_page: str = "/panel/", **fields):
    token = csrf_token_of(client.get(form_page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def _done(client) -> set[str]:
    page = html.unescape(client.get("/panel/").get_data(as_text=True))
    assert "Pierwsze kroki" in page and "Indeks satysfakcji" not in page
    return set(re.findall(r'id="krok-([a-z]+)" class="first-step first-step-done"', page))


def test_a_new_office_sees_first_steps_that_tick_themselves(
    two_offices, logged_in, client_for, in_office, complete_answers
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    assert _done(admin) == set()

    assert _upload_logo(admin, _image_bytes("PNG", size=(120, 60))).status_code == 302
    recipients = {**OFFICE_DATA, "report_recipients": "burmistrz@wolomin.pl"}
    assert _post(admin, "/panel/urzad", "/panel/urzad", **recipients).status_code == 302
    logged_in(wolomin, "analyst")  # a colleague
    assert _done(admin) == {"look", "recipients", "colleagues"}

    # posters tick themselves when the kit gives one out
    assert admin.get("/panel/baner/plakat.pdf").status_code == 200
    assert _done(admin) == {"look", "recipients", "colleagues", "posters"}

    # the other office starts from scratch
    assert _done(logged_in(sierpc)) == set()

    # the first response: the dashboard shows results
    resident = client_for(wolomin)
    form = {**resident.survey_form(), **complete_answers()}
    assert resident.post("/", data=form).status_code == 303
    page = admin.get("/panel/").get_data(as_text=True)
    assert "Pierwsze kroki" not in page and "Indeks satysfakcji" in page


def test_an_admin_ticks_the_banner_and_the_template_by_hand_audited(
    two_offices, logged_in, in_office
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    assert _post(admin, "/panel/pierwsze-kroki/banner").status_code == 302
    assert _post(admin, "/panel/pierwsze-kroki/survey").status_code == 302
    assert _done(admin) == {"banner", "survey"}
    with in_office(wolomin) as tenant:
        assert set(tenant.first_steps) == {"banner", "survey"}
        ticks = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "office.first_step")
        ).all()
        assert len(ticks) == 2
    with in_office(sierpc) as tenant:
        assert tenant.first_steps == {}
    # ticking again changes nothing; steps with facts of their own cannot be ticked
    assert _post(admin, "/panel/pierwsze-kroki/banner").status_code == 302
    assert _post(admin, "/panel/pierwsze-kroki/recipients").status_code == 404
    assert _post(admin, "/panel/pierwsze-kroki/nieznany").status_code == 404
    with in_office(wolomin):
        assert (
            len(
                db.session.scalars(
                    select(AuditEntry.id).where(AuditEntry.action == "office.first_step")
                ).all()
            )
            == 2
        )


def test_an_analyst_sees_the_steps_but_cannot_tick_them(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    analyst = logged_in(wolomin, "analyst")
    page = analyst.get("/panel/").get_data(as_text=True)
    assert "Pierwsze kroki" in page and "Zaznacz jako wykonane" not in page
    assert _post(analyst, "/panel/pierwsze-kroki/banner").status_code == 403
    with in_office(wolomin) as tenant:
        assert tenant.first_steps == {}


def test_filters_on_a_new_office_still_show_the_results_page(two_offices, logged_in):
    wolomin, _ = two_offices
    page = logged_in(wolomin).get("/panel/?od=2026-01-01&do=2026-06-30").get_data(as_text=True)
    assert "Pierwsze kroki" not in page and "W wybranym okresie nie ma odpowiedzi" in page
