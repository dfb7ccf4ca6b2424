"""The staff dashboard and the exports at scale: 100 offices, 10 million responses.

Run from the repository root (not collected by pytest):

    .venv/bin/python tests/bench/bench_dashboard.py [--scale 0.01] [--keep-db] [--reuse-db]

1. Builds (or, with ``--reuse-db``, reuses) the database ``satysfakcja_bench_data``: roles as
   ``role_setup_sql`` says, migrated as the owner, 100 offices registered with the app's own
   ``create_tenant`` (default survey, questions, departments) and a staff admin in the three
   measured offices. Then rows are generated with set-based SQL by the superuser (which bypasses
   row security; foreign-key triggers are off for the loader session, the rows being right by
   construction), spread evenly over the last 730 days, offices interleaved in time as real
   submissions would be:

   - ``urzad-0001`` 1,000,000, ``urzad-0002`` 100,000 and ``urzad-0003`` 10,000 responses with
     every raw row: 25 rating answers each (~7 % "na"), a comment in ~10 %, a department in
     ~80 %, mixed channels; their ``response_counts`` computed from those raw rows with one
     INSERT ... SELECT ... GROUP BY, keyed exactly as ``counted_values`` writes them, with
     the overall sums behind "Priorytety" (migration 0032).
   - the other 97 offices share the rest of the 10 million: response rows only, their ``'*'``
     counts computed from the responses and synthetic rating counts (one row per day, key and
     value, department 0, channel web), so that ``response_counts`` has a realistic bulk.

2. Starts the platform under gunicorn with production settings (``config/gunicorn.py``) and
   measures, with a logged-in staff session over HTTP, ``GET /panel/`` (the summary with
   "Priorytety": default filters and every period preset) for the 1M and the 10k office:
   p50/p95 over ``--requests`` sequential requests; and a department manager's ``/panel/`` (a
   manager of the office's first two departments, made in ``register()``, or added to a
   reused dataset that predates the role; #17 item 9) in the same two offices, checked
   against the raw responses of those departments; and the drill-down pages of the first
   rated question and of its area, this year and the last 12 months. In the same run it
   times the naive floor:
   a plain ``avg() ... GROUP BY`` over the 1M office's raw answers of this year, as the
   application role with the office set.
   Then, in the same gunicorn, the action register: ``/panel/`` of the 1M office is timed
   again right before and right after 200 actions (each linking 3 rated items; half done and
   implemented 120 days ago, half open, a quarter of those overdue) are added to it, and one
   done action's page with its measured effect (``/panel/dzialania/<id>``).
3. Downloads ``/panel/eksport.csv`` and ``.xlsx`` of the 100k and the 10k office (every day of
   data) from a one-worker gunicorn (same config, ``GUNICORN_WORKERS=1``, the background
   thresholds raised so that both stream) while sampling the worker's RSS, and checks that
   the CSV has one row per response. Then, with the production thresholds, times the first
   byte of the export request of every day of the 1M and the 100k office (it writes the
   job's row and sends its task; no worker runs, so the job stays queued and is deleted).

Prints a table, writes ``tests/bench/results/dashboard.json``; exits 1 only when a correctness
check fails (missed targets are reported, not asserted). Drops the database unless
``--keep-db``.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import math
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import bench_survey as bs
import psycopg2
import psycopg2.errors

from saas_platform.core.roles import DATABASE_LEVEL_STATEMENTS, role_setup_sql
from tenants.survey.filters import PERIOD_PRESETS

DATABASE = os.environ.get("BENCH_DATA_DATABASE", "satysfakcja_bench_data")
APP_URL = f"postgresql://{bs.APP_ROLE}@{bs.PG_HOST}/{DATABASE}"
OWNER_URL = f"postgresql://{bs.OWNER_ROLE}@{bs.PG_HOST}/{DATABASE}"
# The dashboard's gunicorn; bench_reports uses its own. Settable, as the database is, so that
# two people benchmarking on one machine do not share them.
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "12"))
STAFF_PASSWORD = "Bardzo-tajne-hasło-2026"
DAYS = 730  # the data covers the last two years, today included
CHUNK_DAYS = 30
TOTAL_RESPONSES = 10_000_000
OFFICES = 100
# The offices with every raw row (answers and comments); the rest get responses and counts.
FULL_OFFICES = {"1m": 1_000_000, "100k": 100_000, "10k": 10_000}
COMMENT_SHARE = 0.10
DEPARTMENT_SHARE = 0.80
CHANNEL_MIX = ("web", "web", "web", "qr", "qr", "banner", "kiosk", "paper")
# Rating value shares among the answers that are not "na" (~7 %).
NOT_APPLICABLE_SHARE = 0.07
RATING_SHARES = (("1", 0.05), ("2", 0.10), ("3", 0.20), ("4", 0.35), ("5", 0.30))

TARGETS = {
    "dashboard_p50_ms_max": 150.0,
    "dashboard_1m_vs_10k_max": 2.0,
    "action_effect_p50_ms_max": 50.0,
}
ACTIONS = 200
MANAGER_DEPARTMENTS = 2  # the benchmarked department manager leads this many departments
ITEMS_PER_ACTION = 3


# --------------------------------------------------------------------------------------------
# The dataset
# --------------------------------------------------------------------------------------------


@dataclass
class Office:
    label: str  # "1m", "100k", "10k" or "filler"
    slug: str
    planned: int
    full: bool
    id: int = 0
    responses: int = 0

    @property
    def host(self) -> str:
        return f"{self.slug}.{bs.PLATFORM_DOMAIN}"

    @property
    def staff_email(self) -> str:
        return f"admin@{self.slug}.example"

    @property
    def manager_email(self) -> str:
        return f"manager@{self.slug}.example"


@dataclass
class Dataset:
    scale: float
    today: str  # the day the data ends (its first day is DAYS - 1 before)
    offices: list[Office]
    build_steps: dict[str, float]
    build_seconds: float

    @property
    def first_day(self) -> date:
        return date.fromisoformat(self.today) - timedelta(days=DAYS - 1)

    def office(self, label: str) -> Office:
        return next(o for o in self.offices if o.label == label)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Dataset:
        data = json.loads(text)
        data["offices"] = [Office(**o) for o in data["offices"]]
        return cls(**data)


def plan_offices(scale: float) -> list[Office]:
    offices = [
        Office(label, f"urzad-{i:04d}", max(10, round(n * scale)), True)
        for i, (label, n) in enumerate(FULL_OFFICES.items(), start=1)
    ]
    fillers = OFFICES - len(offices)
    rest = round(TOTAL_RESPONSES * scale) - sum(o.planned for o in offices)
    offices += [
        Office("filler", f"urzad-{i:04d}", max(10, rest // fillers), False)
        for i in range(len(offices) + 1, OFFICES + 1)
    ]
    return offices


def database_exists() -> bool:
    with bs.pg_connect("postgres") as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        return cur.fetchone() is not None


def stored_dataset() -> Dataset | None:
    if not database_exists():
        return None
    with bs.pg_connect("postgres") as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (DATABASE,),
        )
        comment = cur.fetchone()[0]
    try:
        return Dataset.from_json(comment) if comment else None
    except (ValueError, TypeError):
        return None


def drop_database() -> None:
    with bs.pg_connect("postgres") as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def create_database() -> None:
    statements = role_setup_sql(bs.OWNER_ROLE, bs.APP_ROLE, DATABASE)
    drop_database()
    with bs.pg_connect("postgres") as conn, conn.cursor() as cur:
        for statement in statements[:DATABASE_LEVEL_STATEMENTS]:
            with suppress(psycopg2.errors.DuplicateObject):  # roles are cluster-wide
                cur.execute(statement)
    with bs.pg_connect(DATABASE) as conn, conn.cursor() as cur:
        for statement in statements[DATABASE_LEVEL_STATEMENTS:]:
            cur.execute(statement)


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "APP_ENV"}
    env.update(DATABASE_URL=APP_URL, DATABASE_OWNER_URL=OWNER_URL, SECRETS_KEY=bs.BENCH_SECRETS_KEY)
    return env


def production_env(redis_db: int = REDIS_DB) -> dict[str, str]:
    """bench_survey's production environment, on this database and its own Redis db."""
    env = bs.production_env(DATABASE)
    env.update(DATABASE_URL=APP_URL, REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}")
    return env


