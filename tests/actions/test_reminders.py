"""Reminders of overdue actions: the beat task marks, the real worker mails through the SMTP
test server, once and then weekly, never twice a day, never for a suspended office."""

from __future__ import annotations

import time

from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant
from tenants.accounts.services import find_by_email
from tenants.actions.models import Action
from tenants.actions.tasks import remind_overdue_actions


def _member_id(in_office, office, email: str) -> int:
    with in_office(office):
        return find_by_email(email).id


def _settle(mailbox, expected: int) -> list:
    """Wait for ``expected`` messages, then a little longer to catch any extra one."""
    mailbox.wait_for(expected, timeout=30)
    time.sleep(1.0)
    return list(mailbox.messages)


def test_overdue_actions_are_mailed_once_then_weekly_to_the_responsible_and_the_admins(
    two_offices, make_office, make_staff, in_office, make_action, mailbox
):
    wolomin, sierpc = two_offices
    suspended = make_office("radzymin")
    for office in (wolomin, sierpc, suspended):
        make_staff(office, "admin")
    make_staff(wolomin, "analyst", "odpowiedzialna@wolomin.example")
    make_staff(wolomin, "analyst", "inny@wolomin.example")
    responsible = _member_id(in_office, wolomin, "odpowiedzialna@wolomin.example")
    overdue = {"planned_start": "2026-01-05", "due_date": "2026-03-01"}
    make_action(
        wolomin,
        title="<b>Drugie okienko</b>",
        responsible_user_id=str(responsible),
        **overdue,
    )
    make_action(wolomin, title="Jeszcze w terminie", due_date="2026-04-30")
    make_action(wolomin, title="Zrobione", status="done", implemented_on="2026-02-20", **overdue)
    make_action(
        wolomin, title="Porzucone", status="abandoned", abandon_reason="Brak środków", **overdue
    )
    make_action(sierpc, title="Plan Sierpca", **overdue)
    make_action(suspended, title="Plan zawieszonego urzędu", **overdue)
    with in_office(suspended):
        db.session.get(Tenant, suspended.id).status = "suspended"
        db.session.commit()

    assert remind_overdue_actions(today="2026-03-10") == 2
    assert remind_overdue_actions(today="2026-03-10") == 0  # the same day: nothing again
    messages = _settle(mailbox, 2)
    assert len(messages) == 2
    by_office = {"wolomin" in m["X-Envelope-To"]: m for m in messages}
    to_wolomin = by_office[True]
    assert sorted(to_wolomin["X-Envelope-To"].split(", ")) == [
        "admin@wolomin.example",
        "odpowiedzialna@wolomin.example",
    ]
    body = to_wolomin.get_content()
    assert to_wolomin.get_content_type() == "text/plain"
    assert "<b>Drugie okienko</b>" in body and "01.03.2026" in body
    assert "/panel/dzialania/" in body
    assert by_office[False]["X-Envelope-To"] == "admin@sierpc.example"
    assert "Plan Sierpca" in by_office[False].get_content()

    assert remind_overdue_actions(today="2026-03-11") == 0
    assert remind_overdue_actions(today="2026-03-16") == 0
    assert remind_overdue_actions(today="2026-03-17") == 2  # a week after the first
    assert len(_settle(mailbox, 4)) == 4
    with in_office(suspended):
        assert db.session.query(Action).one().reminded_on is None


def test_the_beat_task_runs_on_the_real_worker(two_offices, make_staff, make_action, mailbox):
    wolomin, sierpc = two_offices
    make_staff(wolomin, "admin")
    make_action(wolomin, title="Przez workera", planned_start="", due_date="2026-03-01")
    make_action(sierpc, title="Nie ten urząd", planned_start="", due_date="2099-03-01")
    remind_overdue_actions.delay(today="2026-03-10")
    messages = _settle(mailbox, 1)
    assert len(messages) == 1 and "Przez workera" in messages[0].get_content()
