"""Running it in production: JSON log lines with the office and the request id, Prometheus
metrics (tenant-agnostic routes, access control, multiprocess gunicorn), the one trusted proxy
hop, and the operator's ``config check`` and ``queues`` commands."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
import redis
import requests
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from config import ConfigurationError, load_settings
from saas_platform.app import create_app
from saas_platform.cli import main
from saas_platform.core.db import db, utcnow
from saas_platform.core.observability.logs import configure_logging
from saas_platform.core.observability.metrics import QueueDepthCollector
from tenants.reports.models import Report
from tests.conftest import (
    APP_ROLE,
    PG_HOST,
    PLATFORM_DOMAIN,
    PRODUCTION_SETTINGS,
    SECRETS_KEY,
    TEST_REDIS_URL,
    HostClient,
    app_settings,
    csrf_token_of,
)
from tests.reports.test_end_to_end import wait_for_report

REPO = Path(__file__).resolve().parents[2]
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def json_log(app):
    """The platform's log handler writing JSON into a buffer; returns a reader of the lines."""
    stream = io.StringIO()
    configure_logging("json", "INFO", stream)

    def lines() -> list[dict]:
        # every line must be one JSON object: json.loads fails on anything else
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])


def metric(client: HostClient, name: str, **labels) -> float:
    """The sum of a metric's samples with these labels, as /metrics shows it now."""
    page = client.get("/metrics")
    assert page.status_code == 200
    total = 0.0
    for family in text_string_to_metric_families(page.get_data(as_text=True)):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


# --- logs ---------------------------------------------------------------------------------


def test_every_log_line_is_json_with_the_office_and_the_request_id(
    two_offices, client_for, json_log
):
    wolomin, sierpc = two_offices
    first = client_for(wolomin).get("/", headers={"X-Request-ID": "proxy-req-0001"})
    cached = client_for(wolomin).get("/", headers={"X-Request-ID": "proxy-req-0002"})
    other = client_for(sierpc).get("/")
    unknown = client_for(f"nieznany.{PLATFORM_DOMAIN}").get("/")
    assert [r.status_code for r in (first, cached, other, unknown)] == [200, 200, 200, 404]
    assert first.headers["X-Request-ID"] == "proxy-req-0001"
    assert GENERATED_ID.match(other.headers["X-Request-ID"])

    lines = json_log()
    by_request = {}
    for line in lines:
        assert {"ts", "level", "logger", "message", "tenant", "request_id"} <= line.keys()
        by_request.setdefault(line["request_id"], []).append(line)
    for request_id, slug in (
        ("proxy-req-0001", "wolomin"),
        ("proxy-req-0002", "wolomin"),  # served from the micro-cache, still its office
        (other.headers["X-Request-ID"], "sierpc"),
        (unknown.headers["X-Request-ID"], None),
    ):
        assert by_request[request_id], request_id
        assert {line["tenant"] for line in by_request[request_id]} == {slug}
    access = [line for line in by_request["proxy-req-0001"] if line.get("route") == "/"]
    assert access and access[0]["status"] == 200 and access[0]["method"] == "GET"


def test_single_use_link_tokens_never_reach_the_log(two_offices, client_for, json_log):
    secret = "Zm9vYmFyLXNpbmdsZS11c2UtdG9rZW4tZm9yLXRlc3Rz"
    response = client_for(two_offices[0]).get(f"/panel/haslo/{secret}")
    assert response.status_code < 500
    log_text = json.dumps(json_log())
    assert secret not in log_text
    assert '"route": "/panel/haslo/<token>"' in log_text


@pytest.mark.parametrize("value", ["short", "x" * 200, "spaces are not ids", "<script>"])
def test_an_implausible_request_id_is_replaced(two_offices, client_for, value):
    response = client_for(two_offices[0]).get("/healthz", headers={"X-Request-ID": value})
    assert GENERATED_ID.match(response.headers["X-Request-ID"])


def test_an_exception_is_one_json_line(app, json_log):
    try:
        raise ValueError("zażółć\ngęślą")
    except ValueError:
        logging.getLogger("satysfakcja.test").exception("nie udało się")
    (line,) = [x for x in json_log() if x["logger"] == "satysfakcja.test"]
    assert "Traceback" in line["exception"] and "gęślą" in line["exception"]