def register(env: dict[str, str], slugs: list[str], staff: list[str]) -> None:
    """Register the offices with the app's own service, and their staff (``add_staff``) in
    ``staff`` (runs in a child process)."""
    os.environ.clear()
    os.environ.update(env)
    from saas_platform.app import create_app
    from saas_platform.core.db import db
    from saas_platform.onboarding import create_tenant

    app = create_app()
    with app.app_context():
        for i, slug in enumerate(slugs, start=1):
            create_tenant(slug, f"Urząd Gminy Testowej nr {i}")
            db.session.commit()
        _add_staff(staff)


def add_staff(env: dict[str, str], slugs: list[str]) -> None:
    """The staff of existing offices (a reused dataset made before a role existed gets it;
    runs in a child process)."""
    os.environ.clear()
    os.environ.update(env)
    from saas_platform.app import create_app

    with create_app().app_context():
        _add_staff(slugs)


def _add_staff(slugs: list[str]) -> None:
    """A staff admin and a department manager (of the first ``MANAGER_DEPARTMENTS``
    departments) in each office of ``slugs`` that lacks them."""
    from sqlalchemy import select

    from saas_platform.core.db import db
    from saas_platform.core.tenancy import tenant_scope
    from saas_platform.core.tenancy.models import Tenant
    from tenants.accounts import services as staff_service
    from tenants.accounts.models import StaffUser
    from tenants.survey.models import Department

    for slug in slugs:
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        with tenant_scope(tenant):
            existing = set(db.session.scalars(select(StaffUser.email)))
            if f"admin@{slug}.example" not in existing:
                user, _ = staff_service.invite(f"admin@{slug}.example", "admin")
                staff_service.set_password(user, STAFF_PASSWORD)
            if f"manager@{slug}.example" not in existing:
                departments = db.session.scalars(
                    select(Department.id).order_by(Department.position, Department.id)
                ).all()
                manager, _ = staff_service.invite(
                    f"manager@{slug}.example",
                    "manager",
                    department_ids=departments[:MANAGER_DEPARTMENTS],
                )
                staff_service.set_password(manager, STAFF_PASSWORD)
        db.session.commit()


def _loader():
    conn = psycopg2.connect(host=bs.PG_HOST, dbname=DATABASE, user=bs.SUPERUSER)
    with conn.cursor() as cur:
        # The superuser bypasses row security; foreign-key triggers are off for this session
        # only (the rows reference existing versions and departments by construction).
        cur.execute("SET session_replication_role = replica")
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET work_mem = '1GB'")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SELECT setseed(0.4242)")
    conn.commit()
    return conn


_PLAN = """
CREATE TEMP TABLE bench_plan AS
SELECT t.id AS tenant_id, p.n::bigint AS n, p.full_rows, v.id AS version_id,
       (SELECT array_agg(d.id ORDER BY d.id) FROM departments d WHERE d.tenant_id = t.id)
           AS dept_ids
FROM unnest(%(slugs)s::text[], %(ns)s::bigint[], %(full)s::bool[]) AS p(slug, n, full_rows)
JOIN tenants t ON t.slug = p.slug
JOIN survey_versions v ON v.tenant_id = t.id AND v.published_at IS NOT NULL
"""

# Responses whose day index (0 = first day) falls in [d0, d1), every office, in time order:
# the k-th response of an office of n falls on day floor((k - 1) * DAYS / n).
_RESPONSES = """
INSERT INTO responses (tenant_id, version_id, department_id, channel, submission_key,
                       submitted_at, answered_on)
SELECT tenant_id, version_id, department_id, channel, submission_key,
       (answered_on + time '07:30' + random() * interval '9 hours')
           AT TIME ZONE 'Europe/Warsaw',
       answered_on
FROM (
    SELECT p.tenant_id, p.version_id,
           CASE WHEN random() < %(dept_share)s
                THEN p.dept_ids[1 + floor(random() * cardinality(p.dept_ids))::int] END
               AS department_id,
           (%(channels)s::text[])[1 + floor(random() * %(n_channels)s)::int] AS channel,
           '00000000-0000-4000-8000-' || lpad(to_hex(k), 12, '0') AS submission_key,
           %(first)s::date + floor((k - 1) * %(days)s::numeric / p.n)::int AS answered_on,
           random() AS shuffle
    FROM bench_plan p
    CROSS JOIN LATERAL generate_series(
        ceil(%(d0)s::numeric * p.n / %(days)s)::bigint + 1,
        ceil(%(d1)s::numeric * p.n / %(days)s)::bigint
    ) AS k
) s
ORDER BY answered_on, shuffle
"""

# Every rating answer (and ~10 % comments) of the responses stored after id ``after``.
_ANSWERS = """
INSERT INTO answers (tenant_id, response_id, question_key, value)
SELECT tenant_id, response_id, key,
       CASE WHEN u_na < %(na)s THEN 'na'
            WHEN u < %(c1)s THEN '1' WHEN u < %(c2)s THEN '2' WHEN u < %(c3)s THEN '3'
            WHEN u < %(c4)s THEN '4' ELSE '5' END
FROM (
    SELECT r.tenant_id, r.id AS response_id, q.key, q.position, random() AS u_na,
           -- items differ a little: later items slightly better, so the list has an order
           least(random() + (q.position %% 5) * 0.02, 0.9999) AS u
    FROM responses r
    JOIN bench_plan p ON p.tenant_id = r.tenant_id AND p.full_rows
    JOIN survey_questions q
      ON q.tenant_id = r.tenant_id AND q.version_id = r.version_id AND q.kind = 'rating'
    WHERE r.id > %(after)s
) s
ORDER BY response_id, position
"""

_COMMENTS = """
INSERT INTO answers (tenant_id, response_id, question_key, value)
SELECT r.tenant_id, r.id, q.key,
       (%(texts)s::text[])[1 + floor(random() * %(n_texts)s)::int] || ' (nr ' || r.id || ')'
FROM responses r
JOIN bench_plan p ON p.tenant_id = r.tenant_id AND p.full_rows
JOIN survey_questions q
  ON q.tenant_id = r.tenant_id AND q.version_id = r.version_id AND q.kind = 'text'
WHERE r.id > %(after)s AND random() < %(share)s
ORDER BY r.id
"""

