"""End-to-end throughput benchmark of the resident survey, against a floor, on this machine.

Run from the repository root (not collected by pytest):

    .venv/bin/python tests/bench/bench_survey.py

What it does, in one run:

1. Creates a fresh PostgreSQL database ``satysfakcja_bench`` with the owner and application roles
   exactly as ``saas_platform.core.roles.role_setup_sql`` describes, migrates it as the owner and
   registers one office (``wolomin``) through the ``satysfakcja`` CLI.
   A second database, ``satysfakcja_bench_many``, is made the same way, and 3,000 more offices
   are registered in it, before anything is measured.
2. Starts the platform under gunicorn with production settings, and the bare Flask app in
   ``floor_app.py`` under gunicorn with the same config file (so the same worker count).
3. Drives both with N concurrent connections (default 16: 2 processes x 8 threads, each thread
   with its own ``http.client.HTTPConnection`` and its own cookies) for a fixed time after a
   warm-up, and measures requests/s, p50 and p99:
   survey GET vs ``GET /hello``; survey POST (a complete, valid response) vs ``POST /insert``;
   and the same office's survey GET in a second database where 3,000 more offices are
   registered (a second server), beside the first.
   The scenarios take turns in short rounds (``--rounds``, default 4 x 3 s each): this VM's
   speed drifts by a quarter from one minute to the next, so each ratio is the median of the
   ratios of neighbouring rounds. p50 and p99 are the median round's.
4. Checks that the stored responses equal the successful (303) POSTs exactly; exits 1 if not.
   Counts the rows written per stored response (inserted, updated and deleted rows of every
   table, triggers' included, from ``pg_stat_user_tables``).
5. Prints a table, writes ``tests/bench/results/latest.json``, stops gunicorn and drops the
   databases. Missed targets are reported, not asserted.

The client keeps connections open, but gunicorn's sync workers close them after every response;
http.client then reconnects, which the report shows as "TCP conn/req". On a shared machine each
measurement first waits (up to ``--quiet-wait`` seconds) for other processes to calm down, and
reports the share of the CPU they used meanwhile ("other load"): above a few %, compare nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import platform
import random
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import psycopg2
import psycopg2.errors
from cryptography.fernet import Fernet
from itsdangerous import URLSafeTimedSerializer
from psycopg2.extensions import connection as Connection

from saas_platform.core.roles import DATABASE_LEVEL_STATEMENTS, role_setup_sql

BENCH_SECRET_KEY = "bench"
BENCH_SECRETS_KEY = Fernet.generate_key().decode()  # the CLI and gunicorn encrypt alike

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent.parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
BIN = VENV_BIN if VENV_BIN.is_dir() else Path(sys.executable).parent
GUNICORN_CONFIG = REPO_ROOT / "config" / "gunicorn.py"

OWNER_ROLE = "bench_owner"
APP_ROLE = "bench_app"
# BENCH_DATABASE names another database (e.g. two runs side by side on one machine).
DATABASE = os.environ.get("BENCH_DATABASE", "satysfakcja_bench")
# The same office among 3,000 others: a second database, served by a second server, so the two
# can be measured in turns (their names share a prefix: ForeignLoad counts both as ours).
DATABASE_MANY = f"{DATABASE}_many"
# PostgreSQL 15 backends report their table statistics at most every second while busy and
# within 10 s of going idle: the rows written are read after this pause.
STATS_FLUSH_SECONDS = 12.0
PG_HOST = "127.0.0.1"
SUPERUSER = "postgres"
PLATFORM_DOMAIN = "bench.test"
OFFICE_SLUG = "wolomin"
OFFICE_NAME = "Urząd Miejski w Wołominie"
OFFICE_HOST = f"{OFFICE_SLUG}.{PLATFORM_DOMAIN}"

FORM_TYPE = "application/x-www-form-urlencoded"
RATING_VALUES = ("1", "2", "3", "4", "5")
COMMENTS = (
    "Bardzo miła obsługa, sprawa załatwiona od ręki. Dziękuję!",
    "Za długo czekałem w kolejce; przydałby się drugi automat z numerkami.",
    "Pani w okienku wszystko cierpliwie wyjaśniła. Brakuje miejsc parkingowych.",
    "Formularze są nieczytelne, a strona internetowa źle działa na telefonie.",
    "Szybko, sprawnie i uprzejmie. Żółta tabliczka przy wejściu jest myląca.",
)

FOREIGN_LOAD_WARNING = 0.05  # other processes' share of the machine that makes figures noisy

TARGETS = {
    "survey_get_vs_hello_min": 0.50,
    "survey_get_p99_ms_max": 20.0,
    "survey_post_vs_insert_min": 0.50,
    "survey_post_p99_ms_max": 50.0,
    "many_offices_max_drop": 0.05,
}


# --------------------------------------------------------------------------------------------
# Database setup
# --------------------------------------------------------------------------------------------


@contextmanager
def pg_connect(dbname: str, user: str = SUPERUSER) -> Iterator[Connection]:
    """An autocommit connection (CREATE/DROP DATABASE cannot run inside a transaction)."""
    conn = psycopg2.connect(host=PG_HOST, dbname=dbname, user=user)
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def app_url(database: str) -> str:
    return f"postgresql://{APP_ROLE}@{PG_HOST}/{database}"


def owner_url(database: str) -> str:
    return f"postgresql://{OWNER_ROLE}@{PG_HOST}/{database}"


def drop_database(database: str) -> None:
    with pg_connect("postgres") as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def create_database(database: str) -> None:
    """The roles and the database exactly as an operator creates them (roles may exist)."""
    statements = role_setup_sql(OWNER_ROLE, APP_ROLE, database)
    drop_database(database)
    with pg_connect("postgres") as conn, conn.cursor() as cur:
        for statement in statements[:DATABASE_LEVEL_STATEMENTS]:
            try:
                cur.execute(statement)
            except psycopg2.errors.DuplicateObject:
                print(f"  (exists) {statement.split(' LOGIN')[0]}")
    with pg_connect(database) as conn, conn.cursor() as cur:
        for statement in statements[DATABASE_LEVEL_STATEMENTS:]:
            cur.execute(statement)


def create_floor_table(database: str) -> None:
    """The floor's table, owned by the owner role; default privileges grant it to the app."""
    with pg_connect(database, user=OWNER_ROLE) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, v text NOT NULL)")
        cur.execute(f"GRANT SELECT, INSERT ON bench_floor TO {APP_ROLE}")
        cur.execute(f"GRANT USAGE ON SEQUENCE bench_floor_id_seq TO {APP_ROLE}")


