"""The alerts digest: a member opts in on the account page; the beat task claims one window
per subscriber, the real worker mails it through the SMTP test server once (never twice for a
window, nothing when there is nothing to say, nothing for a suspended office)."""

from __future__ import annotations

import html
import re
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant
from tenants.audit.models import AuditEntry
from tenants.comments.models import DigestSubscription, DigestWindow
from tenants.comments.tasks import email_alert_digest, send_alert_digests
from tests.conftest import csrf_token_of


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _choose(staff, frequency: str):
    token = csrf_token_of(staff.get("/panel/konto").get_data(as_text=True))
    return staff.post(
        "/panel/konto/podsumowanie", data={"csrf_token": token, "czestotliwosc": frequency}
    )


def _submit(client_for, complete_answers, office, comment: str, **ratings) -> None:
    client = client_for(office)
    answers = {**complete_answers(comment=comment), **{f"q-{k}": v for k, v in ratings.items()}}
    assert client.post("/", data={**client.survey_form(), **answers}).status_code == 303


def _paper(staff, complete_answers, answered_on: date, comment: str, **ratings) -> None:
    page = staff.get("/panel/ankieta-papierowa").get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    answers = {**complete_answers(comment=comment), **{f"q-{k}": v for k, v in ratings.items()}}
    form = {**hidden, "data_wypelnienia": answered_on.isoformat(), **answers}
    assert staff.post("/panel/ankieta-papierowa", data=form).status_code == 303


def _today(in_office, office) -> date:
    with in_office(office) as tenant:
        return tenant.today()


def _settle(mailbox, expected: int) -> list:
    """Wait for ``expected`` messages, then a little longer to catch any extra one."""
    if expected:
        mailbox.wait_for(expected, timeout=30)
    time.sleep(1.5)
    return list(mailbox.messages)


def _windows(in_office, office) -> list[tuple]:
    with in_office(office):
        return db.session.execute(
            select(DigestWindow.frequency, DigestWindow.first_day, DigestWindow.last_day,
                   DigestWindow.status).order_by(DigestWindow.id)
        ).all()  # fmt: skip


def test_a_daily_digest_tells_new_comments_low_ratings_and_crossed_items_once(
    two_offices, make_office, logged_in, client_for, complete_answers, in_office, mailbox
):
    wolomin, sierpc = two_offices
    suspended = make_office("radzymin")
    admin = logged_in(wolomin, "admin")
    assert _choose(admin, "daily").status_code == 303
    logged_in(wolomin, "analyst")  # not subscribed: gets nothing
    assert _choose(logged_in(sierpc, "admin"), "daily").status_code == 303
    suspended_admin = logged_in(suspended, "admin")
    assert _choose(suspended_admin, "daily").status_code == 303

    today = _today(in_office, wolomin)
    # Five paper surveys from a month ago rate the waiting time 5 (index 100, above 75);
    # today's five web responses rate it 1: over the last 90 days it falls to 50.
    for number in range(5):
        _paper(
            admin, complete_answers, today - timedelta(days=30), f"Papier {number}",
            czas_oczekiwania="5",
        )  # fmt: skip
    for number in range(5):
        low = "2" if number < 2 else "4"
        _submit(
            client_for, complete_answers, wolomin, f"<b>Czekałam</b> godzinę, nr {number}",
            ogolna_satysfakcja=low,
        )  # fmt: skip
    _submit(client_for, complete_answers, suspended, "Komentarz w zawieszonym urzędzie")
    with in_office(suspended):
        db.session.get(Tenant, suspended.id).status = "suspended"
        db.session.commit()

    run_day = (today + timedelta(days=1)).isoformat()
    assert send_alert_digests(today=run_day) == 2  # Wołomin's admin and Sierpc's admin
    assert send_alert_digests(today=run_day) == 0  # the same day again: nothing claimed
    [message] = _settle(mailbox, 1)
    assert message["X-Envelope-To"] == admin.email
    assert message.get_content_type() == "text/plain"
    assert "Podsumowanie ankiety – Urząd Miejski w Wołominie" in message["Subject"]
    body = message.get_content()
    assert "Nowe komentarze: 10" in body  # the paper ones arrived today too
    assert "<b>Czekałam</b> godzinę, nr 4" in body
    assert "Nowe odpowiedzi z oceną ogólną 1–2: 2" in body
    assert body.count("/panel/odpowiedzi/") == 2
    crossed = body[body.index("Pytania, które przekroczyły próg urzędu (75)") :]
    assert re.search(r"100,0 → 50,0 \(spadek poniżej progu\)", crossed)
    assert "/panel/konto" in body and "/panel/komentarze" in body

    assert _windows(in_office, wolomin) == [("daily", today, today, "sent")]
    assert _windows(in_office, sierpc) == [("daily", today, today, "empty")]
    assert _windows(in_office, suspended) == []

    # The same window's mail task delivered again sends nothing.
    with in_office(wolomin):
        window_id = db.session.scalar(select(DigestWindow.id))
    again = email_alert_digest.apply(kwargs={"window_id": window_id, "tenant_id": wolomin.id})
    assert again.get() is None
    assert len(_settle(mailbox, 0)) == 1

    # The next day covers only the next day: nothing new, so no mail.
    assert send_alert_digests(today=(today + timedelta(days=2)).isoformat()) == 2
    assert len(_settle(mailbox, 0)) == 1
    assert _windows(in_office, wolomin)[-1] == (
        "daily", today + timedelta(days=1), today + timedelta(days=1), "empty",
    )  # fmt: skip


