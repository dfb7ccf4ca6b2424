"""An office's staff managed from outside its panel: ``satysfakcja staff invite|list|deactivate``
and the console's "Zaproś pracownika". The panel's own invitation service, audited in the
office's log and in the platform's; bad input gets a clear message and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from saas_platform.core.db import db
from saas_platform.operator.models import PlatformAuditEntry
from tenants.accounts import services as staff
from tenants.accounts.models import StaffUser
from tenants.audit.models import AuditEntry
from tests.conftest import csrf_token_of
from tests.operator.signing_in import post_form, signed_in_operator
from tests.races import pause_after_check, run_together


def _staff(app, *args: str):
    return app.test_cli_runner().invoke(args=["staff", *args])


def _accounts(in_office, office) -> list[tuple[str, str, bool]]:
    with in_office(office):
        users = db.session.scalars(select(StaffUser).order_by(StaffUser.email))
        return [(u.email, u.role, u.is_active) for u in users]


def _platform_log(app) -> list[tuple[str, str, dict]]:
    with app.app_context():
        entries = db.session.scalars(select(PlatformAuditEntry).order_by(PlatformAuditEntry.id))
        return [(e.action, e.office_slug, e.details) for e in entries]


def test_cli_invites_a_member_who_gets_the_panels_invitation_mail(
    app, two_offices, mailbox, in_office
):
    wolomin, sierpc = two_offices
    result = _staff(
        app, "invite", "--tenant", wolomin.slug, "--email", "Nowa@Wolomin.example",
        "--role", "analyst",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Invited nowa@wolomin.example as analyst to" in result.output
    message = mailbox.wait_for(1)[0]
    assert message["X-Envelope-To"] == "nowa@wolomin.example"
    assert f"http://{wolomin.host}/panel/haslo/" in message.get_body(("plain",)).get_content()
    assert _accounts(in_office, wolomin) == [("nowa@wolomin.example", "analyst", True)]
    assert _accounts(in_office, sierpc) == []
    with in_office(wolomin):
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.invite"))
        assert entry.after == {
            "email": "nowa@wolomin.example",
            "role": "analyst",
            "via": "wiersz poleceń",
        }
    assert _platform_log(app) == [
        ("staff.invite", wolomin.slug, {"email": "nowa@wolomin.example", "role": "analyst"})
    ]


def test_cli_lists_an_offices_staff_and_only_that_offices(app, two_offices, make_staff):
    wolomin, sierpc = two_offices
    make_staff(wolomin, "admin", "szefowa@wolomin.example")
    make_staff(sierpc, "admin", "szef@sierpc.example")
    invited = _staff(
        app, "invite", "--tenant", wolomin.slug, "--email", "a@wolomin.example", "--role", "analyst"
    )
    assert invited.exit_code == 0, invited.output
    result = _staff(app, "list", "--tenant", wolomin.slug)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "a@wolomin.example\tanalyst\tinvited\t",
        "szefowa@wolomin.example\tadmin\tactive\t",
        "Total: 2",
    ]


def test_cli_deactivates_a_member_audited_on_both_sides(app, two_offices, make_staff, in_office):
    wolomin, sierpc = two_offices
    make_staff(wolomin, "admin")
    make_staff(wolomin, "analyst")
    make_staff(sierpc, "analyst", "analyst@wolomin.example")  # the same address elsewhere
    result = _staff(
        app, "deactivate", "--tenant", wolomin.slug, "--email", "analyst@wolomin.example"
    )
    assert result.exit_code == 0, result.output
    assert ("analyst@wolomin.example", "analyst", False) in _accounts(in_office, wolomin)
    assert _accounts(in_office, sierpc) == [("analyst@wolomin.example", "analyst", True)]
    with in_office(wolomin):
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "staff.update")
        ).one()
        assert entry.after == {"is_active": False, "via": "wiersz poleceń"}
    assert _platform_log(app)[-1] == (
        "staff.deactivate",
        wolomin.slug,
        {"email": "analyst@wolomin.example"},
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["invite", "--tenant", "nieznany", "--email", "a@b.example", "--role", "admin"],
         "No office with the slug 'nieznany'"),
        (["invite", "--tenant", "wolomin", "--email", "a@b.example", "--role", "sekretarz"],
         "Unknown role 'sekretarz'; the roles are: admin, analyst, manager."),
        (["invite", "--tenant", "wolomin", "--email", "nie-adres", "--role", "admin"],
         "Not a valid e-mail address."),
        (["invite", "--tenant", "wolomin", "--email", "ADMIN@wolomin.example", "--role", "admin"],
         "admin@wolomin.example already has an account at this office."),
        (["deactivate", "--tenant", "wolomin", "--email", "admin@wolomin.example"],
         "admin@wolomin.example is the office's only active administrator"),
        (["deactivate", "--tenant", "wolomin", "--email", "nikt@wolomin.example"],
         "No account 'nikt@wolomin.example' at wolomin."),
        (["list", "--tenant", "nieznany"], "No office with the slug 'nieznany'"),
    ],
)  # fmt: skip
def test_cli_refuses_bad_input_in_english_and_changes_nothing(
    app, two_offices, make_staff, in_office, args, message
):
    wolomin, _ = two_offices
    make_staff(wolomin, "admin")
    before = _accounts(in_office, wolomin)
    result = _staff(app, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert _accounts(in_office, wolomin) == before
    assert _platform_log(app) == []


def test_operator_invites_a_member_into_an_existing_office(
    app, two_offices, client_for, mailbox, in_office
):
    wolomin, sierpc = two_offices
    operator = signed_in_operator(app, client_for)
    office_page = operator.get(f"/operator/urzedy/{wolomin.slug}").get_data(as_text=True)
    assert f"/operator/urzedy/{wolomin.slug}/pracownicy" in office_page
    path = f"/operator/urzedy/{wolomin.slug}/pracownicy"
    response = post_form(operator, path, email="kierownik@wolomin.example", role="admin", name="")
    assert response.status_code == 302
    page = operator.get(path).get_data(as_text=True)
    assert "Wysłano zaproszenie na adres kierownik@wolomin.example." in page
    assert "kierownik@wolomin.example" in page and "zaproszone" in page
    assert mailbox.wait_for(1)[0]["X-Envelope-To"] == "kierownik@wolomin.example"
    assert _accounts(in_office, wolomin) == [("kierownik@wolomin.example", "admin", True)]
    assert _accounts(in_office, sierpc) == []
    with in_office(wolomin):
        entry = db.session.scalars(select(AuditEntry)).one()
        assert entry.after["via"] == "operator operator@platforma.example"
    assert _platform_log(app)[-1][:2] == ("staff.invite", wolomin.slug)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "admin@wolomin.example", "role": "analyst"},
         "Konto admin@wolomin.example już istnieje w tym urzędzie."),
        ({"email": "ktos@wolomin.example", "role": "sekretarz"}, "Nieznana rola."),
        ({"email": "nie-adres", "role": "analyst"}, "Podaj poprawny adres e-mail."),
    ],
)  # fmt: skip
def test_console_refuses_bad_invitations_in_polish(
    app, two_offices, client_for, make_staff, in_office, fields, message
):
    wolomin, _ = two_offices
    make_staff(wolomin, "admin")
    operator = signed_in_operator(app, client_for)
    response = post_form(operator, f"/operator/urzedy/{wolomin.slug}/pracownicy", **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _accounts(in_office, wolomin) == [("admin@wolomin.example", "admin", True)]


def test_console_staff_page_of_an_unknown_office_is_404(app, two_offices, client_for):
    operator = signed_in_operator(app, client_for)
    assert operator.get("/operator/urzedy/nieznany/pracownicy").status_code == 404


def test_two_operators_inviting_the_same_address_at_once_get_one_invitation_and_a_message(
    app, two_offices, client_for, mailbox, in_office, monkeypatch
):
    wolomin, _ = two_offices
    path = f"/operator/urzedy/{wolomin.slug}/pracownicy"
    operators = [
        signed_in_operator(app, client_for, f"operator{n}@platforma.example") for n in (1, 2)
    ]
    tokens = [csrf_token_of(o.get(path).get_data(as_text=True)) for o in operators]
    pause_after_check(monkeypatch, staff, "find_by_email")
    responses = run_together(
        *(
            lambda o=o, t=t: o.post(
                path, data={"csrf_token": t, "email": "nowy@wolomin.example", "role": "analyst"}
            )
            for o, t in zip(operators, tokens, strict=True)
        )
    )
    assert sorted(r.status_code for r in responses) == [302, 422]
    [refused] = [r for r in responses if r.status_code == 422]
    assert "Konto nowy@wolomin.example już istnieje w tym urzędzie." in refused.get_data(
        as_text=True
    )
    assert _accounts(in_office, wolomin) == [("nowy@wolomin.example", "analyst", True)]
    assert [a for a, _, _ in _platform_log(app) if a == "staff.invite"] == ["staff.invite"]
    assert len(mailbox.wait_for(1)) == 1
    with in_office(wolomin):
        invited = select(func.count()).select_from(AuditEntry)
        assert db.session.scalar(invited.where(AuditEntry.action == "staff.invite")) == 1