def cli_env(database: str) -> dict[str, str]:
    """The environment of the ``satysfakcja`` CLI: the app role, migrations as the owner."""
    env = {k: v for k, v in os.environ.items() if k != "APP_ENV"}
    env.update(
        DATABASE_URL=app_url(database),
        DATABASE_OWNER_URL=owner_url(database),
        SECRETS_KEY=BENCH_SECRETS_KEY,
    )
    return env


def production_env(database: str) -> dict[str, str]:
    """The environment gunicorn runs with: production settings, the app role."""
    env = dict(os.environ)
    env.pop("DATABASE_OWNER_URL", None)
    env.pop("GUNICORN_ACCESSLOG", None)
    env.update(
        APP_ENV="production",
        DATABASE_URL=app_url(database),
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        SECRET_KEY=BENCH_SECRET_KEY,
        SECRETS_KEY=BENCH_SECRETS_KEY,
        PLATFORM_DOMAIN=PLATFORM_DOMAIN,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT="2525",
        MAIL_DEFAULT_SENDER="bench@bench.test",
        # One load generator posts thousands of responses from one address, at once: the
        # per-client limits and the minimum fill time stay on (their cost is measured) but
        # are set out of its way.
        SUBMISSIONS_PER_HOUR="10000000",
        SUBMISSIONS_PER_DAY="10000000",
        SURVEY_MIN_FILL_SECONDS="0",
    )
    return env


def run_cli(database: str, *args: str) -> None:
    result = subprocess.run(
        [str(BIN / "satysfakcja"), *args],
        cwd=REPO_ROOT,
        env=cli_env(database),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"satysfakcja {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def count_responses(database: str, slug: str) -> int:
    """Stored responses of one office, read as the superuser (which bypasses the FORCEd RLS)."""
    with pg_connect(database) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM responses r JOIN tenants t ON t.id = r.tenant_id"
            " WHERE t.slug = %s",
            (slug,),
        )
        return cur.fetchone()[0]


def rows_written(database: str) -> int:
    """Rows inserted, updated and deleted so far in the platform's tables, triggers' writes
    included (``pg_stat_user_tables``; the floor's own table left out)."""
    with pg_connect(database) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables"
            " WHERE relname <> 'bench_floor'"
        )
        return int(cur.fetchone()[0])


def count_offices(database: str) -> int:
    with pg_connect(database) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM tenants")
        return cur.fetchone()[0]


def register_offices(env: dict[str, str], count: int, batch: int) -> None:
    """Register ``count`` offices through the app's own service (runs in a child process)."""
    os.environ.clear()
    os.environ.update(env)
    from saas_platform.app import create_app
    from saas_platform.core.db import db
    from saas_platform.onboarding import create_tenant

    app = create_app()
    with app.app_context():
        for i in range(1, count + 1):
            create_tenant(f"urzad-{i:04d}", f"Urząd Gminy Testowej nr {i}")
            if i % batch == 0:
                db.session.commit()
        db.session.commit()


