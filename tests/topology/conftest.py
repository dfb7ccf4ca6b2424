"""One production topology per test module: private PostgreSQL and Redis, gunicorn with
config/gunicorn.py, a prefork Celery worker, beat, and nginx with deploy/nginx in front; two
offices with a staff member each; an in-process SMTP server."""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest

from saas_platform.core.roles import DATABASE_LEVEL_STATEMENTS, role_setup_sql
from tests.bench.bench_survey import parse_survey_form, random_answers
from tests.conftest import (
    RATE_LIMIT_SETTINGS,
    SECRETS_KEY,
    STAFF_PASSWORD,
    MailBox,
    SmtpServer,
    csrf_token_of,
)
from tests.topology.harness import (
    BIN,
    NGINX_DIR,
    REPO_ROOT,
    STATIC_ROOT,
    HttpClient,
    Nginx,
    PrivatePostgres,
    PrivateRedis,
    Service,
    free_port,
    wait_until,
)

PLATFORM_DOMAIN = "satysfakcja.test"
DATABASE = "satysfakcja_topology"
OWNER_ROLE = "satysfakcja_owner"
APP_ROLE = "satysfakcja_app"
SECRET_KEY = "topology-secret"
HIDDEN_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
# The processes, started as deploy/ starts them (the virtualenv's scripts, from the repo root).
WEB_COMMAND = ["gunicorn", "-c", "config/gunicorn.py", "saas_platform.app:create_app()"]
WORKER_COMMAND = ["celery", "-A", "workers.celery_app", "worker", "--pool", "prefork",
                  "--loglevel", "INFO"]  # fmt: skip
BEAT_COMMAND = ["celery", "-A", "workers.celery_app", "beat", "--loglevel", "INFO"]
# The sweeper and the e-mail retries run on a test's time scale, not production's.
FAST_RECOVERY = {
    "REPORT_SWEEP_SECONDS": "2",
    "REPORT_QUEUED_GRACE_SECONDS": "3",
    "REPORT_RUNNING_TIMEOUT_SECONDS": "12",
    "EMAIL_RETRY_BASE_SECONDS": "1",
    "WORKER_STALL_SECONDS": "8",
}


@dataclass(frozen=True)
class TopologyOffice:
    id: int
    slug: str
    name: str
    staff_email: str

    @property
    def host(self) -> str:
        return f"{self.slug}.{PLATFORM_DOMAIN}"