# The counts the app would have written for the full offices: a '*' row per response and a
# row per coded (non-text) answer, keyed (version, key, department or 0, channel, day, value),
# each with the overall sums of its responses (migration 0032: how many rated the overall
# question 1–5, the sum of that rating and of its square); the '*' rows with the comments of
# their responses (migration 0037).
_FULL_COUNTS = """
INSERT INTO response_counts (tenant_id, version_id, question_key, department_id, channel,
                             day, value, count, overall_n, overall_sum, overall_squares,
                             comments)
SELECT * FROM (
    SELECT r.tenant_id, r.version_id, a.question_key, coalesce(r.department_id, 0), r.channel,
           r.answered_on AS day, a.value, count(*), count(o.value),
           coalesce(sum(o.value::int), 0), coalesce(sum(o.value::int * o.value::int), 0), 0
    FROM answers a
    JOIN responses r ON r.tenant_id = a.tenant_id AND r.id = a.response_id
    JOIN survey_questions q
      ON q.tenant_id = r.tenant_id AND q.version_id = r.version_id
     AND q.key = a.question_key AND q.kind <> 'text'
    LEFT JOIN answers o
      ON o.tenant_id = r.tenant_id AND o.response_id = r.id
     AND o.question_key = 'ogolna_satysfakcja' AND o.value IN ('1', '2', '3', '4', '5')
    WHERE a.tenant_id IN (SELECT tenant_id FROM bench_plan WHERE full_rows)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    UNION ALL
    SELECT r.tenant_id, r.version_id, '*', coalesce(r.department_id, 0), r.channel,
           r.answered_on, '', count(*), count(o.value),
           coalesce(sum(o.value::int), 0), coalesce(sum(o.value::int * o.value::int), 0),
           coalesce(sum((SELECT count(*) FROM answers t
                         JOIN survey_questions tq
                           ON tq.tenant_id = t.tenant_id AND tq.version_id = r.version_id
                          AND tq.key = t.question_key AND tq.kind = 'text'
                         WHERE t.tenant_id = r.tenant_id AND t.response_id = r.id)), 0)
    FROM responses r
    LEFT JOIN answers o
      ON o.tenant_id = r.tenant_id AND o.response_id = r.id
     AND o.question_key = 'ogolna_satysfakcja' AND o.value IN ('1', '2', '3', '4', '5')
    WHERE r.tenant_id IN (SELECT tenant_id FROM bench_plan)
    GROUP BY 1, 2, 4, 5, 6
) c
ORDER BY day, 1
"""

# What the triggers of migrations 0006, 0032 and 0037 keep: the daily counts (and their
# overall sums and comments) summed per calendar month.
_MONTHLY_COUNTS = """
INSERT INTO response_counts_monthly (tenant_id, version_id, question_key, department_id,
                                     channel, month, value, count, overall_n, overall_sum,
                                     overall_squares, comments)
SELECT tenant_id, version_id, question_key, department_id, channel,
       date_trunc('month', day)::date AS month, value, sum(count), sum(overall_n),
       sum(overall_sum), sum(overall_squares), sum(comments)
FROM response_counts
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""

# Synthetic rating counts of the other offices: per day, key and value, with the same shares.
_FILLER_COUNTS = """
INSERT INTO response_counts (tenant_id, version_id, question_key, department_id, channel,
                             day, value, count)