# --------------------------------------------------------------------------------------------
# Gunicorn
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def workers(self) -> int:
        return self.log_path.read_text(errors="replace").count("Booting worker")

    def log_problems(self) -> list[str]:
        """Log lines that point at a failure in the application or a worker."""
        markers = ("Traceback", "[ERROR]", "[CRITICAL]", "WORKER TIMEOUT", "Exception")
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if any(m in line for m in markers)]


def configured_workers() -> int:
    """The worker count config/gunicorn.py asks for in this environment."""
    return int(runpy.run_path(str(GUNICORN_CONFIG))["workers"])


def start_server(name: str, app_spec: str, extra_args: list[str], env: dict[str, str]) -> Server:
    """Start gunicorn with config/gunicorn.py on a free port; wait until every worker has
    booted and one answers."""
    port = free_port()
    log_path = RESULTS_DIR / f"gunicorn-{name}.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(GUNICORN_CONFIG),
            "--bind",
            f"127.0.0.1:{port}",
            *extra_args,
            app_spec,
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    server = Server(name, port, process, log_path)
    try:
        wait_until_ready(server)
    except RuntimeError:
        stop_server(server)  # not yet in the caller's list of servers to stop
        raise
    return server


# On a machine shared with other work, booting every worker can take longer.
START_TIMEOUT = float(os.environ.get("BENCH_START_TIMEOUT", "30"))


def wait_until_ready(server: Server, timeout: float = START_TIMEOUT) -> None:
    path = "/hello" if server.name == "floor" else "/healthz"
    workers = configured_workers()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn ({server.name}) exited; see {server.log_path}")
        with suppress(OSError, http.client.HTTPException):
            answered = HttpClient(server.port).request("GET", path)[0] == 200
            if answered and server.workers() >= workers:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn ({server.name}) did not answer within {timeout:.0f} s")


def stop_server(server: Server) -> None:
    """SIGTERM to the gunicorn master we started (it stops its workers), SIGKILL if stuck."""
    if server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


# --------------------------------------------------------------------------------------------
# HTTP client
# --------------------------------------------------------------------------------------------


class HttpClient:
    """One persistent connection with its own cookie jar.

    Cookies are kept by hand: production marks the session cookie Secure, and a browser behind
    TLS would send it back, so this client sends it back over plain HTTP too. If the server
    closes the connection after a response, http.client opens a new one for the next request.
    """

    def __init__(self, port: int, host: str = OFFICE_HOST) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.host = host
        self.cookies: dict[str, str] = {}
        self.connects = 0  # TCP connections opened: more than one means the server closed

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Host": self.host}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = FORM_TYPE
        if self.conn.sock is None:
            self.connects += 1  # http.client (re)connects on its own
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        for cookie in response.headers.get_all("Set-Cookie") or ():
            self._store_cookie(cookie)
        return response.status, data

    def _store_cookie(self, header: str) -> None:
        pair, *attributes = header.split(";")
        name, _, value = pair.strip().partition("=")
        expired = any(a.strip().lower() == "max-age=0" for a in attributes)
        if expired or not value:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def close(self) -> None:
        self.conn.close()


@dataclass
class SurveyForm:
    """What a browser would see of the survey form: hidden fields and every question input."""

    hidden: dict[str, str] = field(default_factory=dict)
    choices: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # name: (type, values)
    selects: dict[str, list[str]] = field(default_factory=dict)
    textareas: list[str] = field(default_factory=list)

    @property
    def rating_items(self) -> list[str]:
        return [
            name
            for name, (kind, values) in self.choices.items()
            if kind == "radio" and set(RATING_VALUES) <= set(values)
        ]


class SurveyFormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form = SurveyForm()
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        name = attr.get("name", "")
        if tag == "input":
            kind = attr.get("type", "text")
            if kind == "hidden":
                self.form.hidden[name] = attr.get("value", "")
            elif kind in ("radio", "checkbox") and name.startswith("q-"):
                self.form.choices.setdefault(name, (kind, []))[1].append(attr.get("value", ""))
        elif tag == "select" and name.startswith("q-"):
            self._select = name
            self.form.selects[name] = []
        elif tag == "option" and self._select and attr.get("value"):
            self.form.selects[self._select].append(attr["value"])
        elif tag == "textarea" and name.startswith("q-"):
            self.form.textareas.append(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def parse_survey_form(html: bytes) -> SurveyForm:
    parser = SurveyFormParser()
    parser.feed(html.decode("utf-8"))
    form = parser.form
    missing = {"csrf_token", "version"} - form.hidden.keys()
    if missing or not form.rating_items:
        raise RuntimeError(f"the survey page has no usable form (missing: {sorted(missing)})")
    return form


def random_answers(form: SurveyForm, rng: random.Random) -> list[tuple[str, str]]:
    """A complete, valid set of answers: every rating 1-5, one pick per choice question."""
    pairs: list[tuple[str, str]] = []
    for name, (kind, values) in form.choices.items():
        if kind == "checkbox":
            picks = rng.sample(values, rng.randint(1, min(2, len(values))))
            pairs.extend((name, value) for value in picks)
        else:
            ratings = [v for v in values if v in RATING_VALUES]
            pairs.append((name, rng.choice(ratings if len(ratings) == 5 else values)))
    for name, options in form.selects.items():
        pairs.append((name, rng.choice(options)))
    for name in form.textareas:
        pairs.append((name, rng.choice(COMMENTS)))
    return pairs


# --------------------------------------------------------------------------------------------
# Load generation (runs in child processes)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One kind of request, repeated by every connection."""

    name: str
    method: str
    path: str
    expected_status: int
    # "survey": fetch the form first, then POST complete responses; "floor": a one-field form
    body: Literal["none", "survey", "floor"] = "none"


@dataclass
class Window:
    start_at: float  # wall clock: connections start sending
    measure_from: float  # end of warm-up
    end_at: float


@dataclass
class ConnectionStats:
    latencies: list[float] = field(default_factory=list)  # seconds, measured window only
    statuses: Counter = field(default_factory=Counter)  # measured window only
    errors: int = 0  # measured window only
    expected_total: int = 0  # every expected answer, warm-up included (to verify storage)
    errors_total: int = 0
    requests_total: int = 0
    connects: int = 0
    unexpected_sample: str = ""


def request_factory(scenario: Scenario, client: HttpClient, rng: random.Random):
    """Return a function that builds the next request body (None for GET)."""
    if scenario.body == "floor":
        return lambda: urlencode({"v": f"floor-{rng.random()}"}).encode()
    if scenario.body == "none":
        return lambda: None
    status, html = client.request("GET", scenario.path)
    if status != 200:
        raise RuntimeError(f"GET {scenario.path} answered {status}")
    form = parse_survey_form(html)
    fixed = [
        ("csrf_token", form.hidden["csrf_token"]),
        ("version", form.hidden["version"]),
        ("kanal", "web"),
    ]
    # A pool of complete answer sets; each POST is a resident who opened a fresh form: a new
    # submission key with its signed start stamp (what the page would have carried).
    prefixes = [urlencode(fixed + random_answers(form, rng)) for _ in range(32)]
    stamps = URLSafeTimedSerializer(BENCH_SECRET_KEY, salt="survey-form-start")
    tenant_id = stamps.loads(form.hidden["started"])[0]

    def body() -> bytes:
        key = str(uuid.uuid4())
        started = stamps.dumps([tenant_id, key])
        return f"{rng.choice(prefixes)}&submission={key}&started={started}".encode()

    return body


def run_connection(
    scenario: Scenario, port: int, window: Window, seed: int, stats: ConnectionStats
) -> None:
    rng = random.Random(seed)
    client = HttpClient(port)
    next_body = request_factory(scenario, client, rng)
    time.sleep(max(0.0, window.start_at - time.time()))
    while time.time() < window.end_at:
        body = next_body()
        started = time.perf_counter()
        try:
            status, data = client.request(scenario.method, scenario.path, body)
        except (OSError, http.client.HTTPException) as exc:
            status, data = -1, repr(exc).encode()
        latency = time.perf_counter() - started
        finished = time.time()
        ok = status == scenario.expected_status
        stats.requests_total += 1
        stats.expected_total += ok
        stats.errors_total += status == -1
        if not ok and not stats.unexpected_sample:
            stats.unexpected_sample = f"{status}: {data[:400].decode('utf-8', 'replace')}"
        if window.measure_from <= finished <= window.end_at:
            stats.latencies.append(latency)
            stats.statuses[status] += 1
            stats.errors += status == -1
    stats.connects = client.connects
    client.close()


def client_process(
    scenario: Scenario, port: int, threads: int, window: Window, seed: int
) -> dict[str, Any]:
    """One load-generating process: ``threads`` connections, results merged."""
    stats = [ConnectionStats() for _ in range(threads)]
    workers = [
        threading.Thread(target=run_connection, args=(scenario, port, window, seed + i, s))
        for i, s in enumerate(stats)
    ]
    for worker in workers:
        worker.start()
    time.sleep(max(0.0, window.measure_from - time.time()))
    cpu_from = time.process_time()
    for worker in workers:
        worker.join()
    return {
        "latencies": [x for s in stats for x in s.latencies],
        "statuses": sum((s.statuses for s in stats), Counter()),
        "errors": sum(s.errors for s in stats),
        "expected_total": sum(s.expected_total for s in stats),
        "errors_total": sum(s.errors_total for s in stats),
        "requests_total": sum(s.requests_total for s in stats),
        "connects": sum(s.connects for s in stats),
        "unexpected_sample": next((s.unexpected_sample for s in stats if s.unexpected_sample), ""),
        "cpu_seconds": time.process_time() - cpu_from,
    }


# --------------------------------------------------------------------------------------------
# Other load on the machine (Linux /proc; skipped elsewhere)
# --------------------------------------------------------------------------------------------

POSTGRES_AUXILIARY = (
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum",
    "stats collector",
    "logical replication",
    "archiver",
)


def _process_table() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, CPU ticks used so far, command line) for every process."""
    table: dict[int, tuple[int, int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        table[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]), cmdline)
    return table


def _accounted_ticks(table: dict[int, tuple[int, int, str]]) -> dict[int, int]:
    """CPU ticks of this benchmark's processes (this process and its descendants: clients and
    gunicorn; PostgreSQL backends of the bench database) and of PostgreSQL's own helpers."""
    me = os.getpid()

    def descends_from_me(pid: int) -> bool:
        for _ in range(64):
            if pid == me:
                return True
            if pid not in table or pid <= 1:
                return False
            pid = table[pid][0]
        return False

    def accounted(pid: int, cmdline: str) -> bool:
        if descends_from_me(pid) or DATABASE in cmdline:
            return True
        return cmdline.startswith("postgres:") and any(a in cmdline for a in POSTGRES_AUXILIARY)

    return {pid: ticks for pid, (_, ticks, cmdline) in table.items() if accounted(pid, cmdline)}