@dataclass
class Topology:
    workdir: Path
    pg: PrivatePostgres
    redis: PrivateRedis
    smtp: SmtpServer
    env: dict[str, str]
    nginx: Nginx | None = None
    port: int = 0
    web: Service | None = None
    worker: Service | None = None
    beat: Service | None = None
    offices: list[TopologyOffice] = field(default_factory=list)
    _workers_started: int = 0
    _supervisor_stop: threading.Event = field(default_factory=threading.Event)

    @property
    def mailbox(self) -> MailBox:
        return self.smtp.mailbox

    # -- processes, started exactly as deploy/ starts them ------------------------------------

    def start_web(self) -> None:
        self.web = Service(
            "web",
            [str(BIN / WEB_COMMAND[0]), *WEB_COMMAND[1:]],
            self.env,
            self.workdir / "gunicorn.log",
        )
        self.web.start()

    def start_worker(self, **extra_env: str) -> Service:
        self._workers_started += 1
        worker = Service(
            "worker",
            [
                str(BIN / WORKER_COMMAND[0]),
                *WORKER_COMMAND[1:],
                "--hostname",
                f"topology{self._workers_started}@%h",
            ],
            {**self.env, **extra_env},
            self.workdir / f"worker-{self._workers_started}.log",
            supervised=True,
        )
        worker.start()
        wait_until(lambda: " ready." in worker.log(), 180, "the Celery worker is ready")
        self.worker = worker
        return worker

    def control(self, *args: str) -> str:
        """``celery control ...`` for the current worker, as an operator would type it."""
        result = subprocess.run(
            [str(BIN / "celery"), "-A", "workers.celery_app", "control", *args, "--destination",
             f"topology{self._workers_started}@{socket.gethostname()}"],
            cwd=REPO_ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def start_beat(self) -> None:
        self.beat = Service(
            "beat",
            [
                str(BIN / BEAT_COMMAND[0]),
                *BEAT_COMMAND[1:],
                "--schedule",
                str(self.workdir / "celerybeat-schedule"),
            ],
            self.env,
            self.workdir / "beat.log",
        )
        self.beat.start()

    def supervise(self) -> None:
        """Restart the worker when it exits by itself, as deploy/'s supervisors do (systemd's
        Restart=always, Compose's unless-stopped); the watchdog (workers/watchdog.py) relies
        on it."""

        def watch() -> None:
            while not self._supervisor_stop.wait(0.5):
                if self.worker is not None:
                    self.worker.restart_if_it_exited()

        threading.Thread(target=watch, name="supervisor", daemon=True).start()

    def stop_all(self) -> None:
        self._supervisor_stop.set()
        if self.nginx is not None:
            self.nginx.stop()  # first: its keep-alive connections would hold gunicorn up
        # The end of the module: no need to be gentle (gunicorn takes seconds even to SIGQUIT).
        for service in (self.beat, self.worker):
            if service is not None:
                service.stop(sig=signal.SIGQUIT)
        if self.web is not None and self.web.running():
            self.web.kill()

    def log_tails(self, lines: int = 40) -> str:
        """The last lines of the worker's and beat's logs, for a failure message: a report
        that never came is explained there (a consumer that did not come back, a crash)."""
        parts = []
        for service in (self.worker, self.beat):
            if service is not None and service.log_path.exists():
                tail = service.log().splitlines()[-lines:]
                parts.append(f"--- {service.log_path.name} (last {len(tail)} lines)")
                parts.extend(tail)
        return "\n".join(parts)

    # -- what a test does through nginx -------------------------------------------------------

    def client(self, host: str) -> HttpClient:
        return HttpClient(self.port, host)

    def staff(self, office: TopologyOffice) -> HttpClient:
        """A browser on the office's host, signed in as its staff member."""
        client = self.client(office.host)
        token = csrf_token_of(client.get("/panel/login").body.decode())
        body = urlencode(
            {"csrf_token": token, "email": office.staff_email, "password": STAFF_PASSWORD}
        ).encode()
        response = client.post("/panel/login", body)
        assert response.status == 302, (response.status, response.body[:500])
        return client

    def request_report(self, staff: HttpClient) -> int:
        """Ask for this year's report in the panel; return the new report's id."""
        token = csrf_token_of(staff.get("/panel/raporty").body.decode())
        body = urlencode({"csrf_token": token, "period": "this_year", "department": ""})
        response = staff.post("/panel/raporty", body.encode())
        assert response.status == 302, (response.status, response.body[:500])
        office = next(o for o in self.offices if o.host == staff.host)
        return max(r["id"] for r in self.reports(office))

    # -- the truth, read as the superuser (who bypasses row-level security) -------------------

    def query(self, sql: str, *params) -> list[tuple]:
        connection = self.pg.connect(DATABASE)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def reports(self, office: TopologyOffice) -> list[dict]:
        rows = self.query(
            "SELECT id, status, attempts, pdf_size, email_status, email_error FROM reports"
            " WHERE tenant_id = %s ORDER BY id",
            office.id,
        )
        names = ("id", "status", "attempts", "pdf_size", "email_status", "email_error")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def report(self, office: TopologyOffice, report_id: int) -> dict:
        return next(r for r in self.reports(office) if r["id"] == report_id)

    def stored_responses(self, office: TopologyOffice) -> int:
        return self.query("SELECT count(*) FROM responses WHERE tenant_id = %s", office.id)[0][0]


class Resident:
    """A resident's browser: opens a fresh survey form for every response it sends."""

    def __init__(self, topology: Topology, office: TopologyOffice, seed: int):
        self.client = topology.client(office.host)
        self.rng = random.Random(seed)
        first = self.client.get("/")
        assert first.status == 200, first.status
        self.form = parse_survey_form(first.body)

    def submit(self) -> int:
        """Open the form, fill every question, send it; return the answer's status (-1 for no
        answer at all). The last answer's body stays in ``last_body``."""
        self.last_body = b""
        try:
            page = self.client.get("/")
            self.last_body = page.body
            if page.status != 200:
                return page.status
            hidden = HIDDEN_FIELD.findall(page.body.decode())
            response = self.client.post(
                "/", urlencode(hidden + random_answers(self.form, self.rng)).encode()
            )
            self.last_body = response.body
            return response.status
        except (OSError, http.client.HTTPException) as exc:
            self.last_body = repr(exc).encode()
            return -1


def plain_nginx(workdir: Path, listen: str, upstream: str) -> Nginx:
    """nginx with deploy/nginx/satysfakcja.conf.template (plain HTTP)."""
    variables = {
        "PLATFORM_DOMAIN": PLATFORM_DOMAIN,
        "LISTEN_PORT": listen,
        "UPSTREAM": upstream,
        "STATIC_ROOT": str(STATIC_ROOT),
    }
    return Nginx(workdir, NGINX_DIR / "satysfakcja.conf.template", variables)


def _setup_database(pg: PrivatePostgres) -> None:
    """Roles and database exactly as an operator creates them (saas_platform.core.roles)."""
    statements = role_setup_sql(OWNER_ROLE, APP_ROLE, DATABASE)
    for dbname, part in (
        ("postgres", statements[:DATABASE_LEVEL_STATEMENTS]),
        (DATABASE, statements[DATABASE_LEVEL_STATEMENTS:]),
    ):
        connection = pg.connect(dbname)
        with connection.cursor() as cursor:
            for statement in part:
                cursor.execute(statement)
        connection.close()


def _satysfakcja(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "satysfakcja"), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


OFFICES = (("wolomin", "Urząd Miejski w Wołominie"), ("sierpc", "Urząd Miejski w Sierpcu"))


def _add_offices(topology: Topology) -> None:
    """The two offices, each with a staff member who has a password (the invitation e-mail is
    other tests' business), and a custom domain for the first, through the app's services."""
    from saas_platform.app import create_app
    from saas_platform.core.db import db
    from saas_platform.core.tenancy import tenant_scope
    from saas_platform.core.tenancy.models import TenantDomain
    from saas_platform.onboarding import create_tenant
    from tenants.accounts import services as staff

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://"
            + topology.pg.url(APP_ROLE, DATABASE).split("://", 1)[1],
            "SECRET_KEY": SECRET_KEY,
            "SECRETS_KEY": SECRETS_KEY,
            "PLATFORM_DOMAIN": PLATFORM_DOMAIN,
            "REDIS_URL": topology.redis.url,
            "CELERY_TASK_ALWAYS_EAGER": False,
            # The login limiter is one object per process; keep it on the suite's Redis.
            **RATE_LIMIT_SETTINGS,
        }
    )
    with app.app_context():
        for slug, name in OFFICES:
            tenant = create_tenant(slug, name)
            db.session.commit()
            office = TopologyOffice(tenant.id, slug, name, f"admin@{slug}.example")
            with tenant_scope(tenant):
                user, _ = staff.invite(office.staff_email, "admin")
                staff.set_password(user, STAFF_PASSWORD)
                if not topology.offices:
                    db.session.add(TenantDomain(host=f"ankieta.{slug}.pl"))
                db.session.commit()
            topology.offices.append(office)
        db.engine.dispose()