SELECT * FROM (
    SELECT c.tenant_id, c.version_id, q.key, 0, 'web', c.day, v.value,
           floor(c.n * v.share + random())::int AS count
    FROM (
        SELECT tenant_id, version_id, answered_on AS day, count(*) AS n
        FROM responses
        WHERE tenant_id IN (SELECT tenant_id FROM bench_plan WHERE NOT full_rows)
        GROUP BY 1, 2, 3
    ) c
    JOIN survey_questions q
      ON q.tenant_id = c.tenant_id AND q.version_id = c.version_id AND q.kind = 'rating'
    CROSS JOIN unnest(%(values)s::text[], %(shares)s::float8[]) AS v(value, share)
) s
WHERE count > 0
ORDER BY day, tenant_id
"""


def _value_shares() -> tuple[list[str], list[float]]:
    values = ["na"] + [v for v, _ in RATING_SHARES]
    shares = [NOT_APPLICABLE_SHARE] + [s * (1 - NOT_APPLICABLE_SHARE) for _, s in RATING_SHARES]
    return values, shares


def _step(steps: dict[str, float], name: str, started: float) -> None:
    steps[name] = round(time.monotonic() - started, 1)
    print(f"  {name:<44} {steps[name]:7.1f} s", flush=True)


def upgrade_database() -> None:
    """Migrate the database to the head, as its owner."""
    result = subprocess.run(
        [str(bs.BIN / "satysfakcja"), "db", "upgrade"],
        cwd=bs.REPO_ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"db upgrade failed:\n{result.stdout}{result.stderr}")


def build_dataset(scale: float) -> Dataset:
    """Create the database and fill it; see the module docstring."""
    steps: dict[str, float] = {}
    build_started = time.monotonic()
    offices = plan_offices(scale)
    today = date.today()
    first = today - timedelta(days=DAYS - 1)
    total = sum(o.planned for o in offices)
    print(f"Building {DATABASE}: {len(offices)} offices, {total:,} responses (scale {scale:g}) …")

    started = time.monotonic()
    create_database()
    upgrade_database()
    _step(steps, "database, roles, migrations", started)

    started = time.monotonic()
    context = multiprocessing.get_context("spawn")
    process = context.Process(
        target=register,
        args=(cli_env(), [o.slug for o in offices], [o.slug for o in offices if o.full]),
    )
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"registering the offices failed (exit code {process.exitcode})")
    _step(steps, f"{len(offices)} offices via create_tenant", started)

    conn = _loader()
    with conn.cursor() as cur:
        cur.execute(
            _PLAN,
            {
                "slugs": [o.slug for o in offices],
                "ns": [o.planned for o in offices],
                "full": [o.full for o in offices],
            },
        )
        conn.commit()
        cur.execute("SELECT key FROM survey_questions WHERE kind = 'text' LIMIT 1")
        if cur.fetchone() is None:
            raise RuntimeError("the default survey has no open-text question")
        values, shares = _value_shares()
        cumulative, acc = {}, 0.0
        for i, (_, share) in enumerate(RATING_SHARES[:-1], start=1):
            acc += share
            cumulative[f"c{i}"] = acc
        started = time.monotonic()
        answers_seconds = 0.0
        for d0 in range(0, DAYS, CHUNK_DAYS):
            d1 = min(DAYS, d0 + CHUNK_DAYS)
            cur.execute("SELECT coalesce(max(id), 0) FROM responses")
            after = cur.fetchone()[0]
            cur.execute(
                _RESPONSES,
                {
                    "d0": d0,
                    "d1": d1,
                    "days": DAYS,
                    "first": first,
                    "dept_share": DEPARTMENT_SHARE,
                    "channels": list(CHANNEL_MIX),
                    "n_channels": len(CHANNEL_MIX),
                },
            )
            chunk_started = time.monotonic()
            cur.execute(_ANSWERS, {"after": after, "na": NOT_APPLICABLE_SHARE, **cumulative})
            cur.execute(
                _COMMENTS,
                {
                    "after": after,
                    "texts": list(bs.COMMENTS),
                    "n_texts": len(bs.COMMENTS),
                    "share": COMMENT_SHARE,
                },
            )
            conn.commit()
            answers_seconds += time.monotonic() - chunk_started
            print(f"    days {d0:3d}–{d1 - 1:3d} stored ({time.monotonic() - started:.0f} s)")
        steps["responses + answers (of which answers)"] = round(answers_seconds, 1)
        _step(steps, "responses and raw answers", started)

        started = time.monotonic()
        cur.execute(_FULL_COUNTS)
        conn.commit()
        _step(steps, "counts: full offices + '*' of all", started)
        started = time.monotonic()
        cur.execute(_FILLER_COUNTS, {"values": values, "shares": shares})
        conn.commit()
        _step(steps, "counts: synthetic ratings of fillers", started)
        # The loader runs with triggers off: roll the days up into months as the triggers would.
        started = time.monotonic()
        cur.execute(_MONTHLY_COUNTS)
        conn.commit()
        _step(steps, "counts: monthly roll-up", started)
    conn.close()

    started = time.monotonic()
    with bs.pg_connect(DATABASE) as conn, conn.cursor() as cur:
        for table in ("responses", "answers", "response_counts", "response_counts_monthly"):
            cur.execute(f"VACUUM (ANALYZE) {table}")
        cur.execute("CHECKPOINT")
        cur.execute("SELECT t.slug, t.id, count(r.id) FROM tenants t "
                    "LEFT JOIN responses r ON r.tenant_id = t.id GROUP BY 1, 2")  # fmt: skip
        stored = {slug: (tenant_id, n) for slug, tenant_id, n in cur.fetchall()}
        cur.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database())),"
            " (SELECT count(*) FROM answers), (SELECT count(*) FROM response_counts)"
        )
        size, answers, counts = cur.fetchone()
    _step(steps, "vacuum analyze, checkpoint", started)
    for office in offices:
        office.id, office.responses = stored[office.slug]
    dataset = Dataset(
        scale, today.isoformat(), offices, steps, round(time.monotonic() - build_started, 1)
    )
    with bs.pg_connect("postgres") as conn, conn.cursor() as cur:
        comment = dataset.to_json().replace("'", "''")
        cur.execute(f"COMMENT ON DATABASE {DATABASE} IS '{comment}'")
    print(
        f"  built in {dataset.build_seconds:.0f} s: {sum(o.responses for o in offices):,}"
        f" responses, {answers:,} answers, {counts:,} count rows, {size}"
    )
    return dataset


def obtain_dataset(scale: float, reuse: bool) -> Dataset:
    """The dataset of this scale: reused when asked and present, built otherwise."""
    if reuse:
        existing = stored_dataset()
        if existing is not None and math.isclose(existing.scale, scale):
            print(
                f"Reusing {DATABASE} (scale {scale:g}, built {existing.today} in"
                f" {existing.build_seconds:.0f} s)"
            )
            if existing.today != date.today().isoformat():
                print("  note: built on another day; 'this year' and the ranges shift with it")
            upgrade_database()  # a dataset kept from an older revision gets the new columns
            process = multiprocessing.get_context("spawn").Process(
                target=add_staff, args=(cli_env(), [o.slug for o in existing.offices if o.full])
            )
            process.start()
            process.join()
            if process.exitcode != 0:
                raise RuntimeError(f"adding the staff failed (exit code {process.exitcode})")
            return existing
        print(f"No reusable {DATABASE} of scale {scale:g}; building it")
    return build_dataset(scale)


# --------------------------------------------------------------------------------------------
# Servers, sessions and memory
# --------------------------------------------------------------------------------------------


def start_gunicorn(name: str, env: dict[str, str], workers: int | None = None) -> bs.Server:
    """gunicorn with config/gunicorn.py and production settings on a free port."""
    env = dict(env)
    if workers is not None:
        env["GUNICORN_WORKERS"] = str(workers)
    port = bs.free_port()
    log_path = bs.RESULTS_DIR / f"gunicorn-{name}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(bs.BIN / "gunicorn"),
                "-c",
                str(bs.GUNICORN_CONFIG),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "300",  # a 100k-row export must not be cut off by the 30 s worker timeout
                "saas_platform.app:create_app()",
            ],
            cwd=bs.REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = bs.Server(name, port, process, log_path)
    wanted = workers or bs.configured_workers()
    # Five workers importing the app on a busy two-core machine took 75 s once: wait longer.
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn ({name}) exited; see {log_path}")
        with suppress(OSError, http.client.HTTPException):
            ok = bs.HttpClient(port).request("GET", "/healthz")[0] == 200
            if ok and len(worker_pids(server)) >= wanted:
                return server
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn ({name}) did not get ready")


def worker_pids(server: bs.Server) -> list[int]:
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    with suppress(OSError):
        return [int(pid) for pid in children.read_text().split()]
    return []


def proc_status_kb(pid: int, field: str) -> int:
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux: write 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class RssSampler:
    """Samples VmRSS of some processes every ``interval`` seconds in a thread."""

    def __init__(self, pids: list[int], interval: float = 0.02) -> None:
        self.pids = pids
        self.interval = interval
        self.peak = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], proc_status_kb(pid, "VmRSS"))
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def login(port: int, office: Office, email: str | None = None) -> bs.HttpClient:
    """A client on the office's host, signed in as its staff admin (or ``email``)."""
    client = bs.HttpClient(port, host=office.host)
    status, html = client.request("GET", "/panel/login")
    match = re.search(rb'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    if status != 200 or match is None:
        raise RuntimeError(f"GET /panel/login on {office.host} answered {status}")
    body = urlencode(
        {
            "csrf_token": match.group(1).decode(),
            "email": email or office.staff_email,
            "password": STAFF_PASSWORD,
        }
    ).encode()
    status, data = client.request("POST", "/panel/login", body)
    if status != 302:
        raise RuntimeError(f"login on {office.host} answered {status}: {data[:300]!r}")
    return client


def responses_shown(html: bytes) -> int | None:
    match = re.search(rb'id="liczba-odpowiedzi">\s*([\d\s\xc2\xa0,.]+?)\s*<', html)
    if match is None:
        return None
    return int(re.sub(rb"\D", b"", match.group(1)) or 0)


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


def _our_ticks(table: dict[int, tuple[int, int, str]]) -> dict[int, int]:
    """bench_survey's accounting (this process, its children, the bench databases'
    backends, PostgreSQL's helpers) plus the parallel query workers of those backends."""
    ours = bs._accounted_ticks(table)
    for pid, (_, ticks, cmdline) in table.items():
        match = re.search(r"parallel worker for PID (\d+)", cmdline)
        if match and int(match.group(1)) in ours:
            ours[pid] = ticks
    return ours


class ForeignLoad:
    """Like ``bench_survey.ForeignLoad`` (the share of the machine used by unrelated
    processes), counting PostgreSQL's parallel workers of our queries as ours."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.busy = bs._machine_busy_ticks()
        self.accounted = _our_ticks(bs._process_table())

    def share(self) -> float:
        busy = bs._machine_busy_ticks() - self.busy
        after = _our_ticks(bs._process_table())
        ours = sum(ticks - self.accounted.get(pid, 0) for pid, ticks in after.items())
        seconds = max(0, busy - ours) / os.sysconf("SC_CLK_TCK")
        return seconds / ((time.monotonic() - self.started) * (os.cpu_count() or 1))


def pct(values: list[float], fraction: float) -> float:
    return bs.percentile(sorted(values), fraction)


def get(client: bs.HttpClient, path: str) -> tuple[int, bytes]:
    """GET, once more if the server had closed the idle keep-alive connection meanwhile."""
    try:
        return client.request("GET", path)
    except (http.client.RemoteDisconnected, ConnectionError):
        return client.request("GET", path)


def time_page(client: bs.HttpClient, path: str, requests: int, warmup: int) -> dict[str, Any]:
    client.conn.close()  # a fresh connection: the last request may be long ago
    for _ in range(warmup):
        get(client, path)
    foreign = ForeignLoad()
    latencies, statuses, page = [], set(), b""
    for _ in range(requests):
        started = time.perf_counter()
        status, page = get(client, path)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses.add(status)
    return {
        "p50_ms": pct(latencies, 0.50),
        "p95_ms": pct(latencies, 0.95),
        "min_ms": min(latencies),
        "max_ms": max(latencies),
        "requests": requests,
        "statuses": sorted(statuses),
        "responses_shown": responses_shown(page),
        "shows_priorities": b'id="priorytety"' in page,
        "page_bytes": len(page),
        "foreign_cpu_share": foreign.share(),
    }


def count_in_range(
    office: Office, date_from: date, date_to: date, manager_of: str | None = None
) -> int:
    """The office's raw responses of these days (only the departments of the manager
    ``manager_of``, an e-mail address, when given)."""
    within = ""
    if manager_of is not None:
        within = (
            " AND department_id IN (SELECT d.department_id FROM staff_departments d"
            " JOIN staff_users u ON u.tenant_id = d.tenant_id AND u.id = d.user_id"
            " WHERE u.tenant_id = %(tenant)s AND u.email = %(manager)s)"
        )
    with bs.pg_connect(DATABASE) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM responses WHERE tenant_id = %(tenant)s"
            " AND answered_on BETWEEN %(first)s AND %(last)s" + within,
            {"tenant": office.id, "first": date_from, "last": date_to, "manager": manager_of},
        )
        return cur.fetchone()[0]


def app_connect():
    return psycopg2.connect(APP_URL)


NAIVE_FLOOR = """
SELECT a.question_key, avg(a.value::int)
FROM answers a
JOIN responses r ON r.tenant_id = a.tenant_id AND r.id = a.response_id
WHERE a.tenant_id = %(tenant)s AND r.tenant_id = %(tenant)s
  AND a.value <> 'na' AND a.question_key = ANY(%(keys)s)
  AND r.answered_on BETWEEN %(date_from)s AND %(date_to)s