def _machine_busy_ticks() -> int:
    """User and system time of all processes since boot (interrupt time left out)."""
    user, nice, system = Path("/proc/stat").read_text().split()[1:4]
    return int(user) + int(nice) + int(system)


class ForeignLoad:
    """The share of the machine that other processes used between ``__init__`` and ``share()``
    (someone's test suite, say): all busy time minus this benchmark's processes. None where
    /proc is unavailable."""

    def __init__(self) -> None:
        self.available = Path("/proc/stat").exists()
        if self.available:
            self.started = time.monotonic()
            self.busy = _machine_busy_ticks()
            self.accounted = _accounted_ticks(_process_table())

    def share(self) -> float | None:
        """Call while the client processes still run, so that their time is accounted."""
        if not self.available:
            return None
        busy = _machine_busy_ticks() - self.busy
        after = _accounted_ticks(_process_table())
        ours = sum(ticks - self.accounted.get(pid, 0) for pid, ticks in after.items())
        seconds = max(0, busy - ours) / os.sysconf("SC_CLK_TCK")
        return seconds / ((time.monotonic() - self.started) * (os.cpu_count() or 1))


def wait_for_quiet(max_wait: float) -> None:
    """Wait (at most ``max_wait`` seconds) until other processes leave the machine alone."""
    deadline = time.monotonic() + max_wait
    while time.monotonic() < deadline:
        sample = ForeignLoad()
        time.sleep(1.0)
        share = sample.share()
        if share is None or share < FOREIGN_LOAD_WARNING:
            return
    if max_wait > 0:
        print(f"    (the machine did not get quiet within {max_wait:g} s; measuring anyway)")


# --------------------------------------------------------------------------------------------
# Measuring and reporting
# --------------------------------------------------------------------------------------------


