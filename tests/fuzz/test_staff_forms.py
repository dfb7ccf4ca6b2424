"""Issue #21, item 10: naughty and generated text in every field of the staff's forms: the
office's data, departments, the survey editor (general part, sections, questions), the staff
invitation, the account's password change and the sign-in. No answer is a 500, a refused
submission changes nothing of the office, and every export still works after."""

from __future__ import annotations

import itertools
import json

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from saas_platform.core.db import db
from tenants.accounts.models import StaffUser
from tenants.audit.models import AuditEntry
from tenants.reports.models import Report
from tenants.survey.models import Department, KioskDevice, SurveyDraft
from tests.conftest import STAFF_PASSWORD
from tests.fuzz.harness import (
    assert_every_export_succeeds,
    check_answer,
    client_address,
    naughty_text,
    post,
    shows_no_error,
)
from tests.operator.signing_in import signed_in_operator

OFFICE_FIELDS = {
    "name": "Urząd Miejski w Wołominie",
    "address": "ul. Ogrodowa 4",
    "contact_email": "urzad@wolomin.example",
    "contact_phone": "+48 22 787 43 01",
    "brand_colour": "#1d4f91",
    "score_threshold": "75",
    "retention_years": "5",
    "report_recipients": "sekretarz@wolomin.example",
    "extra_report_frequencies": "quarterly",
}
TRANSLATED = ("en", "uk")
GENERAL_FIELDS = (
    "title",
    "intro",
    *(f"{lang}_{f}" for lang in TRANSLATED for f in ("title", "intro")),
)
SECTION_TEXT = ("title", "description")
QUESTION_TEXT = ("text", "help_text", "options")
_numbers = itertools.count(1)


def office_state(in_office, office) -> str:
    """Everything of the office a staff form can change, as one comparable value."""
    with in_office(office) as tenant:
        staff = db.session.execute(
            select(
                StaffUser.email, StaffUser.name, StaffUser.role, StaffUser.password_hash
            ).order_by(StaffUser.id)
        ).all()
        draft = db.session.scalar(select(SurveyDraft.definition))
        return json.dumps(
            {
                "office": [
                    repr(getattr(tenant, name)) for name in (*OFFICE_FIELDS, "logo_mime_type")
                ],
                "departments": list(
                    db.session.scalars(select(Department.name).order_by(Department.id))
                ),
                "staff": [list(row) for row in staff],
                "draft": draft,
                "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)),
                "reports": db.session.scalar(select(func.count()).select_from(Report)),
                "kiosks": list(
                    db.session.scalars(select(KioskDevice.name).order_by(KioskDevice.id))
                ),
            },
            sort_keys=True,
            default=str,
        )


def fuzz_form(
    in_office, office, client, path, base, fields, form_page=None, accepted_when=None,
    new_address=False,
):  # fmt: skip
    """A Hypothesis run over one form: each example puts naughty text in one of ``fields``
    (and ``base`` fills the rest, a callable for values that must differ per example)."""

    @given(field=st.sampled_from(fields), value=naughty_text(), second=naughty_text())
    def submit(field: str, value: str, second: str) -> None:
        form = {**(base() if callable(base) else base), field: value}
        other = fields[(fields.index(field) + 1) % len(fields)]
        if len(fields) > 1 and next(_numbers) % 3 == 0:
            form[other] = second  # now and then two fields at once
        before = office_state(in_office, office)
        environ = client_address() if new_address else {}
        response = post(client, path, form, form_page, environ_base=environ)
        state = lambda: office_state(in_office, office)  # noqa: E731
        check_answer(response, state, before, form, client, accepted_when)

    submit()


def test_naughty_text_in_the_office_data_departments_and_invitations_is_handled(
    app, two_offices, logged_in, in_office, client_for
):
    wolomin, sierpc = two_offices
    others_before = office_state(in_office, sierpc)
    admin = logged_in(wolomin)
    fuzz_form(in_office, wolomin, admin, "/panel/urzad", OFFICE_FIELDS, list(OFFICE_FIELDS))
    fuzz_form(in_office, wolomin, admin, "/panel/wydzialy", {}, ["name"])
    fuzz_form(
        in_office,
        wolomin,
        admin,
        "/panel/uzytkownicy",
        lambda: {"email": f"osoba{next(_numbers)}@wolomin.example", "name": "", "role": "analyst"},
        ["email", "name", "role"],
    )
    assert office_state(in_office, sierpc) == others_before
    assert_every_export_succeeds(
        app, in_office, wolomin, admin, signed_in_operator(app, client_for)
    )