GROUP BY a.question_key
"""


def rating_keys(office: Office) -> list[str]:
    with bs.pg_connect(DATABASE) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT key FROM survey_questions WHERE tenant_id = %s AND kind = 'rating'"
            " ORDER BY position",
            (office.id,),
        )
        return [row[0] for row in cur.fetchall()]


def drilldown_paths(office: Office) -> dict[str, str]:
    """The drill-down pages of the office's first rated question and of its area."""
    with bs.pg_connect(DATABASE) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT q.key, s.key FROM survey_questions q"
            " JOIN survey_sections s ON s.id = q.section_id"
            " JOIN survey_versions v ON v.id = q.version_id AND v.published_at IS NOT NULL"
            " WHERE q.tenant_id = %s AND q.kind = 'rating' ORDER BY s.position, q.position"
            " LIMIT 1",
            (office.id,),
        )
        question, area = cur.fetchone()
    return {"question": f"/panel/wyniki/pytanie/{question}", "area": f"/panel/wyniki/obszar/{area}"}


def time_in_tenant(
    office: Office, sql: str, params: dict, repeats: int, explain: bool = False
) -> dict[str, Any]:
    """Time ``sql`` as the application role, in a transaction with the office set."""
    conn = app_connect()
    latencies, rows, plan = [], 0, ""
    try:
        for _ in range(repeats):
            with conn.cursor() as cur:
                started = time.perf_counter()
                cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(office.id),))
                cur.execute(sql, params)
                rows = len(cur.fetchall())
                latencies.append((time.perf_counter() - started) * 1000)
            conn.rollback()
        if explain:
            with conn.cursor() as cur:
                cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(office.id),))
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(row[0] for row in cur.fetchall())
            conn.rollback()
    finally:
        conn.close()
    return {
        "p50_ms": pct(latencies, 0.5),
        "min_ms": min(latencies),
        "max_ms": max(latencies),
        "repeats": repeats,
        "rows": rows,
        "plan": plan,
    }