@dataclass
class LoadSettings:
    connections: int
    processes: int
    warmup: float
    duration: float
    quiet_wait: float  # seconds to wait, at most, for other processes to calm down


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def measure(scenario: Scenario, port: int, load: LoadSettings) -> dict[str, Any]:
    """Drive one scenario with ``load.connections`` connections; return the figures."""
    per_process = [load.connections // load.processes] * load.processes
    for i in range(load.connections % load.processes):
        per_process[i] += 1
    wait_for_quiet(load.quiet_wait)
    foreign = ForeignLoad()
    start_at = time.time() + 1.5  # time for the client processes to start
    window = Window(start_at, start_at + load.warmup, start_at + load.warmup + load.duration)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=load.processes, mp_context=context) as pool:
        futures = [
            pool.submit(client_process, scenario, port, threads, window, 1000 * i)
            for i, threads in enumerate(per_process)
        ]
        parts = [f.result() for f in futures]
        foreign_share = foreign.share()
    latencies = sorted(x for p in parts for x in p["latencies"])
    requests_total = sum(p["requests_total"] for p in parts)
    statuses = sum((p["statuses"] for p in parts), Counter())
    ok = statuses.get(scenario.expected_status, 0)
    result = {
        "requests_per_s": ok / load.duration,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": sum(p["errors"] for p in parts),
        "expected_total": sum(p["expected_total"] for p in parts),
        "errors_total": sum(p["errors_total"] for p in parts),
        # Share of the whole machine the load generator itself used while measuring.
        "client_cpu_share": sum(p["cpu_seconds"] for p in parts)
        / (load.duration * (os.cpu_count() or 1)),
        "connections_opened_per_request": sum(p["connects"] for p in parts)
        / max(1, requests_total),
        # Share of the machine other processes used meanwhile: above ~5%, figures are noisy.
        "foreign_cpu_share": foreign_share,
    }
    sample = next((p["unexpected_sample"] for p in parts if p["unexpected_sample"]), "")
    if sample:
        result["unexpected_sample"] = sample
    print(
        f"  {scenario.name:<28} {result['requests_per_s']:8.1f} req/s"
        f"  p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms"
        f"  client CPU {result['client_cpu_share']:4.0%}"
        f"  TCP conn/req {result['connections_opened_per_request']:.2f}"
        f"  statuses {result['statuses']}"
    )
    if sample:
        print(f"    first unexpected answer: {sample[:200]!r}")
    if (result["foreign_cpu_share"] or 0) > FOREIGN_LOAD_WARNING:
        print(f"    warning: other processes used {result['foreign_cpu_share']:.0%} of the machine")
    return result


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def paired_ratio(phases: dict[str, dict[str, Any]], key: str, floor_key: str) -> float:
    """The median over rounds of ``key``'s throughput over its floor's in the same round: the
    two ran back to back, so a drift of the machine's speed between rounds cancels out."""
    rounds = zip(phases[key]["rounds_per_s"], phases[floor_key]["rounds_per_s"], strict=True)
    return statistics.median(ratio(a, b) for a, b in rounds)


