"""Defences against ballot-stuffing that store nothing about the resident, and moderation of
suspect responses: rate limits (per hashed client, per kiosk), bot signals, burst flags, and
excluding or restoring a response with the counts following exactly."""

from __future__ import annotations

import random
import re
import socket
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from saas_platform.app import create_app
from saas_platform.core.db import db
from saas_platform.core.tenancy import current_tenant
from tenants.audit.models import AuditEntry
from tenants.survey import moderation
from tenants.survey.filters import Filters
from tenants.survey.models import Answer, Department, Question, Response, ResponseCount
from tests.conftest import HostClient, app_settings
from tests.survey.test_monthly_counts import daily_rolled_up, monthly_rows

ALICE = {"REMOTE_ADDR": "203.0.113.10"}
BOB = {"REMOTE_ADDR": "198.51.100.20"}


def _post(client: HostClient, answers: dict, query: str = "", address: dict = ALICE):
    form = {**client.survey_form(query), **answers}
    return client.post("/", data=form, environ_base=address)


def _responses(in_office, office, **filters) -> list[Response]:
    with in_office(office):
        return list(db.session.scalars(select(Response).filter_by(**filters)))


@pytest.fixture
def limits(app, monkeypatch):
    """Factory: small submission limits for one test."""

    def set_limits(per_hour=3, per_day=100, kiosk_per_hour=5, kiosk_per_day=100):
        for name, value in (
            ("SUBMISSIONS_PER_HOUR", per_hour),
            ("SUBMISSIONS_PER_DAY", per_day),
            ("KIOSK_SUBMISSIONS_PER_HOUR", kiosk_per_hour),
            ("KIOSK_SUBMISSIONS_PER_DAY", kiosk_per_day),
        ):
            monkeypatch.setitem(app.config, name, value)

    return set_limits


# -- rate limits -------------------------------------------------------------------------------


def test_a_client_posting_in_a_loop_is_refused_after_the_hourly_limit_another_is_not(
    two_offices, client_for, complete_answers, in_office, limits
):
    wolomin, sierpc = two_offices
    limits(per_hour=3)
    client = client_for(wolomin)
    statuses = [_post(client, complete_answers()).status_code for _ in range(5)]
    assert statuses == [303, 303, 303, 429, 429]
    refused = _post(client, complete_answers())
    page = refused.get_data(as_text=True)
    assert "Za dużo prób" in page and "wysłano już bardzo wiele ankiet" in page
    # a different client at the same office, and the same client at another office, go through
    assert _post(client_for(wolomin), complete_answers(), address=BOB).status_code == 303
    assert _post(client_for(sierpc), complete_answers()).status_code == 303
    assert len(_responses(in_office, wolomin)) == 4
    assert len(_responses(in_office, sierpc)) == 1


def test_the_daily_limit_applies_below_the_hourly_one(
    two_offices, client_for, complete_answers, limits
):
    wolomin, _ = two_offices
    limits(per_hour=50, per_day=2)
    client = client_for(wolomin)
    statuses = [_post(client, complete_answers()).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]


def test_the_counters_in_redis_hold_a_rotating_hash_not_the_address(
    app, two_offices, client_for, complete_answers, limits
):
    import redis

    wolomin, _ = two_offices
    limits()
    assert _post(client_for(wolomin), complete_answers()).status_code == 303
    store = redis.Redis.from_url(app.config["RATELIMIT_STORAGE_URI"])
    prefix = app.config["RATELIMIT_STORAGE_OPTIONS"]["key_prefix"]  # the login limiter's
    keys = [k.decode() for k in store.keys(f"{prefix}:*survey-submission*")]
    assert keys, "no submission counter in Redis"
    assert not any("203.0.113.10" in key for key in keys)
    assert all(store.ttl(key) > 0 for key in keys)  # every counter expires


def _new_kiosk(admin: HostClient, name: str = "Tablet w BOM") -> str:
    token_page = admin.get("/panel/kioski").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', token_page).group(1)
    page = admin.post("/panel/kioski", data={"csrf_token": csrf, "nazwa": name})
    assert page.status_code == 200
    link = re.search(r'<code id="link-kiosku">([^<]+)</code>', page.get_data(as_text=True))
    assert link, "the new kiosk's link is not shown"
    return link.group(1).replace("&amp;", "&").split("/", 3)[3]  # "?kanal=kiosk&kiosk=..."