@pytest.fixture(scope="module")
def topology(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("topology")
    pg = PrivatePostgres()
    redis = PrivateRedis(workdir)
    smtp = SmtpServer(MailBox())
    pg.init()
    pg.start()
    redis.start()
    smtp.start()
    _setup_database(pg)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "DATABASE_"))}
    web_port = free_port()
    env.update(
        APP_ENV="production",
        DATABASE_URL=pg.url(APP_ROLE, DATABASE),
        REDIS_URL=redis.url,
        SECRET_KEY=SECRET_KEY,
        SECRETS_KEY=SECRETS_KEY,
        PLATFORM_DOMAIN=PLATFORM_DOMAIN,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp.port),
        MAIL_DEFAULT_SENDER=f"ankieta@{PLATFORM_DOMAIN}",
        GUNICORN_BIND=f"127.0.0.1:{web_port}",
        # The load test's residents all come from 127.0.0.1 and post at once.
        SUBMISSIONS_PER_HOUR="1000000",
        SUBMISSIONS_PER_DAY="1000000",
        SURVEY_MIN_FILL_SECONDS="0",
        # As deploy/ runs it: the app trusts nginx's X-Forwarded-* (one hop).
        PROXY_FIX="1",
        PYTHONUNBUFFERED="1",
        # This checkout's code, as the systemd units set it: Celery imports the app after it
        # took the working directory off sys.path again, and a virtualenv's editable install
        # may point at another checkout.
        PYTHONPATH=str(REPO_ROOT),
        **FAST_RECOVERY,
    )
    topology = Topology(workdir, pg, redis, smtp, env)
    try:
        # The one-shot migration: as the owner, like deploy's migration service.
        _satysfakcja({**env, "DATABASE_OWNER_URL": pg.url(OWNER_ROLE, DATABASE)}, "db", "upgrade")
        _add_offices(topology)

        topology.port = free_port()
        topology.nginx = plain_nginx(
            workdir / "nginx", f"127.0.0.1:{topology.port}", f"127.0.0.1:{web_port}"
        )
        topology.start_web()
        topology.start_beat()
        topology.nginx.start(topology.port)
        topology.start_worker()  # waits until ready; the others boot meanwhile
        topology.supervise()
        wait_until(
            lambda: topology.client(PLATFORM_DOMAIN).get("/healthz").status == 200,
            180,  # booting takes seconds on an idle machine, minutes on a loaded one
            "gunicorn answers through nginx",
        )
        yield topology
    finally:
        topology.stop_all()
        redis.stop()
        smtp.stop()
        pg.destroy()