def test_a_weekly_digest_is_sent_by_the_beat_task_on_the_real_worker_once(
    two_offices, logged_in, client_for, complete_answers, in_office, mailbox
):
    wolomin, sierpc = two_offices
    analyst = logged_in(wolomin, "analyst")
    assert _choose(analyst, "weekly").status_code == 303
    _submit(client_for, complete_answers, wolomin, "Tygodniowy komentarz")
    _submit(client_for, complete_answers, sierpc, "Komentarz z Sierpca")
    today = _today(in_office, wolomin)
    next_monday = today + timedelta(days=7 - today.weekday())

    send_alert_digests.delay(today=next_monday.isoformat())
    [message] = _settle(mailbox, 1)
    assert message["X-Envelope-To"] == analyst.email
    body = message.get_content()
    assert "tygodniowe podsumowanie" in body and "Tygodniowy komentarz" in body
    assert "Komentarz z Sierpca" not in body
    sunday = next_monday - timedelta(days=1)
    assert _windows(in_office, wolomin) == [("weekly", sunday - timedelta(days=6), sunday, "sent")]

    send_alert_digests.delay(today=next_monday.isoformat())
    assert len(_settle(mailbox, 0)) == 1
    assert len(_windows(in_office, wolomin)) == 1
    # Mid-week the weekly window is the same one: nothing.
    assert send_alert_digests(today=(next_monday + timedelta(days=3)).isoformat()) == 0


def test_members_choose_their_digest_on_the_account_page_and_the_log_records_it(
    two_offices, logged_in, in_office
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin, "admin")
    page = _text(admin.get("/panel/konto"))
    assert "Podsumowanie e-mail" in page
    assert re.search(r'value="none" checked', page)

    refused = _choose(admin, "co godzinę")
    assert "Wybierz: codziennie, raz w tygodniu albo nie wysyłaj." in _text(
        admin.get(refused.headers["Location"])
    )
    _choose(admin, "weekly")
    assert re.search(r'value="weekly" checked', _text(admin.get("/panel/konto")))
    _choose(admin, "daily")
    _choose(admin, "none")
    with in_office(wolomin):
        assert db.session.scalar(select(func.count()).select_from(DigestSubscription)) == 0
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "alert_digest.change")
            .order_by(AuditEntry.id)
        ).all()
        assert [(e.before["digest"], e.after["digest"]) for e in entries] == [
            ("nie wysyłaj", "raz w tygodniu"),
            ("raz w tygodniu", "codziennie"),
            ("codziennie", "nie wysyłaj"),
        ]
    assert "Zmiana podsumowania e-mail" in _text(admin.get("/panel/dziennik"))
    with in_office(sierpc):
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "alert_digest.change")
            )
            == 0
        )


def test_a_department_managers_digest_tells_only_their_departments(
    two_offices, client_for, complete_answers, in_office
):
    from tenants.comments.digest import digest_for
    from tenants.survey.models import Department

    wolomin, sierpc = two_offices
    with in_office(wolomin):
        ours, other = db.session.scalars(select(Department.id).order_by(Department.id).limit(2))
    # Wołomin: 2 comments (one rated 1) in our department, 3 in the other (two rated 1–2),
    # 1 naming none (rated 1);
    # Sierpc: a comment on the same day.
    for department, comment, overall in (
        (ours, "Nasz wydział 1", "1"), (ours, "Nasz wydział 2", "4"),
        (other, "Inny wydział 1", "1"), (other, "Inny wydział 2", "2"),
        (other, "Inny wydział 3", "4"), (None, "Bez wydziału", "1"),
    ):  # fmt: skip
        answers = {**complete_answers(department, comment), "q-ogolna_satysfakcja": overall}
        client = client_for(wolomin)
        assert client.post("/", data={**client.survey_form(), **answers}).status_code == 303
    _submit(client_for, complete_answers, sierpc, "Sierpc", ogolna_satysfakcja="1")

    with in_office(wolomin) as tenant:
        today = tenant.today()
        whole = digest_for(tenant, today, today)
        scoped = digest_for(tenant, today, today, frozenset({ours}))
    assert (whole.comment_count, whole.low_count) == (6, 4)
    assert (scoped.comment_count, scoped.low_count) == (2, 1)
    assert sorted(c.text for c in scoped.comments) == ["Nasz wydział 1", "Nasz wydział 2"]
    assert len(scoped.low_response_ids) == 1
    assert set(scoped.low_response_ids) < set(whole.low_response_ids)