def download(
    port: int, client: bs.HttpClient, path: str, target: Path
) -> tuple[int, float, float, int]:
    """Stream ``path`` to ``target``: (status, first byte s, total s, bytes)."""
    headers = {
        "Host": client.host,
        "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items()),
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    first_byte = None
    size = 0
    with target.open("wb") as out:
        while chunk := response.read(64 * 1024):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            out.write(chunk)
            size += len(chunk)
    total = time.perf_counter() - started
    conn.close()
    return response.status, first_byte or total, total, size


def csv_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return sum(1 for _ in csv.reader(f, delimiter=";")) - 1


def xlsx_rows(path: Path) -> int | None:
    """Data rows of the first sheet, counted by streaming its XML."""
    with zipfile.ZipFile(path) as archive:
        name = next((n for n in archive.namelist() if n.startswith("xl/worksheets/")), None)
        if name is None:
            return None
        rows, tail = 0, b""
        with archive.open(name) as sheet:
            while chunk := sheet.read(1 << 20):
                data = tail + chunk
                rows += data.count(b"<row ") + data.count(b"<row>")
                tail = data[-5:]
                rows -= tail.count(b"<row ") + tail.count(b"<row>")
        rows += tail.count(b"<row ") + tail.count(b"<row>")
    return rows - 1


def measure_export(
    server: bs.Server, client: bs.HttpClient, office: Office, dataset: Dataset, extension: str
) -> dict[str, Any]:
    query = urlencode({"okres": "custom", "od": dataset.first_day.isoformat(), "do": dataset.today})
    path = f"/panel/eksport.{extension}?{query}"
    pids = worker_pids(server)
    idle = {pid: proc_status_kb(pid, "VmRSS") for pid in pids}
    cleared = all(reset_peak(pid) for pid in pids)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"export.{extension}"
        with RssSampler(pids) as sampler:
            status, first_byte, total, size = download(server.port, client, path, target)
        hwm = {pid: proc_status_kb(pid, "VmHWM") for pid in pids}
        rows = csv_rows(target) if extension == "csv" else xlsx_rows(target)
    growth_sampled = max(sampler.peak[pid] - idle[pid] for pid in pids)
    growth_hwm = max(hwm[pid] - idle[pid] for pid in pids) if cleared else None
    return {
        "office": office.label,
        "responses": office.responses,
        "status": status,
        "bytes": size,
        "first_byte_s": first_byte,
        "total_s": total,
        "rows": rows,
        "rows_ok": status == 200 and rows == office.responses,
        "idle_rss_mb": max(idle.values()) / 1024,
        "peak_rss_mb": max(max(sampler.peak.values()), max(hwm.values())) / 1024,
        "rss_growth_mb_sampled": growth_sampled / 1024,
        "rss_growth_mb_hwm": None if growth_hwm is None else growth_hwm / 1024,
    }


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="e.g. 0.01 for a smoke run")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page")
    parser.add_argument("--keep-db", action="store_true", help="leave the database in place")
    parser.add_argument(
        "--reuse-db", action="store_true", help="reuse a dataset of the same scale if present"
    )
    return parser.parse_args(argv)


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def measure_dashboard(dataset: Dataset, args: argparse.Namespace) -> dict[str, Any]:
    big, small = dataset.office("1m"), dataset.office("10k")
    today = date.fromisoformat(dataset.today)
    # The summary, "Priorytety" included, for every period preset the filter offers.
    pages = {"default": "/panel/"}
    pages.update({name: "/panel/?" + urlencode({"okres": name}) for name in PERIOD_PRESETS})
    server = start_gunicorn("dashboard", production_env())
    results: dict[str, Any] = {"workers": len(worker_pids(server)), "pages": {}}
    try:
        clients = {o.label: login(server.port, o) for o in (big, small)}
        for name, path in pages.items():
            for office in (big, small):
                key = f"{name}/{office.label}"
                page = time_page(clients[office.label], path, args.requests, args.warmup)
                results["pages"][key] = page
                print(
                    f"  GET {path:<28} {office.label:>5}: p50 {page['p50_ms']:7.1f} ms"
                    f"  p95 {page['p95_ms']:7.1f} ms  statuses {page['statuses']}"
                    f"  shows {page['responses_shown']}"
                    f"{' with Priorytety' if page['shows_priorities'] else ' NO Priorytety'}"
                    f"  other load {page['foreign_cpu_share']:.0%}"
                )
        # A department manager's summary (default filters: this year, their departments).
        managers = {o.label: login(server.port, o, o.manager_email) for o in (big, small)}
        for office in (big, small):
            key = f"manager/{office.label}"
            page = time_page(managers[office.label], "/panel/", args.requests, args.warmup)
            results["pages"][key] = page
            print(
                f"  GET /panel/ (kierownik) {'':<16} {office.label:>5}:"
                f" p50 {page['p50_ms']:7.1f} ms"
                f"  p95 {page['p95_ms']:7.1f} ms  statuses {page['statuses']}"
                f"  shows {page['responses_shown']}"
                f"  other load {page['foreign_cpu_share']:.0%}"
            )
        # The drill-down pages of one question and of its area, this year and the last 12 months.
        for office in (big, small):
            for kind, path in drilldown_paths(office).items():
                for name, query in (("default", ""), ("last_12_months", "?okres=last_12_months")):
                    key = f"drilldown_{kind}/{name}/{office.label}"
                    client = clients[office.label]
                    page = time_page(client, path + query, args.requests, args.warmup)
                    results["pages"][key] = page
                    print(
                        f"  GET {kind + ' ' + name:<28} {office.label:>5}:"
                        f" p50 {page['p50_ms']:7.1f} ms"
                        f"  p95 {page['p95_ms']:7.1f} ms  statuses {page['statuses']}"
                        f"  other load {page['foreign_cpu_share']:.0%}"
                    )
        # Correctness: the numbers shown equal the raw responses of the period.
        checks = {}
        for office in (big, small):
            shown = results["pages"][f"manager/{office.label}"]["responses_shown"]
            expected = count_in_range(
                office, date(today.year, 1, 1), today, manager_of=office.manager_email
            )
            checks[f"manager/{office.label}"] = {"shown": shown, "raw": expected}
        for office in (big, small):
            shown = results["pages"][f"default/{office.label}"]["responses_shown"]
            expected = count_in_range(office, date(today.year, 1, 1), today)
            checks[f"default/{office.label}"] = {"shown": shown, "raw": expected}
            everything = "/panel/?" + urlencode(
                {"okres": "custom", "od": dataset.first_day.isoformat(), "do": dataset.today}
            )
            status, html = get(clients[office.label], everything)
            checks[f"all_days/{office.label}"] = {
                "shown": responses_shown(html),
                "raw": office.responses,
                "status": status,
            }
        for check in checks.values():
            check["ok"] = check["shown"] == check["raw"]
        results["count_checks"] = checks
        results["log_problems"] = server.log_problems()[:20]
    finally:
        bs.stop_server(server)

    keys = rating_keys(big)
    floor = time_in_tenant(
        big,
        NAIVE_FLOOR,
        {"tenant": big.id, "keys": keys, "date_from": date(today.year, 1, 1), "date_to": today},
        repeats=7,
        explain=True,
    )
    results["naive_floor"] = floor
    print(f"  naive floor (1m, this year): p50 {floor['p50_ms']:.1f} ms, {floor['rows']} keys")
    return results


# 200 actions of one office, each linking 3 of its rated items (rotating through them): even
# ones done (implemented 120 days ago, so both 90-day windows hold data), odd ones open, every
# fourth of those overdue.
_ACTIONS = """
INSERT INTO actions (tenant_id, title, description, kind, item_keys, department_ids,
                     responsible_text, planned_start, due_date, implemented_on, status,
                     abandon_reason, effect_window_days, version, created_at, updated_at,
                     published)
SELECT %(tenant)s, 'Działanie ' || i, 'Opis działania ' || i,
       CASE WHEN i %% 3 = 0 THEN 'improvement' ELSE 'corrective' END,
       to_json(ARRAY[(%(keys)s::text[])[(i * 3) %% %(n_keys)s + 1],
                     (%(keys)s::text[])[(i * 3 + 1) %% %(n_keys)s + 1],
                     (%(keys)s::text[])[(i * 3 + 2) %% %(n_keys)s + 1]]),
       '[]', 'Wydział Organizacyjny',
       %(today)s::date - 200,
       CASE WHEN i %% 8 = 1 THEN %(today)s::date - 10 ELSE %(today)s::date + 60 END,
       CASE WHEN i %% 2 = 0 THEN %(today)s::date - 120 END,
       CASE WHEN i %% 2 = 0 THEN 'done' WHEN i %% 4 = 1 THEN 'planned' ELSE 'in_progress' END,
       '', 90, 1, now(), now(), i %% 4 = 0
FROM generate_series(1, %(n)s) AS i
RETURNING id, status
"""


def add_actions(office: Office, today: date) -> int:
    """The register of ``office``: ``ACTIONS`` actions; returns the id of a done one."""
    keys = rating_keys(office)
    with bs.pg_connect(DATABASE) as conn, conn.cursor() as cur:
        cur.execute(
            _ACTIONS,
            {"tenant": office.id, "keys": keys, "n_keys": len(keys), "today": today, "n": ACTIONS},
        )
        rows = cur.fetchall()
        cur.execute("ANALYZE actions")
    return next(action_id for action_id, status in rows if status == "done")


