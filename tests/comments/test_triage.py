"""Comment triage: every office starts with the topic list, staff give comments topics and a
status, the list filters by them, the dashboard counts them, the audit log names each change;
bad input is refused with a Polish message or a 404, and offices stay apart."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import psycopg2
from sqlalchemy import func, select

from saas_platform.core.db import db
from tenants.audit.models import AuditEntry
from tenants.comments.models import (
    DEFAULT_TOPICS,
    CommentTopic,
    CommentTopicLink,
    CommentTriage,
    DigestSubscription,
)
from tenants.survey.models import Response
from tenants.survey.retention import delete_response_batch
from tests.conftest import APP_ROLE, PG_HOST, csrf_token_of


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _submit(client_for, complete_answers, office, comment: str, **ratings) -> None:
    client = client_for(office)
    answers = {**complete_answers(comment=comment), **{f"q-{k}": v for k, v in ratings.items()}}
    assert client.post("/", data={**client.survey_form(), **answers}).status_code == 303


def _response_ids(in_office, office) -> list[int]:
    with in_office(office):
        return list(db.session.scalars(select(Response.id).order_by(Response.id)))


def _topic_ids(in_office, office) -> dict[str, int]:
    with in_office(office):
        return {t.name: t.id for t in db.session.scalars(select(CommentTopic))}


def _triage(staff, response_id: int, status: str, topic_ids: list[int], query: str = ""):
    token = csrf_token_of(staff.get("/panel/komentarze").get_data(as_text=True))
    return staff.post(
        f"/panel/komentarze/{response_id}/komentarz{query}",
        data={"csrf_token": token, "status": status, "temat": [str(i) for i in topic_ids]},
    )


def _count(in_office, office, model) -> int:
    with in_office(office):
        return db.session.scalar(select(func.count()).select_from(model))


def test_every_office_starts_with_the_same_topic_list_of_its_own(two_offices, in_office):
    wolomin, sierpc = two_offices
    for office in two_offices:
        with in_office(office):
            names = list(
                db.session.scalars(select(CommentTopic.name).order_by(CommentTopic.position))
            )
        assert names == list(DEFAULT_TOPICS)
    assert set(_topic_ids(in_office, wolomin).values()).isdisjoint(
        _topic_ids(in_office, sierpc).values()
    )


def test_an_analyst_triages_a_comment_and_the_list_filters_by_topic_and_status(
    two_offices, logged_in, client_for, complete_answers, in_office
):
    wolomin, sierpc = two_offices
    _submit(client_for, complete_answers, wolomin, "Brak miejsc na parkingu.")
    _submit(client_for, complete_answers, wolomin, "Długo czekałam w kolejce.")
    _submit(client_for, complete_answers, sierpc, "Komentarz z Sierpca.")
    parked, _ = _response_ids(in_office, wolomin)
    topics = _topic_ids(in_office, wolomin)
    analyst = logged_in(wolomin, "analyst")

    listing = _text(analyst.get("/panel/komentarze"))
    assert "Brak miejsc na parkingu." in listing and "Długo czekałam w kolejce." in listing
    assert "Komentarz z Sierpca." not in listing
    assert "Znaleziono komentarzy: 2" in listing

    saved = _triage(analyst, parked, "forwarded", [topics["parking"], topics["inne"]])
    assert saved.status_code == 303
    assert "#komentarz-" in saved.headers["Location"]
    assert "Zapisano stan i tematy" in _text(analyst.get(saved.headers["Location"]))

    by_topic = _text(analyst.get(f"/panel/komentarze?temat={topics['parking']}"))
    assert "Brak miejsc na parkingu." in by_topic and "Długo czekałam" not in by_topic
    forwarded = _text(analyst.get("/panel/komentarze?stan=przekazany"))
    assert "Brak miejsc na parkingu." in forwarded and "Długo czekałam" not in forwarded
    fresh = _text(analyst.get("/panel/komentarze?stan=nowy"))
    assert "Długo czekałam w kolejce." in fresh and "Brak miejsc" not in fresh

    # Topics changed again: one link goes, one comes, the status moves on.
    assert _triage(analyst, parked, "resolved", [topics["parking"]]).status_code == 303
    with in_office(wolomin):
        row = db.session.scalars(select(CommentTriage)).one()
        assert (row.response_id, row.status) == (parked, "resolved")
        linked = set(db.session.scalars(select(CommentTopicLink.topic_id)))
        assert linked == {topics["parking"]}
    assert _count(in_office, sierpc, CommentTriage) == 0


def test_the_dashboard_counts_the_periods_comments_by_topic_and_status(
    two_offices, logged_in, client_for, complete_answers, in_office
):
    wolomin, sierpc = two_offices
    for text in ("Parking za mały.", "Parking płatny.", "Miła pani w okienku."):
        _submit(client_for, complete_answers, wolomin, text)
    _submit(client_for, complete_answers, sierpc, "Parking w Sierpcu.")
    first, second, _ = _response_ids(in_office, wolomin)
    topics = _topic_ids(in_office, wolomin)
    admin = logged_in(wolomin, "admin")
    _triage(admin, first, "read", [topics["parking"]])
    _triage(admin, second, "read", [topics["parking"], topics["inne"]])

    page = _text(admin.get("/panel/"))
    table = page[page.index('id="tematy-komentarzy"') :]
    table = table[: table.index("</table>")]
    counts = dict(re.findall(r">([^<>]+)</a></th><td>(\d+)</td>", table))
    assert counts["parking"] == "2" and counts["inne"] == "1" and counts["uprzejmość"] == "0"
    assert '<th scope="row">bez tematu</th><td>1</td>' in table
    assert "Komentarze w okresie: 3" in table
    assert "Nowe (nieprzeczytane):" in page

    sierpc_admin = logged_in(sierpc, "admin")
    other = _text(sierpc_admin.get("/panel/"))
    other_table = other[other.index('id="tematy-komentarzy"') :]
    assert "Komentarze w okresie: 1" in other_table
    assert re.search(r">parking</a></th><td>0</td>", other_table)


def test_another_offices_comment_and_topic_ids_are_refused_and_nothing_is_stored(
    two_offices, logged_in, client_for, complete_answers, in_office
):
    wolomin, sierpc = two_offices
    _submit(client_for, complete_answers, wolomin, "Komentarz z Wołomina.")
    _submit(client_for, complete_answers, sierpc, "Komentarz z Sierpca.")
    [own] = _response_ids(in_office, wolomin)
    [foreign] = _response_ids(in_office, sierpc)
    foreign_topic = _topic_ids(in_office, sierpc)["parking"]
    admin = logged_in(wolomin, "admin")

    assert _triage(admin, foreign, "read", []).status_code == 404
    assert _triage(admin, 2**40, "read", []).status_code == 404
    token = csrf_token_of(admin.get("/panel/komentarze").get_data(as_text=True))
    not_a_comment = admin.post(
        f"/panel/komentarze/{own}/ogolna_satysfakcja",
        data={"csrf_token": token, "status": "read"},
    )
    assert not_a_comment.status_code == 404

    refused = _triage(admin, own, "read", [foreign_topic])
    assert refused.status_code == 303
    assert "Nie ma takiego tematu na liście urzędu" in _text(admin.get(refused.headers["Location"]))
    garbage = admin.post(
        f"/panel/komentarze/{own}/komentarz",
        data={"csrf_token": token, "status": "read", "temat": ["abc"]},
    )
    assert garbage.status_code == 303
    bad_status = _triage(admin, own, "zrobione", [])
    assert "Wybierz stan komentarza" in _text(admin.get(bad_status.headers["Location"]))
    assert _count(in_office, wolomin, CommentTriage) == 0

    filtered = admin.get(f"/panel/komentarze?temat={foreign_topic}&stan=zly")
    assert filtered.status_code == 400
    page = _text(filtered)
    assert "Nie ma takiego tematu na liście urzędu" in page and "Nieznany stan komentarza" in page
    assert "Komentarz z Wołomina." in page

    assert (
        admin.post(
            f"/panel/komentarze/tematy/{foreign_topic}/usun", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert (
        admin.post(
            f"/panel/komentarze/tematy/{foreign_topic}", data={"csrf_token": token, "nazwa": "x"}
        ).status_code
        == 404
    )
    assert _topic_ids(in_office, sierpc)["parking"] == foreign_topic


def test_admins_edit_the_topic_list_with_polish_messages_and_markup_shown_as_text(
    two_offices, logged_in, in_office
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin, "admin")
    token = csrf_token_of(admin.get("/panel/komentarze/tematy").get_data(as_text=True))

    too_long = admin.post("/panel/komentarze/tematy", data={"csrf_token": token, "nazwa": "ż" * 61})
    assert too_long.status_code == 400
    assert "Nazwa tematu może mieć najwyżej 60 znaków (wpisano 61)." in _text(too_long)
    empty = admin.post("/panel/komentarze/tematy", data={"csrf_token": token, "nazwa": "  "})
    assert empty.status_code == 400 and "Podaj nazwę tematu" in _text(empty)
    twice = admin.post("/panel/komentarze/tematy", data={"csrf_token": token, "nazwa": "PARKING"})
    assert twice.status_code == 400 and "Temat „PARKING” już jest na liście." in _text(twice)
    control = admin.post("/panel/komentarze/tematy", data={"csrf_token": token, "nazwa": "a\x00b"})
    assert control.status_code == 400 and "niedozwolone znaki" in _text(control)

    added = admin.post(
        "/panel/komentarze/tematy", data={"csrf_token": token, "nazwa": "<b>toalety</b>"}
    )
    assert added.status_code == 303
    raw = admin.get("/panel/komentarze/tematy").get_data(as_text=True)
    assert "&lt;b&gt;toalety&lt;/b&gt;" in raw and "<b>toalety</b>" not in raw
    listing = admin.get("/panel/komentarze").get_data(as_text=True)
    assert "&lt;b&gt;toalety&lt;/b&gt;" in listing and "<b>toalety</b>" not in listing

    topics = _topic_ids(in_office, wolomin)
    renamed = admin.post(
        f"/panel/komentarze/tematy/{topics['inne']}",
        data={"csrf_token": token, "nazwa": "pozostałe sprawy"},
    )
    assert renamed.status_code == 303
    clash = admin.post(
        f"/panel/komentarze/tematy/{topics['parking']}",
        data={"csrf_token": token, "nazwa": "Informacja"},
    )
    assert "Temat „Informacja” już jest na liście." in _text(admin.get(clash.headers["Location"]))
    deleted = admin.post(
        f"/panel/komentarze/tematy/{topics['formularze']}/usun", data={"csrf_token": token}
    )
    assert deleted.status_code == 303
    names = set(_topic_ids(in_office, wolomin))
    assert {"pozostałe sprawy", "<b>toalety</b>", "parking"} <= names
    assert "inne" not in names and "formularze" not in names
    assert set(_topic_ids(in_office, sierpc)) == set(DEFAULT_TOPICS)

    log = _text(admin.get("/panel/dziennik"))
    for label in (
        "Dodanie tematu komentarzy",
        "Zmiana nazwy tematu komentarzy",
        "Usunięcie tematu komentarzy",
    ):
        assert label in log


def test_analysts_triage_but_only_admins_edit_the_topic_list(
    two_offices, logged_in, client_for, complete_answers, in_office
):
    wolomin, _ = two_offices
    _submit(client_for, complete_answers, wolomin, "Formularz niezrozumiały.")
    [response_id] = _response_ids(in_office, wolomin)
    topics = _topic_ids(in_office, wolomin)
    analyst = logged_in(wolomin, "analyst")
    token = csrf_token_of(analyst.get("/panel/komentarze/tematy").get_data(as_text=True))
    assert "Dodaj temat" not in _text(analyst.get("/panel/komentarze/tematy"))
    assert (
        analyst.post(
            "/panel/komentarze/tematy", data={"csrf_token": token, "nazwa": "nowy"}
        ).status_code
        == 403
    )
    assert (
        analyst.post(
            f"/panel/komentarze/tematy/{topics['parking']}/usun", data={"csrf_token": token}
        ).status_code
        == 403
    )
    assert _triage(analyst, response_id, "read", [topics["formularze"]]).status_code == 303
    assert _count(in_office, wolomin, CommentTriage) == 1


def test_each_triage_change_is_in_the_audit_log_with_readable_labels(
    two_offices, logged_in, client_for, complete_answers, in_office
):
    wolomin, sierpc = two_offices
    _submit(client_for, complete_answers, wolomin, "Nieczynne w sobotę.")
    [response_id] = _response_ids(in_office, wolomin)
    topics = _topic_ids(in_office, wolomin)
    analyst = logged_in(wolomin, "analyst")
    _triage(analyst, response_id, "forwarded", [topics["godziny otwarcia"]])
    _triage(analyst, response_id, "forwarded", [topics["godziny otwarcia"]])  # no change

    with in_office(wolomin):
        [entry] = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "comment.triage")
        ).all()
        assert entry.before == {"comment_status": "nowy", "topics": []}
        assert entry.after == {"comment_status": "przekazany", "topics": ["godziny otwarcia"]}
        entry_id = entry.id
    admin = logged_in(wolomin, "admin")
    log = _text(admin.get("/panel/dziennik"))
    assert "Stan i tematy komentarza" in log and "odpowiedź z " in log
    detail = _text(admin.get(f"/panel/dziennik/{entry_id}"))
    assert "stan komentarza" in detail and "przekazany" in detail
    assert "tematy" in detail and "godziny otwarcia" in detail
    with in_office(sierpc):
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "comment.triage")
            )
            == 0
        )


def test_the_new_tables_show_the_app_role_nothing_without_an_office(
    two_offices, logged_in, client_for, complete_answers, in_office, database
):
    for office in two_offices:
        _submit(client_for, complete_answers, office, f"Komentarz {office.slug}.")
        [response_id] = _response_ids(in_office, office)
        staff = logged_in(office, "admin")
        _triage(staff, response_id, "read", [_topic_ids(in_office, office)["parking"]])
        token = csrf_token_of(staff.get("/panel/konto").get_data(as_text=True))
        staff.post(
            "/panel/konto/podsumowanie", data={"csrf_token": token, "czestotliwosc": "daily"}
        )
        assert _count(in_office, office, DigestSubscription) == 1
    tables = (
        "comment_topics", "comment_triage", "comment_topic_links",
        "digest_subscriptions", "digest_windows",
    )  # fmt: skip
    connection = psycopg2.connect(host=PG_HOST, user=APP_ROLE, dbname=database.name)
    try:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"SELECT count(*) FROM {table}")
                assert cursor.fetchone() == (0,), table
            wolomin, _ = two_offices
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", (str(wolomin.id),))
            cursor.execute("SELECT DISTINCT tenant_id FROM comment_topics")
            assert cursor.fetchall() == [(wolomin.id,)]
            cursor.execute("SELECT count(*) FROM comment_topic_links")
            assert cursor.fetchone() == (1,)
    finally:
        connection.close()


def test_retention_takes_a_deleted_responses_triage_along_and_keeps_the_topics(
    two_offices, logged_in, client_for, complete_answers, in_office
):
    wolomin, sierpc = two_offices
    for office in two_offices:
        _submit(client_for, complete_answers, office, f"Do usunięcia {office.slug}.")
        [response_id] = _response_ids(in_office, office)
        staff = logged_in(office, "admin")
        _triage(staff, response_id, "read", [_topic_ids(in_office, office)["parking"]])
    with in_office(wolomin) as tenant:
        assert delete_response_batch(tenant.today() + timedelta(days=1), 100) == 1
        db.session.commit()
    assert _count(in_office, wolomin, CommentTriage) == 0
    assert _count(in_office, wolomin, CommentTopicLink) == 0
    assert _count(in_office, wolomin, CommentTopic) == len(DEFAULT_TOPICS)
    assert _count(in_office, sierpc, CommentTriage) == 1
    assert _count(in_office, sierpc, CommentTopicLink) == 1