def test_a_kiosk_with_its_token_has_its_own_limit_and_is_recorded_as_kiosk(
    two_offices, client_for, logged_in, complete_answers, in_office, limits
):
    wolomin, sierpc = two_offices
    limits(per_hour=2, kiosk_per_hour=4)
    query = _new_kiosk(logged_in(wolomin))
    assert "kanal=kiosk" in query
    # the office's own address has used up its client limit
    browser = client_for(wolomin)
    assert [_post(browser, complete_answers()).status_code for _ in range(3)] == [303, 303, 429]
    # the kiosk, behind the same address, is counted by its device
    kiosk = client_for(wolomin)
    form = kiosk.survey_form(query)
    assert form["kanal"] == "kiosk" and form["kiosk"]
    statuses = [_post(kiosk, complete_answers(), query).status_code for _ in range(5)]
    assert statuses == [303, 303, 303, 303, 429]
    thanks = kiosk.post("/", data={**kiosk.survey_form(query), **complete_answers()})
    assert thanks.status_code == 429
    assert len(_responses(in_office, wolomin, channel="kiosk")) == 4
    assert len(_responses(in_office, wolomin, channel="web")) == 2
    assert _responses(in_office, sierpc) == []


def test_the_kiosk_thank_you_page_leads_back_to_the_kiosk_form(
    two_offices, client_for, logged_in, complete_answers
):
    wolomin, _ = two_offices
    query = _new_kiosk(logged_in(wolomin))
    kiosk = client_for(wolomin)
    sent = _post(kiosk, complete_answers(), query)
    assert sent.status_code == 303
    thanks = kiosk.get(sent.headers["Location"]).get_data(as_text=True)
    token = query.split("kiosk=")[1]
    assert f"kiosk={token}" in thanks


def test_kiosk_channel_without_a_valid_token_is_recorded_as_web(
    two_offices, client_for, logged_in, complete_answers, in_office
):
    wolomin, sierpc = two_offices
    sierpc_kiosk = _new_kiosk(logged_in(sierpc))
    client = client_for(wolomin)
    assert _post(client, complete_answers(), "?kanal=kiosk").status_code == 303
    assert _post(client, complete_answers(), "?kanal=kiosk&kiosk=" + "x" * 43).status_code == 303
    # another office's kiosk token is no token here
    assert _post(client, complete_answers(), sierpc_kiosk).status_code == 303
    assert {r.channel for r in _responses(in_office, wolomin)} == {"web"}