def _time_effect(env: dict[str, str], tenant_id: int, action_id: int, repeats: int, out) -> None:
    """In a child process: ``tenants.actions.effects.measure`` of one action, timed alone
    (the figures without the page around them), as the app role with the office set."""
    os.environ.clear()
    os.environ.update(env)
    from saas_platform.app import create_app
    from saas_platform.core.db import db
    from saas_platform.core.tenancy import tenant_scope
    from saas_platform.core.tenancy.models import Tenant
    from tenants.actions import services
    from tenants.actions.effects import measure
    from tenants.actions.models import Action

    app = create_app()
    latencies = []
    with app.app_context(), tenant_scope(db.session.get(Tenant, tenant_id)) as tenant:
        texts = services.rated_items()
        action = db.session.get(Action, action_id)
        for _ in range(repeats + 3):
            started = time.perf_counter()
            effect = measure(action, texts, tenant.today())
            latencies.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
            action = db.session.get(Action, action_id)
    assert effect is not None
    out.put(
        {
            "p50_ms": pct(latencies[3:], 0.5),
            "min_ms": min(latencies[3:]),
            "repeats": repeats,
            "items": len(effect.items),
            "verdicts": [item.verdict for item in effect.items],
        }
    )


def time_effect_figures(office: Office, action_id: int, repeats: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    process = context.Process(
        target=_time_effect, args=(production_env(), office.id, action_id, repeats, out)
    )
    process.start()
    result = out.get(timeout=600)
    process.join()
    return result


def measure_actions(dataset: Dataset, args: argparse.Namespace) -> dict[str, Any]:
    """``/panel/`` of the 1M office right before and after its register gets ``ACTIONS``
    actions (one gunicorn, one session), and one done action's page with its effect."""
    big = dataset.office("1m")
    today = date.fromisoformat(dataset.today)
    server = start_gunicorn("actions", production_env())
    results: dict[str, Any] = {"actions": ACTIONS, "items_per_action": ITEMS_PER_ACTION}
    try:
        client = login(server.port, big)
        results["dashboard_without_actions"] = time_page(
            client, "/panel/", args.requests, args.warmup
        )
        action_id = add_actions(big, today)
        results["dashboard_with_actions"] = time_page(client, "/panel/", args.requests, args.warmup)
        results["register"] = time_page(client, "/panel/dzialania", args.requests, args.warmup)
        results["action_with_effect"] = time_page(
            client, f"/panel/dzialania/{action_id}", args.requests, args.warmup
        )
        results["action_id"] = action_id
        results["log_problems"] = server.log_problems()[:20]
    finally:
        bs.stop_server(server)
    results["effect_figures"] = effect = time_effect_figures(big, action_id, args.requests)
    print(
        f"  effect figures of one action (in process): p50 {effect['p50_ms']:.1f} ms,"
        f" {effect['items']} items: {', '.join(effect['verdicts'])}"
    )
    for name in ("dashboard_without_actions", "dashboard_with_actions", "register",
                 "action_with_effect"):  # fmt: skip
        page = results[name]
        print(
            f"  {name:<26} 1m: p50 {page['p50_ms']:7.1f} ms  p95 {page['p95_ms']:7.1f} ms"
            f"  statuses {page['statuses']}  other load {page['foreign_cpu_share']:.0%}"
        )
    return results


EXPORT_REQUEST_REPEATS = 5


def measure_export_requests(dataset: Dataset) -> dict[str, Any]:
    """The export request of every day of the 1M and the 100k office, with the production
    threshold: over it, the request only writes the job's row and sends its task (no worker
    runs here, so the job stays queued and is deleted before the next repeat). The issue's
    limit is the first byte within 1 s."""
    server = start_gunicorn("export-requests", production_env())
    query = urlencode({"okres": "custom", "od": dataset.first_day.isoformat(), "do": dataset.today})
    results: dict[str, Any] = {}
    try:
        offices = [dataset.office("1m"), dataset.office("100k")]
        clients = {o.label: login(server.port, o) for o in offices}
        for extension in ("csv", "xlsx"):
            for office in offices:
                first_bytes, statuses = [], set()
                for _ in range(EXPORT_REQUEST_REPEATS):
                    with tempfile.TemporaryDirectory() as tmp:
                        status, first_byte, _total, _size = download(
                            server.port,
                            clients[office.label],
                            f"/panel/eksport.{extension}?{query}",
                            Path(tmp) / "answer",
                        )
                    first_bytes.append(first_byte * 1000)
                    statuses.add(status)
                    with bs.pg_connect(DATABASE) as conn, conn.cursor() as cur:
                        cur.execute("DELETE FROM export_jobs WHERE tenant_id = %s", (office.id,))
                r = {
                    "p50_ms": pct(first_bytes, 0.5),
                    "max_ms": max(first_bytes),
                    "statuses": sorted(statuses),
                    "responses": office.responses,
                }
                results[f"{extension}/{office.label}"] = r
                print(
                    f"  {extension:<4} request {office.label:>5}:"
                    f" first byte p50 {r['p50_ms']:.0f} ms,"
                    f" max {r['max_ms']:.0f} ms, statuses {r['statuses']}"
                )
        results["log_problems"] = server.log_problems()[:20]
    finally:
        bs.stop_server(server)
    return results


def measure_exports(dataset: Dataset) -> dict[str, Any]:
    """Streamed downloads, memory sampled. The threshold is raised for this gunicorn so that
    the 100k office's file streams too (in production it goes to a worker): the point is that
    the streaming path's memory stays flat as the file grows."""
    env = production_env()
    env["EXPORT_BACKGROUND_THRESHOLD"] = str(10**9)
    env["EXPORT_XLSX_BACKGROUND_THRESHOLD"] = str(10**9)
    server = start_gunicorn("exports", env, workers=1)
    results: dict[str, Any] = {}
    try:
        small, mid = dataset.office("10k"), dataset.office("100k")
        clients = {o.label: login(server.port, o) for o in (small, mid)}
        for extension in ("csv", "xlsx"):
            measure_export(server, clients["10k"], small, dataset, extension)  # warm-up
            for office in (small, mid):
                r = measure_export(server, clients[office.label], office, dataset, extension)
                results[f"{extension}/{office.label}"] = r
                print(
                    f"  {extension:<4} {office.label:>5}: {r['total_s']:6.1f} s"
                    f" (first byte {r['first_byte_s']:.2f} s), {r['bytes'] / 1e6:6.1f} MB,"
                    f" rows {r['rows']} / {r['responses']},"
                    f" RSS +{r['rss_growth_mb_sampled']:.1f} MB sampled"
                    f" / +{r['rss_growth_mb_hwm'] or 0:.1f} MB peak"
                )
        results["log_problems"] = server.log_problems()[:20]
    finally:
        bs.stop_server(server)
    return results


def explain_dashboard_queries(dataset: Dataset, label: str) -> dict[str, Any]:
    """EXPLAIN ANALYZE of the dashboard's own statements for one office (this year), as the app sees
    them (compiled by the app's code, run as the application role with the office set)."""
    code = r"""
import json, os, sys
from datetime import date
from sqlalchemy import text
from saas_platform.app import create_app
from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant
from tenants.reports import comments as c, stats as s
from tenants.survey import filters as survey_filters

captured = []
app = create_app()
with app.app_context():
    from sqlalchemy import event
    @event.listens_for(db.engine, "before_cursor_execute")
    def keep(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))
    tenant = db.session.get(Tenant, int(sys.argv[1]))
    today = date.fromisoformat(sys.argv[2])
    with tenant_scope(tenant):
        f = survey_filters.Filters(date(today.year, 1, 1), today)
        s.compute_results(f, float(tenant.score_threshold))
        c.comments(f, limit=10)
        from tenants.comments.services import topic_counts
        topic_counts(f)
    plans = {}
    conn = db.engine.raw_connection()
    cur = conn.cursor()
    for i, (statement, parameters) in enumerate(captured):
        if not statement.lstrip().upper().startswith("SELECT") or "set_config" in statement:
            continue
        cur.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant.id),))
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plans[f"{i:02d}"] = {"sql": statement,
                             "plan": "\n".join(r[0] for r in cur.fetchall())}
        conn.rollback()
    print(json.dumps(plans))
"""
    env = production_env()
    result = subprocess.run(
        [sys.executable, "-c", code, str(dataset.office(label).id), dataset.today],
        cwd=bs.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return {"error": result.stderr[-2000:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def plan_time_ms(plan: str) -> float:
    match = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return float(match.group(1)) if match else float("nan")


def summarise(
    dashboard: dict[str, Any], exports: dict[str, Any], actions: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    pages = dashboard["pages"]
    floor = dashboard["naive_floor"]["p50_ms"]
    summary = {}
    # Every page measured in both offices: the summary for every period preset, the drill-down
    # pages (and, when measured, a department manager's summary).
    names = [key.removesuffix("/1m") for key in pages if key.endswith("/1m")]
    for name in names:
        if f"{name}/10k" not in pages:
            continue
        big, small = pages[f"{name}/1m"]["p50_ms"], pages[f"{name}/10k"]["p50_ms"]
        summary[f"dashboard_p50_ms_1m/{name}"] = {
            "value": big,
            "target": f"< {TARGETS['dashboard_p50_ms_max']:.0f}",
            "met": big < TARGETS["dashboard_p50_ms_max"],
        }
        r = ratio(big, small)
        summary[f"dashboard_1m_vs_10k/{name}"] = {
            "value": r,
            "target": f"<= {TARGETS['dashboard_1m_vs_10k_max']:.1f}",
            "met": r <= TARGETS["dashboard_1m_vs_10k_max"],
        }
    big, small = pages["manager/1m"]["p50_ms"], pages["manager/10k"]["p50_ms"]
    summary["manager_dashboard_p50_ms_1m/default"] = {
        "value": big,
        "target": f"< {TARGETS['dashboard_p50_ms_max']:.0f}",
        "met": big < TARGETS["dashboard_p50_ms_max"],
    }
    r = ratio(big, small)
    summary["manager_dashboard_1m_vs_10k/default"] = {
        "value": r,
        "target": f"<= {TARGETS['dashboard_1m_vs_10k_max']:.1f}",
        "met": r <= TARGETS["dashboard_1m_vs_10k_max"],
    }
    r = ratio(big, floor)
    summary["manager_dashboard_1m_vs_naive_floor/default"] = {
        "value": r,
        "target": "< 1 (beats it)",
        "met": r < 1,
    }
    r = ratio(pages["default/1m"]["p50_ms"], floor)
    summary["dashboard_1m_vs_naive_floor/default"] = {
        "value": r,
        "target": "< 1 (beats it)",
        "met": r < 1,
    }
    for name in ("dashboard_without_actions", "dashboard_with_actions"):
        value = actions[name]["p50_ms"]
        summary[f"{name}_p50_ms_1m/default"] = {
            "value": value,
            "target": f"< {TARGETS['dashboard_p50_ms_max']:.0f}",
            "met": value < TARGETS["dashboard_p50_ms_max"],
        }
    value = actions["effect_figures"]["p50_ms"]
    summary["action_effect_figures_p50_ms_1m"] = {
        "value": value,
        "target": f"< {TARGETS['action_effect_p50_ms_max']:.0f}",
        "met": value < TARGETS["action_effect_p50_ms_max"],
    }
    for key, request in exports["requests"].items():
        if key == "log_problems":
            continue
        summary[f"export_request_first_byte_ms/{key}"] = {
            "value": request["max_ms"],
            "target": "< 1000 (max)",
            "met": request["max_ms"] < 1000,
        }
    for extension in ("csv", "xlsx"):
        big = exports[f"{extension}/100k"]["rss_growth_mb_sampled"]
        small = exports[f"{extension}/10k"]["rss_growth_mb_sampled"]
        summary[f"export_{extension}_rss_growth_100k_minus_10k_mb"] = {
            "value": big - small,
            "target": "flat (< 20 MB)",
            "met": big - small < 20,
        }
    return summary


def print_summary(summary: dict[str, dict[str, Any]]) -> None:
    print()
    print(f"{'ratio or limit':<48}{'value':>10}  {'target':<16}{'met':>4}")
    for key, r in summary.items():
        met = "yes" if r["met"] else "NO"
        print(f"{key:<48}{r['value']:10.2f}  {r['target']:<16}{met:>4}")


def run(args: argparse.Namespace) -> int:
    bs.RESULTS_DIR.mkdir(exist_ok=True)
    started = time.monotonic()
    revision = bs.source_revision()
    print(f"Benchmarking {revision}: dashboard and exports at scale {args.scale:g}")
    try:
        dataset = obtain_dataset(args.scale, args.reuse_db)
        for label in FULL_OFFICES:
            office = dataset.office(label)
            print(f"  office {label}: {office.slug} (id {office.id}), {office.responses:,}")
        print("Dashboard …")
        dashboard = measure_dashboard(dataset, args)
        print(f"Action register ({ACTIONS} actions in the 1m office) …")
        actions = measure_actions(dataset, args)
        print("Exports …")
        exports = measure_exports(dataset)
        print("Export requests (production threshold) …")
        exports["requests"] = measure_export_requests(dataset)
        plans = {}
        for label in ("1m", "10k"):
            print(f"EXPLAIN ANALYZE of the dashboard's statements ({label}, this year) …")
            plans[label] = explain_dashboard_queries(dataset, label)
            for key, entry in plans[label].items():
                if isinstance(entry, dict):
                    first_line = entry["sql"].split("\n")[0][:70]
                    print(f"  {key}: {plan_time_ms(entry['plan']):8.1f} ms  {first_line}")
        summary = summarise(dashboard, exports, actions)
        print_summary(summary)
        checks_ok = all(c["ok"] for c in dashboard["count_checks"].values()) and all(
            e["rows_ok"] for e in exports.values() if isinstance(e, dict) and "rows_ok" in e
        )
        path = bs.RESULTS_DIR / "dashboard.json"
        path.write_text(
            json.dumps(
                {
                    "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "revision": revision,
                    "machine": {"cpus": os.cpu_count()},
                    "dataset": asdict(dataset),
                    "dashboard": dashboard,
                    "actions": actions,
                    "exports": exports,
                    "dashboard_plans": plans,
                    "summary": summary,
                    "checks_ok": checks_ok,
                    "runtime_seconds": round(time.monotonic() - started, 1),
                },
                indent=2,
                ensure_ascii=False,
                default=str,
            )
            + "\n"
        )
        print(f"\nResults: {path} ({time.monotonic() - started:.0f} s)")
        if not checks_ok:
            print("FAILURE: a count or row check failed (see count_checks / rows_ok)")
            return 1
        return 0
    finally:
        if not args.keep_db:
            drop_database()


if __name__ == "__main__":
    sys.exit(run(parse_args()))
