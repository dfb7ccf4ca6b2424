"""Storing an answer when the database pushes back: a deadlock is run again and stores once
(or, every time, gives the unavailable page and stores nothing); an office or a department
deleted by another process a moment ago answers politely; and the count rows an answer adds are
free the moment PostgreSQL has stored it."""

from __future__ import annotations

import psycopg2
import pytest
from sqlalchemy import event, text

from saas_platform.core.db import db
from tests.conftest import PG_HOST, PG_SUPERUSER


@pytest.fixture
def deadlocks_on_store(owner_engine):
    """Makes PostgreSQL report a deadlock on the next ``n`` response inserts, as it does to the
    side it aborts; a sequence counts them (nextval survives the aborted transaction)."""
    installed = []

    def install(n: int) -> None:
        with owner_engine.begin() as conn:
            conn.execute(text("CREATE SEQUENCE test_deadlocks"))
            conn.execute(
                text(
                    f"""
                    CREATE FUNCTION test_raise_deadlock() RETURNS trigger
                    LANGUAGE plpgsql SECURITY DEFINER AS $$
                    BEGIN
                        IF nextval('test_deadlocks') <= {int(n)} THEN
                            RAISE EXCEPTION 'deadlock detected (test)'
                                USING ERRCODE = 'deadlock_detected';
                        END IF;
                        RETURN NEW;
                    END $$
                    """
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER test_deadlock BEFORE INSERT ON responses "
                    "FOR EACH ROW EXECUTE FUNCTION test_raise_deadlock()"
                )
            )
        installed.append(n)

    yield install
    if installed:
        with owner_engine.begin() as conn:
            conn.execute(text("DROP TRIGGER test_deadlock ON responses"))
            conn.execute(text("DROP FUNCTION test_raise_deadlock()"))
            conn.execute(text("DROP SEQUENCE test_deadlocks"))


def _stored_responses(owner_engine, office) -> int:
    with owner_engine.connect() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, false)"), {"t": str(office.id)})
        return conn.execute(text("SELECT count(*) FROM responses")).scalar()


def _counted_responses(owner_engine, office) -> int:
    with owner_engine.connect() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, false)"), {"t": str(office.id)})
        return conn.execute(
            text("SELECT coalesce(sum(count), 0) FROM response_counts WHERE question_key = '*'")
        ).scalar()


def test_a_deadlock_while_storing_is_run_again_and_stores_once(
    app, two_offices, client_for, complete_answers, owner_engine, deadlocks_on_store
):
    """PostgreSQL aborted the resident's side of a deadlock (a staff merge of the same
    counts): the answer is stored by the next attempt, exactly once, counts included."""
    wolomin, sierpc = two_offices
    client = client_for(wolomin)
    form = client.survey_form()
    deadlocks_on_store(2)
    answered = client.post("/", data={**form, **complete_answers()})
    assert answered.status_code == 303, answered.get_data(as_text=True)[:300]
    assert _stored_responses(owner_engine, wolomin) == 1
    assert _counted_responses(owner_engine, wolomin) == 1
    assert _stored_responses(owner_engine, sierpc) == 0


def test_a_deadlock_every_time_gives_the_unavailable_page_and_stores_nothing(
    app, two_offices, client_for, complete_answers, owner_engine, deadlocks_on_store
):
    wolomin, _ = two_offices
    client = client_for(wolomin)
    form = client.survey_form()
    deadlocks_on_store(3)
    answered = client.post("/", data={**form, **complete_answers()})
    assert answered.status_code == 503
    assert "Traceback" not in answered.get_data(as_text=True)
    assert _stored_responses(owner_engine, wolomin) == 0
    assert _counted_responses(owner_engine, wolomin) == 0


def test_an_office_deleted_by_another_process_a_moment_ago_answers_politely(
    app, two_offices, client_for, complete_answers, owner_engine
):
    """The residents' pages remember their office for SURVEY_PAGE_CACHE_SECONDS; an answer
    sent in that moment after another process deleted the office gets the page a fresh
    request gets (404), not an error, and stores nothing; the next request is a 404 too."""
    wolomin, sierpc = two_offices
    client = client_for(wolomin)
    form = client.survey_form()  # this process now remembers the office
    with owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM tenants WHERE id = :id"), {"id": wolomin.id})
    answered = client.post("/", data={**form, **complete_answers()})
    assert answered.status_code == 404
    assert "Traceback" not in answered.get_data(as_text=True)
    assert client.get("/").status_code == 404  # forgotten at once, not after the bound
    with owner_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tenants")).scalar() == 1
    assert _stored_responses(owner_engine, sierpc) == 0


def test_a_department_deleted_by_another_process_a_moment_ago_answers_politely(
    app, two_offices, client_for, complete_answers, owner_engine
):
    """The department a resident picked was deleted by another process (whose change this
    process has not heard of yet): the unavailable page, nothing stored, no error."""
    wolomin, sierpc = two_offices
    client = client_for(wolomin)
    form = client.survey_form()
    with owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(wolomin.id)})
        department = conn.execute(text("SELECT min(id) FROM departments")).scalar()
        conn.execute(text("DELETE FROM departments WHERE id = :id"), {"id": department})
    answered = client.post("/", data={**form, **complete_answers(department_id=department)})
    assert answered.status_code == 503
    assert "Ankieta jest chwilowo niedostępna" in answered.get_data(as_text=True)
    assert _stored_responses(owner_engine, wolomin) == 0
    assert _stored_responses(owner_engine, sierpc) == 0
    assert client.survey_form()  # the office itself still answers


def test_the_counts_an_answer_adds_are_free_once_postgresql_has_stored_it(
    app, database, two_offices, client_for, complete_answers, owner_engine
):
    """Residents of one office add to the same count rows. The storing statement is a
    transaction PostgreSQL commits by itself: the moment it has answered, before the app has
    done anything more, another transaction updates those rows without waiting. (Had the app
    to send COMMIT, the rows would stay locked until this thread ran again; under load, that
    wait is what the other residents queued behind.)"""
    wolomin, sierpc = two_offices
    client = client_for(wolomin)
    form = client.survey_form()
    updated_meanwhile = []

    def update_the_same_counts(conn, cursor, statement, parameters, context, executemany):
        if "INSERT INTO responses" not in statement:
            return
        other = psycopg2.connect(host=PG_HOST, user=PG_SUPERUSER, dbname=database.name)
        try:
            with other.cursor() as cur:
                cur.execute("SET lock_timeout = '2s'")  # held locks: LockNotAvailable
                cur.execute(
                    "UPDATE response_counts SET count = count WHERE tenant_id = %s", (wolomin.id,)
                )
                updated_meanwhile.append(cur.rowcount)
            other.rollback()
        finally:
            other.close()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", update_the_same_counts)
    try:
        answered = client.post("/", data={**form, **complete_answers()})
    finally:
        event.remove(engine, "after_cursor_execute", update_the_same_counts)
    assert answered.status_code == 303, answered.get_data(as_text=True)[:300]
    assert len(updated_meanwhile) == 1 and updated_meanwhile[0] > 1  # the answer's own rows
    assert _stored_responses(owner_engine, wolomin) == 1
    assert _counted_responses(owner_engine, wolomin) == 1
    assert _stored_responses(owner_engine, sierpc) == 0