def test_a_revoked_kiosk_is_an_ordinary_browser(
    two_offices, client_for, logged_in, complete_answers, in_office
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    query = _new_kiosk(admin)
    page = admin.get("/panel/kioski").get_data(as_text=True)
    revoke = re.search(r'action="(/panel/kioski/\d+/wylacz)"', page).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert admin.post(revoke, data={"csrf_token": csrf}).status_code == 302
    assert _post(client_for(wolomin), complete_answers(), query).status_code == 303
    assert [r.channel for r in _responses(in_office, wolomin)] == ["web"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def test_with_redis_unreachable_a_submission_is_stored_and_the_outage_logged(
    app, database, smtp_server, two_offices, complete_answers, in_office, caplog
):
    wolomin, sierpc = two_offices
    settings = app_settings(database, smtp_server.port)
    # Only the submission counters point at a dead Redis; the shared login limiter does not.
    settings["SUBMISSION_LIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{_closed_port()}/0"
    settings["SUBMISSIONS_PER_HOUR"] = 1
    settings["SURVEY_MIN_FILL_SECONDS"] = 0
    outage_app = create_app(settings)
    try:
        client = HostClient(outage_app, wolomin.host)
        with caplog.at_level("WARNING", logger="tenants.survey.guards"):
            statuses = [_post(client, complete_answers()).status_code for _ in range(2)]
        assert statuses == [303, 303]  # fails open: over the limit, but nothing counts
        assert "submission rate limit unavailable" in caplog.text
    finally:
        with outage_app.app_context():
            db.engine.dispose()
        app.extensions["celery"].set_default()
    assert len(_responses(in_office, wolomin)) == 2
    assert _responses(in_office, sierpc) == []


# -- bot signals -------------------------------------------------------------------------------


def test_a_form_sent_back_faster_than_a_person_reads_is_refused_politely(
    app, two_offices, client_for, complete_answers, in_office, monkeypatch
):
    wolomin, _ = two_offices
    monkeypatch.setitem(app.config, "SURVEY_MIN_FILL_SECONDS", 3)
    client = client_for(wolomin)
    form = {**client.survey_form(), **complete_answers()}
    refused = client.post("/", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "zbyt szybko" in page
    assert "Zażółć gęślą jaźń." in page  # the answers are kept for a second try
    assert f'value="{form["started"]}"' in page  # and the time keeps counting from the start
    assert _responses(in_office, wolomin) == []
    monkeypatch.setitem(app.config, "SURVEY_MIN_FILL_SECONDS", 0)  # as if 3 s went by
    assert client.post("/", data=form).status_code == 303


def test_a_form_older_than_the_csrf_lifetime_is_refused_with_refresh_advice(
    app, two_offices, client_for, complete_answers, in_office, monkeypatch
):
    wolomin, _ = two_offices
    assert app.config["SURVEY_FORM_MAX_AGE_SECONDS"] == app.config["WTF_CSRF_TIME_LIMIT"]
    client = client_for(wolomin)
    form = {**client.survey_form(), **complete_answers()}
    monkeypatch.setitem(app.config, "SURVEY_FORM_MAX_AGE_SECONDS", -1)  # any age is too old
    refused = client.post("/", data=form)
    assert refused.status_code == 422
    assert "Odśwież stronę" in refused.get_data(as_text=True)
    assert _responses(in_office, wolomin) == []


@pytest.mark.parametrize("started", ["", "not-a-stamp", "other-form"])
def test_a_missing_forged_or_foreign_start_stamp_is_refused(
    two_offices, client_for, complete_answers, in_office, started
):
    wolomin, sierpc = two_offices
    client = client_for(wolomin)
    form = {**client.survey_form(), **complete_answers()}
    if started == "other-form":
        started = client_for(sierpc).survey_form()["started"]  # another office, another key
    refused = client.post("/", data={**form, "started": started})
    assert refused.status_code == 422
    assert "Odśwież stronę" in refused.get_data(as_text=True)
    assert _responses(in_office, wolomin) == []


def test_paper_entry_is_not_subject_to_the_bot_signals(
    app, two_offices, logged_in, complete_answers, in_office, monkeypatch
):
    wolomin, _ = two_offices
    monkeypatch.setitem(app.config, "SURVEY_MIN_FILL_SECONDS", 3600)
    monkeypatch.setitem(app.config, "BURST_SIZE", 1)
    staff = logged_in(wolomin)
    for _ in range(3):
        page = staff.get("/panel/ankieta-papierowa").get_data(as_text=True)
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        form = {**hidden, "data_wypelnienia": "2025-11-03", **complete_answers()}
        assert staff.post("/panel/ankieta-papierowa", data=form).status_code == 303
    stored = _responses(in_office, wolomin)
    assert len(stored) == 3 and {r.flag_reason for r in stored} == {None}


# -- bursts and moderation ---------------------------------------------------------------------


def test_a_burst_of_identical_responses_is_flagged_not_refused(
    app, two_offices, client_for, complete_answers, in_office, monkeypatch
):
    wolomin, sierpc = two_offices
    monkeypatch.setitem(app.config, "BURST_SIZE", 3)
    client = client_for(wolomin)
    for _ in range(5):
        assert _post(client, complete_answers(), address=BOB).status_code == 303
    # different answers, and the same answers at another office, are not part of the burst
    assert _post(client, {**complete_answers(), "q-ogolna_satysfakcja": "1"}).status_code == 303
    for _ in range(2):
        assert _post(client_for(sierpc), complete_answers()).status_code == 303
    stored = sorted(_responses(in_office, wolomin), key=lambda r: r.id)
    assert [r.flag_reason for r in stored] == [None, None, None, "burst", "burst", None]
    assert len({r.fingerprint for r in stored[:5]}) == 1
    assert stored[5].fingerprint != stored[0].fingerprint
    assert {r.flag_reason for r in _responses(in_office, sierpc)} == {None}


def test_the_same_answers_for_another_department_are_not_one_burst(
    app, two_offices, client_for, complete_answers, in_office, monkeypatch
):
    wolomin, _ = two_offices
    monkeypatch.setitem(app.config, "BURST_SIZE", 2)
    with in_office(wolomin):
        first, second = db.session.scalars(select(Department.id).limit(2)).all()
    client = client_for(wolomin)
    for department in (first, second, first, second):
        assert _post(client, complete_answers(department)).status_code == 303
    assert {r.flag_reason for r in _responses(in_office, wolomin)} == {None}


def _flagged_responses(app, client_for, complete_answers, office, monkeypatch, count=4):
    monkeypatch.setitem(app.config, "BURST_SIZE", 1)
    client = client_for(office)
    for i in range(count):
        rating = "5" if i % 2 else "2"
        answers = {**complete_answers(), "q-ogolna_satysfakcja": rating}
        assert _post(client, answers, address={"REMOTE_ADDR": f"192.0.2.{i}"}).status_code == 303


def _results(in_office, office):
    from tenants.reports.stats import compute_results

    with in_office(office) as tenant:
        today = current_tenant.today()
        return compute_results(Filters(today, today), tenant.score_threshold)


def _decide(admin: HostClient, response_id: int, decision: str):
    page = admin.get("/panel/do-sprawdzenia").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return admin.post(
        f"/panel/do-sprawdzenia/{response_id}", data={"csrf_token": csrf, "decyzja": decision}
    )


def test_excluding_a_response_changes_the_results_by_exactly_it_and_restoring_undoes_it(
    app, two_offices, client_for, complete_answers, in_office, logged_in, monkeypatch
):
    wolomin, sierpc = two_offices
    # ratings 2, 5, 2, 5, 2, 5, 2 (enough for the results to show them)
    _flagged_responses(app, client_for, complete_answers, wolomin, monkeypatch, count=7)
    _flagged_responses(app, client_for, complete_answers, sierpc, monkeypatch, count=2)
    admin = logged_in(wolomin)
    page = admin.get("/panel/do-sprawdzenia").get_data(as_text=True)
    assert "<td>seria identycznych odpowiedzi</td>" in page
    flagged = [r for r in _responses(in_office, wolomin) if r.flag_reason]
    target = next(r for r in flagged if r.id == max(f.id for f in flagged))
    before = _results(in_office, wolomin)
    sierpc_before = _results(in_office, sierpc)

    assert _decide(admin, target.id, "wyklucz").status_code == 302
    after = _results(in_office, wolomin)
    assert after.responses == before.responses - 1
    overall = {r.key: r for r in before.items}["ogolna_satysfakcja"]
    overall_after = {r.key: r for r in after.items}["ogolna_satysfakcja"]
    assert (overall.score.n_responses, overall_after.score.n_responses) == (7, 6)
    assert overall_after.score.mean == pytest.approx((3 * 2 + 3 * 5) / 6)  # one "2" less
    assert _results(in_office, sierpc) == sierpc_before
    dashboard = admin.get("/panel/").get_data(as_text=True)
    assert re.search(r'id="wylaczone-z-wynikow">wyłączone z wyników: 1\b', dashboard)
    assert f"<td>{target.id}</td>" in admin.get("/panel/do-sprawdzenia").get_data(as_text=True)
    with in_office(wolomin):
        assert moderation.excluded_count(Filters(target.answered_on, target.answered_on)) == 1
        assert db.session.get(Response, target.id) is not None  # still stored

    assert _decide(admin, target.id, "przywroc").status_code == 302
    assert _results(in_office, wolomin) == before
    assert _decide(admin, target.id, "przywroc").status_code == 302  # twice: nothing changes
    assert _results(in_office, wolomin) == before
    with in_office(wolomin):
        actions = db.session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_type == "response", AuditEntry.object_id == target.id
            )
        ).all()
        assert actions == ["response.exclude", "response.restore"]
    with in_office(sierpc):
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_keeping_a_flagged_response_clears_the_flag_and_changes_no_number(
    app, two_offices, client_for, complete_answers, in_office, logged_in, monkeypatch
):
    wolomin, _ = two_offices
    _flagged_responses(app, client_for, complete_answers, wolomin, monkeypatch, count=3)
    flagged = next(r for r in _responses(in_office, wolomin) if r.flag_reason)
    before = _results(in_office, wolomin)
    assert _decide(logged_in(wolomin), flagged.id, "zostaw").status_code == 302
    assert _results(in_office, wolomin) == before
    assert [r.flag_reason for r in _responses(in_office, wolomin, id=flagged.id)] == [None]


def test_analysts_see_the_responses_to_check_but_cannot_decide(
    app, two_offices, client_for, complete_answers, in_office, logged_in, monkeypatch
):
    wolomin, sierpc = two_offices
    _flagged_responses(app, client_for, complete_answers, wolomin, monkeypatch, count=3)
    flagged = next(r for r in _responses(in_office, wolomin) if r.flag_reason)
    analyst = logged_in(wolomin, "analyst")
    page = analyst.get("/panel/do-sprawdzenia")
    assert page.status_code == 200 and "<td>seria identycznych odpowiedzi</td>" in page.get_data(
        as_text=True
    )
    assert "Wyłącz z wyników" not in page.get_data(as_text=True)
    assert _decide(analyst, flagged.id, "wyklucz").status_code == 403
    # another office's admin cannot touch it either
    other = logged_in(sierpc)
    other_page = other.get("/panel/do-sprawdzenia").get_data(as_text=True)
    assert "Nie ma odpowiedzi czekających na sprawdzenie." in other_page
    _decide(other, flagged.id, "wyklucz")
    assert _responses(in_office, wolomin, id=flagged.id)[0].excluded_at is None


def _counts_from_raw_rows() -> Counter:
    """What response_counts must hold, computed from scratch from responses and answers."""
    text_keys = {
        (q.version_id, q.key) for q in db.session.scalars(select(Question)) if q.kind == "text"
    }
    expected: Counter = Counter()
    for response in db.session.scalars(select(Response).where(Response.excluded_at.is_(None))):
        base = (response.version_id, response.department_id or 0, response.channel)
        where = (response.answered_on,)
        expected[(base[0], "*", *base[1:], *where, "")] += 1
        for answer in db.session.scalars(select(Answer).where(Answer.response_id == response.id)):
            if (response.version_id, answer.question_key) not in text_keys:
                expected[(base[0], answer.question_key, *base[1:], *where, answer.value)] += 1
    return expected


def _stored_counts() -> Counter:
    rows = db.session.scalars(select(ResponseCount).where(ResponseCount.count > 0))
    return Counter(
        {
            (c.version_id, c.question_key, c.department_id, c.channel, c.day, c.value): c.count
            for c in rows
        }
    )


def test_counts_equal_a_recomputation_after_any_sequence_of_exclude_and_restore(
    app, two_offices, client_for, complete_answers, in_office, monkeypatch
):
    wolomin, sierpc = two_offices
    monkeypatch.setitem(app.config, "BURST_SIZE", 100)
    with in_office(wolomin):
        departments = db.session.scalars(select(Department.id).limit(2)).all()
    for i in range(8):
        answers = complete_answers(departments[i % 2] if i % 3 else None)
        answers["q-ogolna_satysfakcja"] = str(1 + i % 5)
        query = "?kanal=qr" if i % 4 == 0 else ""
        address = {"REMOTE_ADDR": f"192.0.2.{i}"}
        assert _post(client_for(wolomin), answers, query, address).status_code == 303
    assert _post(client_for(sierpc), complete_answers()).status_code == 303
    with in_office(sierpc):
        sierpc_counts = _stored_counts()

    rng = random.Random(9)
    ids = [r.id for r in _responses(in_office, wolomin)]
    with in_office(wolomin):
        for _ in range(30):
            response_id = rng.choice(ids)
            excluded = db.session.get(Response, response_id).excluded_at is not None
            if excluded:
                moderation.restore_response(response_id)
            else:
                moderation.exclude_response(response_id)
            db.session.commit()
            db.session.expire_all()
            assert _stored_counts() == _counts_from_raw_rows()
        with pytest.raises(moderation.ModerationError):
            target = ids[0]
            if db.session.get(Response, target).excluded_at is None:
                moderation.exclude_response(target)
            moderation.exclude_response(target)
        db.session.rollback()
        # no count row is ever left at zero or below, and the months follow the days
        assert db.session.scalar(select(func.min(ResponseCount.count))) > 0
        assert monthly_rows() == daily_rolled_up()
    with in_office(sierpc):
        assert _stored_counts() == sierpc_counts == _counts_from_raw_rows()


def test_no_table_has_a_column_for_an_address_a_user_agent_or_a_client_hash(app, owner_engine):
    suspicious = re.compile(r"(^|_)(ip|ips|addr\w*|remote\w*|user_agent|agent|ua|client\w*)($|_)")
    with owner_engine.connect() as connection:
        columns = connection.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public'"
            )
        ).all()
    assert ("responses", "flag_reason") in columns  # the query sees this migration's columns
    found = {(t, c) for t, c in columns if suspicious.search(c) or "hash" in c}
    known = {
        ("tenants", "address"),  # the office's postal address
        ("tenants", "controller_address"),  # the data controller's postal address (RODO)
        ("kiosk_devices", "token_hash"),  # a hash of the office's own kiosk token
        ("staff_users", "password_hash"),
        ("platform_operators", "password_hash"),
    }
    assert found <= known, found - known