def test_log_format_defaults_json_in_production_text_embedded():
    production = PRODUCTION_SETTINGS
    assert load_settings(production)["LOG_FORMAT"] == "json"
    assert load_settings(production)["PROXY_FIX_HOPS"] == 1
    assert load_settings({})["LOG_FORMAT"] == "text"
    assert load_settings({})["PROXY_FIX_HOPS"] == 0
    assert load_settings({**production, "LOG_FORMAT": "text"})["LOG_FORMAT"] == "text"
    with pytest.raises(ConfigurationError, match="LOG_FORMAT"):
        load_settings({"LOG_FORMAT": "xml"})


def _ask_for_report(client) -> None:
    token = csrf_token_of(client.get("/panel/raporty").get_data(as_text=True))
    response = client.post(
        "/panel/raporty", data={"csrf_token": token, "period": "this_year", "department": ""}
    )
    assert response.status_code == 302


def test_task_log_lines_carry_the_office_and_the_render_is_timed(
    two_offices, logged_in, in_office, client_for, json_log
):
    wolomin, sierpc = two_offices
    renders_before = metric(client_for(wolomin), "satysfakcja_report_render_seconds_count")
    _ask_for_report(logged_in(wolomin))
    with in_office(wolomin):
        report_id = db.session.scalar(select(Report.id))
    assert wait_for_report(in_office, wolomin, report_id).status == "done"
    with in_office(sierpc):
        assert db.session.scalar(select(Report.id)) is None

    deadline = time.monotonic() + 10
    while True:
        done = [x for x in json_log() if x.get("task", "").endswith("render_report")]
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert done, "no log line of the render task"
    assert done[0]["tenant"] == "wolomin"
    assert done[0]["request_id"]  # the Celery task id
    assert not GENERATED_ID.match(done[0]["request_id"] or "")
    assert all(x["tenant"] != "sierpc" for x in json_log() if x.get("task"))
    after = metric(client_for(wolomin), "satysfakcja_report_render_seconds_count")
    assert after == renders_before + 1


# --- metrics ------------------------------------------------------------------------------


def test_requests_are_counted_by_route_never_by_host_or_raw_path(two_offices, client_for):
    wolomin, sierpc = two_offices
    a, b = client_for(wolomin), client_for(sierpc)
    before = metric(a, "satysfakcja_http_requests_total", route="/", method="GET", status="200")
    unmatched = metric(a, "satysfakcja_http_requests_total", route="<unmatched>")
    assert a.get("/").status_code == 200 and b.get("/").status_code == 200
    assert a.get("/nie-ma-takiej-strony-123").status_code == 404
    b.get("/panel/raporty/987654/pdf")
    after = metric(a, "satysfakcja_http_requests_total", route="/", method="GET", status="200")
    assert after == before + 2
    assert metric(a, "satysfakcja_http_requests_total", route="<unmatched>") == unmatched + 1
    assert metric(b, "satysfakcja_http_requests_total", route="/panel/raporty/<int:report_id>/pdf")
    page = a.get("/metrics").get_data(as_text=True)
    for leaked in ("wolomin", "sierpc", PLATFORM_DOMAIN, "987654", "nie-ma-takiej"):
        assert leaked not in page


def test_metrics_only_for_the_allow_list_or_the_bearer_token(app, two_offices, client_for):
    client = client_for(two_offices[1])
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics").status_code == 200  # loopback: the default allow-list
    assert client.get("/metrics", environ_base=outside).status_code == 404
    app.config["METRICS_TOKEN"] = "prometheus-scrape-token-2026"
    try:
        good = {"Authorization": "Bearer prometheus-scrape-token-2026"}
        bad = {"Authorization": "Bearer guessed"}
        assert client.get("/metrics", environ_base=outside, headers=good).status_code == 200
        assert client.get("/metrics", environ_base=outside, headers=bad).status_code == 404
    finally:
        app.config["METRICS_TOKEN"] = ""


def test_submissions_are_counted_once_per_stored_response(
    two_offices, client_for, complete_answers
):
    wolomin, sierpc = two_offices
    client = client_for(wolomin)
    before = metric(client, "satysfakcja_survey_submissions_total", channel="web")
    form = {**client.survey_form(), **complete_answers()}
    assert client.post("/", data=form).status_code == 303
    assert client.post("/", data=form).status_code == 303  # sent again: stored once
    assert metric(client, "satysfakcja_survey_submissions_total", channel="web") == before + 1
    other = client_for(sierpc)
    assert other.post("/", data={**other.survey_form(), **complete_answers()}).status_code == 303
    assert metric(other, "satysfakcja_survey_submissions_total", channel="web") == before + 2