def test_naughty_text_in_report_requests_kiosks_renames_resets_and_filters_is_handled(
    app, two_offices, logged_in, in_office, client_for
):
    wolomin, sierpc = two_offices
    others_before = office_state(in_office, sierpc)
    admin = logged_in(wolomin)
    report = {
        "period": "custom",
        "date_from": "2026-01-01",
        "date_to": "2026-01-31",
        "department": "",
    }
    fuzz_form(in_office, wolomin, admin, "/panel/raporty", report, list(report))
    fuzz_form(
        in_office, wolomin, admin, "/panel/kioski", {}, ["nazwa"], accepted_when=shows_no_error
    )
    with in_office(wolomin):
        department = db.session.scalar(select(Department.id).order_by(Department.id.desc()))
    fuzz_form(in_office, wolomin, admin, f"/panel/wydzialy/{department}", {}, ["name"])
    stranger = client_for(wolomin)
    fuzz_form(
        in_office, wolomin, stranger, "/panel/przypomnij-haslo", {}, ["email"],
        new_address=True,
    )  # fmt: skip

    @given(
        page=st.sampled_from(["/panel/", "/panel/odpowiedzi", "/panel/eksport.csv"]),
        name=st.sampled_from(["okres", "od", "do", "wydzial", "kanal", "wersja", "q", "strona"]),
        value=naughty_text(),
    )
    def filter_by(page: str, name: str, value: str) -> None:
        chosen = {"okres": "custom", "od": "2026-01-01", "do": "2026-01-31", name: value}
        response = admin.get(page, query_string=chosen)
        check_answer(response, lambda: None, None, {"page": page, name: value})

    filter_by()
    assert office_state(in_office, sierpc) == others_before
    assert_every_export_succeeds(
        app, in_office, wolomin, admin, signed_in_operator(app, client_for)
    )


def test_naughty_text_in_the_survey_editor_is_handled(
    app, two_offices, logged_in, in_office, client_for
):
    wolomin, sierpc = two_offices
    others_before = office_state(in_office, sierpc)
    admin = logged_in(wolomin)
    started = post(admin, "/panel/ankieta/szkic", {"zrodlo": "aktualna"}, "/panel/ankieta")
    assert started.status_code == 302
    general = {name: "Ankieta" for name in GENERAL_FIELDS}
    fuzz_form(in_office, wolomin, admin, "/panel/ankieta/szkic/ogolne", general, list(general))

    def section() -> dict:
        return {"key": f"sekcja_{next(_numbers)}", "title": "Sekcja", "description": ""}

    section_fields = [
        "key",
        *SECTION_TEXT,
        *(f"{lang}_{f}" for lang in TRANSLATED for f in SECTION_TEXT[:2]),
    ]
    fuzz_form(
        in_office, wolomin, admin, "/panel/ankieta/szkic/sekcje", section, section_fields,
        "/panel/ankieta",
    )  # fmt: skip

    def question() -> dict:
        return {
            "key": f"pytanie_{next(_numbers)}",
            "kind": "single_choice",
            "section": "uwagi",
            "text": "Pytanie?",
            "help_text": "",
            "options": "tak = Tak\nnie = Nie",
        }

    question_fields = ["key", "kind", "section", *QUESTION_TEXT]
    question_fields += [f"{lang}_{f}" for lang in TRANSLATED for f in QUESTION_TEXT]
    fuzz_form(
        in_office, wolomin, admin, "/panel/ankieta/szkic/sekcje/uwagi/pytania", question,
        question_fields, "/panel/ankieta",
    )  # fmt: skip
    assert office_state(in_office, sierpc) == others_before
    assert_every_export_succeeds(
        app, in_office, wolomin, admin, signed_in_operator(app, client_for)
    )


def test_naughty_text_in_the_password_change_and_the_sign_in_is_handled(
    app, two_offices, logged_in, client_for, in_office
):
    wolomin, sierpc = two_offices
    others_before = office_state(in_office, sierpc)
    analyst = logged_in(wolomin, "analyst")
    password = {"current": STAFF_PASSWORD}

    @given(new=naughty_text(), current=st.one_of(st.none(), naughty_text()), same=st.booleans())
    def change(new: str, current: str | None, same: bool) -> None:
        form = {
            "current": password["current"] if current is None else current,
            "password": new,
            "confirm": new if same else new + "x",
        }
        before = office_state(in_office, wolomin)
        response = post(analyst, "/panel/konto", form)
        if check_answer(response, lambda: office_state(in_office, wolomin), before, form):
            password["current"] = new  # this browser stays signed in with the new password
        assert analyst.get("/panel/konto").status_code == 200

    change()

    stranger = client_for(wolomin)

    @given(email=st.one_of(st.just(analyst.email), naughty_text()), secret=naughty_text())
    def sign_in(email: str, secret: str) -> None:
        form = {"email": email, "password": secret}
        before = office_state(in_office, wolomin)
        response = post(stranger, "/panel/login", form, environ_base=client_address())
        check_answer(response, lambda: office_state(in_office, wolomin), before, form)
        assert response.status_code != 302, "signed in with a naughty password"

    sign_in()
    assert office_state(in_office, sierpc) == others_before
    assert_every_export_succeeds(
        app, in_office, wolomin, logged_in(wolomin), signed_in_operator(app, client_for)
    )