def summarise(phases: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The ratios and whether each target is met."""
    get1 = phases["survey_get"]
    post = phases["survey_post"]
    get_ratio = paired_ratio(phases, "survey_get", "hello")
    post_ratio = paired_ratio(phases, "survey_post", "insert")
    many_ratio = paired_ratio(phases, "survey_get_many_offices", "survey_get_one_office")
    return {
        "survey_get_vs_hello": {
            "value": get_ratio,
            "target": f">= {TARGETS['survey_get_vs_hello_min']:.2f}",
            "met": get_ratio >= TARGETS["survey_get_vs_hello_min"],
        },
        "survey_get_p99_ms": {
            "value": get1["p99_ms"],
            "target": f"< {TARGETS['survey_get_p99_ms_max']:.0f} ms",
            "met": get1["p99_ms"] < TARGETS["survey_get_p99_ms_max"],
        },
        "survey_post_vs_insert": {
            "value": post_ratio,
            "target": f">= {TARGETS['survey_post_vs_insert_min']:.2f}",
            "met": post_ratio >= TARGETS["survey_post_vs_insert_min"],
        },
        "survey_post_p99_ms": {
            "value": post["p99_ms"],
            "target": f"< {TARGETS['survey_post_p99_ms_max']:.0f} ms",
            "met": post["p99_ms"] < TARGETS["survey_post_p99_ms_max"],
        },
        "survey_get_many_vs_one_office": {
            "value": many_ratio,
            "target": f"within {TARGETS['many_offices_max_drop']:.0%}",
            "met": abs(1 - many_ratio) <= TARGETS["many_offices_max_drop"],
        },
    }


def print_report(
    phases: dict[str, dict[str, Any]], ratios: dict[str, dict[str, Any]], labels: dict[str, str]
) -> None:
    print()
    print(
        f"{'measurement':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ok':>8}{'other':>7}"
        f"{'client CPU':>12}{'other load':>12}"
    )
    for key, label in labels.items():
        p = phases[key]
        other = sum(p["statuses"].values()) - p["ok"]
        share = p["foreign_cpu_share"]
        foreign = "n/a" if share is None else f"{share:.0%}"
        print(
            f"{label:<34}{p['requests_per_s']:9.1f}{p['p50_ms']:9.1f}{p['p99_ms']:9.1f}"
            f"{p['ok']:8d}{other:7d}{p['client_cpu_share']:12.0%}{foreign:>12}"
        )
    print(
        "client CPU: the load generator's share of the machine; other load: the share used by"
        " unrelated processes (noise when above a few %)."
    )
    print()
    print(f"{'ratio or limit':<34}{'value':>9}  {'target':<12}{'met':>4}")
    for key, r in ratios.items():
        print(f"{key:<34}{r['value']:9.2f}  {r['target']:<12}{'yes' if r['met'] else 'NO':>4}")


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument(
        "--duration", type=float, default=12.0, help="seconds measured per scenario, in all"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="the scenarios take turns this many times; ratios pair neighbouring rounds",
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=5.0,
        help="before each measurement, wait up to this many seconds for other load to stop",
    )
    parser.add_argument("--offices", type=int, default=3000, help="offices added for (c)")
    parser.add_argument(
        "--template",
        choices=("short", "full"),
        default="short",
        help="the office's survey (a new office's default is the short one)",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    return parser.parse_args()


def setup_database(database: str, template: str = "short") -> None:
    print(f"Setting up the database {database} …")
    create_database(database)
    run_cli(database, "db", "upgrade")
    run_cli(
        database, "tenants", "create", OFFICE_SLUG, "--name", OFFICE_NAME, "--template", template
    )
    create_floor_table(database)


def register_many_offices(database: str, count: int) -> float:
    """Register ``count`` offices in a child process; return the seconds it took."""
    started = time.monotonic()
    context = multiprocessing.get_context("spawn")
    process = context.Process(target=register_offices, args=(cli_env(database), count, 100))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"registering {count} offices failed (exit code {process.exitcode})")
    return time.monotonic() - started


def describe_form(port: int) -> dict[str, int]:
    """Fetch the survey once and report what a complete answer consists of."""
    status, html = HttpClient(port).request("GET", "/")
    if status != 200:
        raise RuntimeError(f"GET / on {OFFICE_HOST} answered {status}")
    form = parse_survey_form(html)
    summary = {
        "page_bytes": len(html),
        "rating_items": len(form.rating_items),
        "other_choice_questions": len(form.choices) - len(form.rating_items),
        "selects": len(form.selects),
        "textareas": len(form.textareas),
    }
    print(f"  survey form: {summary}")
    return summary


SCENARIOS = {
    "hello": Scenario("floor GET /hello", "GET", "/hello", 200),
    "survey_get": Scenario("survey GET / (1 office)", "GET", "/", 200),
    "insert": Scenario("floor POST /insert", "POST", "/insert", 201, body="floor"),
    "survey_post": Scenario("survey POST / (complete)", "POST", "/", 303, body="survey"),
}


def measure_rounds(
    scenarios: dict[str, tuple[Scenario, Server]], load: LoadSettings, rounds: int
) -> dict[str, dict[str, Any]]:
    """Measure every scenario ``rounds`` times, in turn (a, b, c, a, b, c, ...), for
    ``load.duration / rounds`` seconds each, and merge each one's rounds."""
    short = replace(load, duration=load.duration / rounds)
    results: dict[str, list[dict[str, Any]]] = {key: [] for key in scenarios}
    for number in range(1, rounds + 1):
        print(f" round {number} of {rounds}")
        for key, (scenario, server) in scenarios.items():
            results[key].append(measure(scenario, server.port, short))
    return {key: merge_rounds(parts, short.duration) for key, parts in results.items()}


def merge_rounds(parts: list[dict[str, Any]], duration: float) -> dict[str, Any]:
    """One scenario's rounds as one figure: throughput over the whole measured time, the
    median round's p50 and p99, every count summed, and each round's throughput kept."""
    statuses: Counter = sum((Counter(p["statuses"]) for p in parts), Counter())
    shares = [p["foreign_cpu_share"] for p in parts if p["foreign_cpu_share"] is not None]
    return {
        "requests_per_s": sum(p["ok"] for p in parts) / (duration * len(parts)),
        "rounds_per_s": [p["requests_per_s"] for p in parts],
        "p50_ms": statistics.median(p["p50_ms"] for p in parts),
        "p99_ms": statistics.median(p["p99_ms"] for p in parts),
        "ok": sum(p["ok"] for p in parts),
        "statuses": dict(sorted(statuses.items())),
        "errors": sum(p["errors"] for p in parts),
        "expected_total": sum(p["expected_total"] for p in parts),
        "errors_total": sum(p["errors_total"] for p in parts),
        "client_cpu_share": statistics.median(p["client_cpu_share"] for p in parts),
        "connections_opened_per_request": statistics.median(
            p["connections_opened_per_request"] for p in parts
        ),
        "foreign_cpu_share": max(shares) if shares else None,
    }


def measure_one_office(
    survey: Server, floor: Server, load: LoadSettings, rounds: int
) -> tuple[dict[str, dict[str, Any]], int]:
    """Phases (a) and (b), in rounds; returns the figures and the responses stored meanwhile.
    The survey POST's figures get the rows written per stored response (the survey GETs write
    none), from ``pg_stat_user_tables``."""
    time.sleep(STATS_FLUSH_SECONDS)  # what setting up wrote is reported before counting
    before = count_responses(DATABASE, OFFICE_SLUG)
    rows_before = rows_written(DATABASE)
    scenarios = {
        key: (scenario, survey if scenario.name.startswith("survey") else floor)
        for key, scenario in SCENARIOS.items()
    }
    phases = measure_rounds(scenarios, load, rounds)
    stored = count_responses(DATABASE, OFFICE_SLUG) - before
    time.sleep(STATS_FLUSH_SECONDS)
    rows = rows_written(DATABASE) - rows_before
    phases["survey_post"]["rows_written"] = rows
    phases["survey_post"]["rows_per_response"] = round(rows / stored, 2) if stored else None
    print(
        f"  rows written per stored response: {rows} / {stored}"
        f" = {phases['survey_post']['rows_per_response']}"
    )
    return phases, stored


def measure_many_offices(
    survey: Server, survey_many: Server, load: LoadSettings, offices: int, rounds: int
) -> dict[str, dict[str, Any]]:
    """Phase (c): the same office's survey with one office registered and with ``offices``,
    two servers on two databases measured in turns (the ratio pairs neighbouring rounds)."""
    scenarios = {
        "survey_get_one_office": (SCENARIOS["survey_get"], survey),
        "survey_get_many_offices": (
            Scenario(f"survey GET / ({offices} offices)", "GET", "/", 200),
            survey_many,
        ),
    }
    phases = measure_rounds(scenarios, load, rounds)
    phases["survey_get_many_offices"].update(offices=offices)
    return phases


def source_revision() -> str:
    """The commit measured, with "+dirty" when the working tree has changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return commit + ("+dirty" if status.strip() else "")


def write_results(results: dict[str, Any]) -> Path:
    path = RESULTS_DIR / "latest.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return path


def run(args: argparse.Namespace) -> int:
    RESULTS_DIR.mkdir(exist_ok=True)
    load = LoadSettings(
        args.connections, args.processes, args.warmup, args.duration, args.quiet_wait
    )
    started = time.monotonic()
    revision = source_revision()
    print(f"Benchmarking {revision} in {REPO_ROOT}")
    servers: list[Server] = []
    try:
        setup_database(DATABASE, args.template)
        setup_database(DATABASE_MANY, args.template)
        print(f"Registering {args.offices} more offices in {DATABASE_MANY} …")
        seconds = register_many_offices(DATABASE_MANY, args.offices)
        offices = count_offices(DATABASE_MANY)
        print(f"  {offices} offices there, registered in {seconds:.1f} s")
        app_spec = "saas_platform.app:create_app()"
        env = production_env(DATABASE)
        survey = start_server("survey", app_spec, [], env)
        servers.append(survey)
        floor = start_server("floor", "floor_app:app", ["--pythonpath", str(BENCH_DIR)], env)
        servers.append(floor)
        survey_many = start_server("survey-many", app_spec, [], production_env(DATABASE_MANY))
        servers.append(survey_many)
        workers = {s.name: s.workers() for s in servers}
        print(f"gunicorn workers: {workers}")
        form_summary = describe_form(survey.port)

        print(f"Measuring: {load.connections} connections, {load.duration:g} s each …")
        phases, stored = measure_one_office(survey, floor, load, args.rounds)
        accepted = phases["survey_post"]["expected_total"]
        storage_ok = stored == accepted
        print(
            f"  stored responses: {stored}; POSTs answered 303 (warm-up included): {accepted}"
            f" → {'OK' if storage_ok else 'MISMATCH'}"
        )
        phases.update(measure_many_offices(survey, survey_many, load, offices, args.rounds))

        ratios = summarise(phases)
        labels = {key: scenario.name for key, scenario in SCENARIOS.items()}
        labels["survey_get_one_office"] = "survey GET / (1 office, beside it)"
        labels["survey_get_many_offices"] = f"survey GET / ({offices} offices)"
        print_report(phases, ratios, labels)
        problems = {s.name: s.log_problems() for s in servers}
        for name, lines in problems.items():
            if lines:
                print(f"\ngunicorn ({name}) logged {len(lines)} problem lines, e.g.: {lines[0]}")
        path = write_results(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "revision": revision,
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "load": vars(load),
                "gunicorn_workers": workers,
                "survey_form": form_summary,
                "phases": phases,
                "ratios": ratios,
                "stored_responses": stored,
                "successful_posts": accepted,
                "storage_ok": storage_ok,
                "server_log_problems": {k: v[:20] for k, v in problems.items()},
                "runtime_seconds": round(time.monotonic() - started, 1),
            }
        )
        print(f"\nResults: {path} ({time.monotonic() - started:.0f} s)")
        if not storage_ok:
            print(
                f"FAILURE: {stored} responses stored but {accepted} POSTs answered 303",
                file=sys.stderr,
            )
            return 1
        return 0
    finally:
        for server in servers:
            stop_server(server)
        if not args.keep_db:
            drop_database(DATABASE)
            drop_database(DATABASE_MANY)


if __name__ == "__main__":
    sys.exit(run(parse_args()))