def test_queue_depth_is_read_from_redis_when_scraped(app, two_offices, client_for):
    client = redis.Redis.from_url(TEST_REDIS_URL)
    queue = "metrics-test-queue"
    client.delete(queue, f"{queue}\x06\x163")
    client.rpush(queue, "a", "b")
    client.rpush(f"{queue}\x06\x163", "c")  # a priority step of the same queue
    try:
        families = {f.name: f for f in QueueDepthCollector(TEST_REDIS_URL, [queue]).collect()}
        assert families["satysfakcja_broker_up"].samples[0].value == 1
        assert families["satysfakcja_queue_depth"].samples[0].value == 3
    finally:
        client.delete(queue, f"{queue}\x06\x163")
    down = {f.name: f for f in QueueDepthCollector("redis://127.0.0.1:1/0", [queue]).collect()}
    assert down["satysfakcja_broker_up"].samples[0].value == 0
    assert "satysfakcja_queue_depth" not in down
    scraped = client_for(two_offices[0])
    default_queue = app.extensions["celery"].conf.task_default_queue
    assert metric(scraped, "satysfakcja_broker_up") == 1
    page = scraped.get("/metrics").get_data(as_text=True)
    assert f'satysfakcja_queue_depth{{queue="{default_queue}"}}' in page


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(database, smtp_port: int, **extra) -> dict[str, str]:
    """The environment of a production process pointed at the test services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS", "LOG_"))}
    env.update(
        APP_ENV="production",
        DATABASE_URL=f"postgresql://{APP_ROLE}:app-password-not-shown@{PG_HOST}/{database.name}",
        REDIS_URL=TEST_REDIS_URL,
        SECRET_KEY="s" * 24 + "-long-enough-secret-key-for-tests",
        SECRETS_KEY=SECRETS_KEY,
        PLATFORM_DOMAIN=PLATFORM_DOMAIN,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        MAIL_DEFAULT_SENDER="ankieta@satysfakcja.test",
    )
    env.update(extra)
    return env


def test_gunicorn_workers_add_up_their_metrics_in_multiprocess_mode(
    app, database, smtp_server, tmp_path
):
    port = _free_port()
    metrics_dir = tmp_path / "prometheus"
    stale = metrics_dir / "counter_999999.db"
    metrics_dir.mkdir()
    stale.write_bytes(b"left over from the previous run")
    env = production_env(
        database,
        smtp_server.port,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="2",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        PROXY_FIX="0",
    )
    command = ["gunicorn", "-c", "config/gunicorn.py", "saas_platform.app:create_app()"]
    bin_dir = Path(sys.executable).parent
    log_file = tmp_path / "gunicorn.log"
    server = subprocess.Popen(
        [str(bin_dir / command[0]), *command[1:]],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log_file.open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # two workers each build the app: slow on a busy box
        while True:
            try:  # /readyz: a poll that times out may still be answered later
                requests.get(base + "/readyz", timeout=5)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        assert not stale.exists()  # the master cleared the previous run's samples

        def fetch(_):
            with requests.Session() as session:  # a new connection each: any worker
                return session.get(base + "/healthz", timeout=5).status_code

        # /readyz came from the first worker up; the second may still be building the app on a
        # busy box: ask in rounds of 200 until both have answered.
        answered, pids = 0, set()
        deadline = time.monotonic() + 60
        with ThreadPoolExecutor(8) as pool:
            while len(pids) < 2:
                assert time.monotonic() < deadline, f"both workers should have answered: {pids}"
                assert set(pool.map(fetch, range(200))) == {200}
                answered += 200
                pids = {p.name.split("_")[-1] for p in metrics_dir.glob("counter_*.db")}
        assert len(pids) == 2
        totals = set()
        for _ in range(10):  # whichever worker answers the scrape, the totals are the same
            page = requests.get(base + "/metrics", timeout=5).text
            for family in text_string_to_metric_families(page):
                for sample in family.samples:
                    if sample.name == "satysfakcja_http_requests_total" and (
                        sample.labels["route"] == "/healthz"
                    ):
                        totals.add(sample.value)
        assert totals == {float(answered)}
    finally:
        server.terminate()
        server.wait(timeout=30)
    # gunicorn's own lines and the app's: every one a JSON object
    log_lines = log_file.read_text().splitlines()
    assert any(json.loads(line)["logger"] == "gunicorn.error" for line in log_lines)
    assert sum(json.loads(line).get("route") == "/healthz" for line in log_lines) == answered


# --- the one trusted proxy hop ------------------------------------------------------------


@pytest.fixture
def proxied_app(app, database, smtp_server):
    """The app as production runs it behind nginx (PROXY_FIX), on the same database."""
    proxied = create_app(
        {
            **app_settings(database, smtp_server.port),
            "PROXY_FIX_HOPS": 1,
            "FORWARDED_ALLOW_IPS": "127.0.0.1,10.0.0.5",  # nginx, in the tests below
        }
    )
    yield proxied
    app.extensions["celery"].set_current()
    app.extensions["celery"].set_default()


def test_the_forwarded_host_resolves_the_office_and_https_makes_https_links(
    two_offices, proxied_app, app
):
    wolomin, _ = two_offices
    forwarded = {
        "Host": "web:8000",  # what nginx's proxy_pass connects to
        "X-Forwarded-Host": wolomin.host,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "198.51.100.7",
    }
    page = proxied_app.test_client().get("/deklaracja-dostepnosci", headers=forwarded)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert wolomin.name in html
    assert f"https://{wolomin.host}/" in html and f"http://{wolomin.host}/" not in html
    # without ProxyFix the same headers are not believed: web:8000 is no office
    assert app.test_client().get("/deklaracja-dostepnosci", headers=forwarded).status_code == 404


def test_only_one_forwarded_hop_is_trusted(two_offices, proxied_app):
    client = proxied_app.test_client()
    # a client pretending to be local: nginx appends the address it really saw
    spoofed = {"Host": "web:8000", "X-Forwarded-For": "127.0.0.1, 203.0.113.9"}
    local = {"Host": "web:8000", "X-Forwarded-For": "127.0.0.1"}
    from_nginx = {"REMOTE_ADDR": "10.0.0.5"}
    assert client.get("/metrics", headers=spoofed, environ_base=from_nginx).status_code == 404
    assert client.get("/metrics", headers=local, environ_base=from_nginx).status_code == 200
    host = {"Host": "web:8000", "X-Forwarded-Host": f"evil.example, {two_offices[1].host}"}
    page = client.get("/", headers=host, environ_base=from_nginx)
    assert page.status_code == 200 and two_offices[1].name in page.get_data(as_text=True)


# --- satysfakcja config check -------------------------------------------------------------


def run_cli(args: list[str], env: dict[str, str]):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_config_check_passes_and_masks_every_secret(app, database, smtp_server):
    env = production_env(database, smtp_server.port, METRICS_TOKEN="metrics-token-not-shown")
    result = run_cli(["config", "check"], env)
    assert result.exit_code == 0, result.output
    assert "Configuration OK." in result.output
    assert "APP_ENV = 'production'" in result.output
    assert "database: OK" in result.output and "migrations current" in result.output
    assert "Redis: OK" in result.output and "mail (SMTP): OK" in result.output
    assert "stored secrets: OK" in result.output
    secrets = ("app-password-not-shown", env["SECRET_KEY"], env["SECRETS_KEY"], "metrics-token-")
    for secret in secrets:
        assert secret not in result.output
    assert f"postgresql+psycopg2://{APP_ROLE}:********@{PG_HOST}/{database.name}" in result.output


def test_config_check_names_missing_production_settings():
    result = run_cli(["config", "check"], {"APP_ENV": "production", "DATABASE_URL": ""})
    assert result.exit_code == 1
    assert "DATABASE_URL" in result.output and "SECRET_KEY" in result.output


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"DATABASE_URL": f"postgresql://{APP_ROLE}:pw@127.0.0.1:1/x"}, "database: ERROR"),
        ({"DATABASE_URL": f"postgresql://postgres@{PG_HOST}/postgres"}, "schema out of date"),
        ({"REDIS_URL": "redis://:redis-pw@127.0.0.1:1/0"}, "Redis: ERROR"),
        ({"MAIL_PORT": "1"}, "mail (SMTP): ERROR"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is shorter than 32 characters"),
    ],
)
def test_config_check_fails_clearly(app, database, smtp_server, override, expected):
    env = {**production_env(database, smtp_server.port), **override}
    result = run_cli(["config", "check"], env)
    assert result.exit_code == 1
    assert expected in result.output
    assert "Problems (1):" in result.output  # only the broken part is reported
    assert "redis-pw" not in result.output


# --- satysfakcja queues -------------------------------------------------------------------


def _report(status: str, queued_minutes_ago: int) -> Report:
    today = date.today()
    return Report(
        kind="on_demand",
        period_start=today - timedelta(days=30),
        period_end=today,
        status=status,
        queued_at=utcnow() - timedelta(minutes=queued_minutes_ago),
        recipients=[],
    )


def test_queues_shows_the_broker_and_the_reports_of_every_office(app, two_offices, in_office):
    wolomin, sierpc = two_offices
    with in_office(wolomin):
        db.session.add_all([_report("queued", 12), _report("failed", 30)])
        db.session.commit()
    with in_office(sierpc):
        db.session.add_all([_report("running", 1), _report("queued", 3)])
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["queues"])
    assert result.exit_code == 0, result.output
    queue = app.extensions["celery"].conf.task_default_queue
    assert re.search(rf"{queue}: \d+ waiting", result.output)
    assert "not acknowledged yet:" in result.output
    assert "Reports: queued 2, running 1, failed 1, done 0" in result.output
    assert "Oldest queued: 12 min" in result.output and "(wolomin)" in result.output


def test_queues_reports_an_unreachable_broker_and_still_counts_reports(app, two_offices, in_office):
    with in_office(two_offices[0]):
        db.session.add(_report("queued", 5))
        db.session.commit()
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    try:
        result = app.test_cli_runner().invoke(args=["queues"])
    finally:
        app.config["REDIS_URL"] = TEST_REDIS_URL
    assert result.exit_code == 1
    assert "Redis not answering" in result.output
    assert "Reports: queued 1, running 0, failed 0, done 0" in result.output


# --- backup and restore (README "Backups") ------------------------------------------------


def _office_responses(url: str, tenant_id: int | None) -> int:
    """Responses the application role sees for one office (or with no office set)."""
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('app.tenant_id', %s, true)",
                ("" if tenant_id is None else str(tenant_id),),
            )
            cursor.execute("SELECT count(*) FROM responses")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def test_a_pg_dump_restores_with_its_owner_and_row_level_security(
    app, database, two_offices, client_for, complete_answers, tmp_path
):
    from tests.conftest import OWNER_ROLE, PG_SUPERUSER, _superuser_connection

    wolomin, sierpc = two_offices
    for office, count in ((wolomin, 2), (sierpc, 1)):
        client = client_for(office)
        for _ in range(count):
            assert (
                client.post("/", data={**client.survey_form(), **complete_answers()}).status_code
                == 303
            )
    dump = tmp_path / "satysfakcja.dump"
    # FORCEd row-level security binds the owner too: pg_dump refuses rather than dump nothing
    as_owner = subprocess.run(
        ["pg_dump", "-h", PG_HOST, "-U", OWNER_ROLE, "-Fc", "-f", str(dump), database.name],
        capture_output=True, text=True,
    )  # fmt: skip
    assert as_owner.returncode != 0 and "row-level security" in as_owner.stderr
    backup = subprocess.run(
        ["pg_dump", "-h", PG_HOST, "-U", PG_SUPERUSER, "-Fc", "-f", str(dump), database.name],
        capture_output=True, text=True,
    )  # fmt: skip
    assert backup.returncode == 0, backup.stderr

    restored = f"{database.name}_restored"
    connection = _superuser_connection("postgres")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {restored} OWNER {OWNER_ROLE} TEMPLATE template0")
    try:
        restore = subprocess.run(
            ["pg_restore", "-h", PG_HOST, "-U", PG_SUPERUSER, "-d", restored, "--exit-on-error",
             str(dump)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert restore.returncode == 0, restore.stderr
        app_url = f"postgresql://{APP_ROLE}@{PG_HOST}/{restored}"
        assert _office_responses(app_url, wolomin.id) == 2
        assert _office_responses(app_url, sierpc.id) == 1
        assert _office_responses(app_url, None) == 0  # the policies came back with the data
        env = production_env(database, 25, DATABASE_URL=app_url)
        check = run_cli(["config", "check", "--only", "database"], env)
        assert check.exit_code == 0 and "migrations current" in check.output, check.output
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {restored} WITH (FORCE)")
        connection.close()
