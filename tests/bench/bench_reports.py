"""The report at scale: request to stored PDF and HTML edition, through a real Celery worker.

Run from the repository root (not collected by pytest):

    .venv/bin/python tests/bench/bench_reports.py [--scale 0.01] [--runs 3] [--keep-db]
                                                  [--reuse-db]

Uses ``bench_dashboard``'s dataset (built, or reused with ``--reuse-db``): offices with 10,000,
100,000 and 1,000,000 responses, every raw answer and ~10 % comments, spread over the last 730
days. Starts ``celery -A workers.celery_app worker --pool=prefork --concurrency=1`` with the
production environment (application role, its own Redis db so no other run's tasks mix in,
mail pointed at a dead port; the reports have no recipients, so no mail is sent).

For each office, ``--runs`` times: a report row for the period that covers all its data is
written with ``tenants.reports.services.request_report`` inside the office's scope and
committed, ``render_report`` is sent with ``send_report_tasks``, and the row is polled until it
is done. Request → done is timed (median of the runs); the worker child's peak RSS (VmHWM,
reset before each report) is read after each. Then, in this process, the phases of the 1M
report are timed one by one, with EXPLAIN ANALYZE of the comment queries.

Checks: every report ends "done" with its size and sha256 stored and matching the PDF, and
``pdftotext`` of the 1M report shows its number of responses. Writes
``tests/bench/results/reports.json``; exits 1 only when a check fails.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import bench_dashboard as bd
import bench_survey as bs
import psycopg2
import redis

REDIS_DB = 13
TARGETS = {"seconds_100k_max": 10.0, "ratio_1m_vs_10k_max": 1.5, "peak_rss_mb_max": 300.0}
POLL_SECONDS = 0.05
REPORT_TIMEOUT = 600.0


def superuser():
    conn = psycopg2.connect(host=bs.PG_HOST, dbname=bd.DATABASE, user=bs.SUPERUSER)
    conn.autocommit = True
    return conn


class Worker:
    """A Celery worker process (prefork, one child) with the production environment."""

    def __init__(self, env: dict[str, str]) -> None:
        self.log_path = bs.RESULTS_DIR / "celery-reports.log"
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [
                    str(bs.BIN / "celery"),
                    "-A",
                    "workers.celery_app",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "-n",
                    f"bench-reports-{os.getpid()}@%h",
                ],
                cwd=bs.REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while "ready." not in self.log_path.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start; see {self.log_path}")
            time.sleep(0.2)

    def child(self) -> int:
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if len(children) != 1:
            raise RuntimeError(f"expected one pool child, found {children}")
        return int(children[0])

    def log_problems(self) -> list[str]:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line for line in lines if "ERROR" in line or "Traceback" in line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def flask_app(env: dict[str, str]):
    """The app in this process, configured like the worker (sends to the same broker)."""
    os.environ.update(env)
    from saas_platform.app import create_app

    return create_app()


def request_and_send(app, office: bd.Office, start: date, end: date) -> int:
    from saas_platform.core.db import db
    from saas_platform.core.tenancy import tenant_scope
    from saas_platform.core.tenancy.models import Tenant
    from tenants.reports.services import request_report
    from tenants.reports.tasks import send_report_tasks

    with app.app_context():
        tenant = db.session.get(Tenant, office.id)
        with tenant_scope(tenant):
            report = request_report("on_demand", start, end)
            db.session.commit()
            if not send_report_tasks(report):
                raise RuntimeError("the broker is unreachable")
            report_id = report.id
        db.session.remove()
    return report_id


def wait_done(report_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + REPORT_TIMEOUT
    with bs.pg_connect(bd.DATABASE) as conn, conn.cursor() as cur:
        while True:
            cur.execute(
                "SELECT status, error, pdf_size, pdf_sha256, html_size,"
                " extract(epoch FROM finished_at - created_at),"
                " extract(epoch FROM finished_at - started_at)"
                " FROM reports WHERE id = %s",
                (report_id,),
            )
            status, error, size, sha, html_size, total, render = cur.fetchone()
            if status in ("done", "failed") or time.monotonic() > deadline:
                return {
                    "status": status,
                    "error": error,
                    "pdf_size": size,
                    "pdf_sha256": sha,
                    "html_size": html_size,
                    "db_created_to_finished_s": float(total) if total is not None else None,
                    "db_started_to_finished_s": float(render) if render is not None else None,
                }
            time.sleep(POLL_SECONDS)


def stored_pdf(report_id: int) -> bytes:
    with bs.pg_connect(bd.DATABASE) as conn, conn.cursor() as cur:
        cur.execute("SELECT pdf FROM reports WHERE id = %s", (report_id,))
        return bytes(cur.fetchone()[0])


def stored_html(report_id: int) -> str:
    with bs.pg_connect(bd.DATABASE) as conn, conn.cursor() as cur:
        cur.execute("SELECT html FROM reports WHERE id = %s", (report_id,))
        return cur.fetchone()[0] or ""


def responses_in_html(html: str) -> int | None:
    match = re.search(r"Liczba odpowiedzi w okresie</th><td[^>]*>([\d  ]+)<", html)
    return int(re.sub(r"\D", "", match.group(1))) if match else None


def responses_in_pdf(pdf: bytes) -> int | None:
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8", "replace")
    match = re.search(r"Liczba odpowiedzi w okresie:?\s*([\d  ]+)", text)
    return int(re.sub(r"\D", "", match.group(1))) if match else None


def measure_office(
    app, worker: Worker, office: bd.Office, dataset: bd.Dataset, runs: int
) -> dict[str, Any]:
    start, end = dataset.first_day, date.fromisoformat(dataset.today)
    child = worker.child()
    results = []
    for _ in range(runs):
        bd.reset_peak(child)
        foreign = bd.ForeignLoad()
        started = time.perf_counter()
        report_id = request_and_send(app, office, start, end)
        row = wait_done(report_id)
        row["request_to_done_s"] = time.perf_counter() - started
        row["foreign_cpu_share"] = foreign.share()
        row["report_id"] = report_id
        row["worker_child_peak_rss_mb"] = bd.proc_status_kb(child, "VmHWM") / 1024
        row["worker_child_rss_after_mb"] = bd.proc_status_kb(child, "VmRSS") / 1024
        pdf = stored_pdf(report_id) if row["status"] == "done" else b""
        row["sha256_ok"] = bool(pdf) and hashlib.sha256(pdf).hexdigest() == row["pdf_sha256"]
        row["size_ok"] = bool(pdf) and len(pdf) == row["pdf_size"]
        row["responses_in_pdf"] = responses_in_pdf(pdf) if pdf else None
        html = stored_html(report_id) if row["status"] == "done" else ""
        row["html_size_ok"] = bool(html) and len(html.encode("utf-8")) == row["html_size"]
        row["responses_in_html"] = responses_in_html(html) if html else None
        results.append(row)
        print(
            f"  {office.label:>5} report {report_id}: {row['status']}"
            f" in {row['request_to_done_s']:6.2f} s, {(row['pdf_size'] or 0) / 1024:6.0f} KiB,"
            f" child peak RSS {row['worker_child_peak_rss_mb']:6.1f} MB,"
            f" PDF says {row['responses_in_pdf']} responses,"
            f" HTML {(row['html_size'] or 0) / 1024:.0f} KiB says {row['responses_in_html']}",
            flush=True,
        )
    times = [r["request_to_done_s"] for r in results]
    return {
        "office": office.label,
        "responses": office.responses,
        "period": [start.isoformat(), end.isoformat()],
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "peak_rss_mb": max(r["worker_child_peak_rss_mb"] for r in results),
        "runs": results,
    }


def profile_phases(app, office: bd.Office, dataset: bd.Dataset) -> dict[str, Any]:
    """Time the 1M report's parts in this process, and EXPLAIN ANALYZE the comment queries."""
    from sqlalchemy import event, func, select

    from saas_platform.core.db import db, utcnow
    from saas_platform.core.tenancy import tenant_scope
    from saas_platform.core.tenancy.models import Tenant
    from tenants.reports import comments, html_edition, pdf
    from tenants.reports.charts import report_charts
    from tenants.reports.stats import compute_results
    from tenants.survey.filters import Filters

    start, end = dataset.first_day, date.fromisoformat(dataset.today)
    phases: dict[str, float] = {}
    plans: dict[str, str] = {}

    def timed(name: str, fn):
        started = time.perf_counter()
        value = fn()
        phases[name] = time.perf_counter() - started
        return value

    with app.app_context():
        tenant = db.session.get(Tenant, office.id)
        with tenant_scope(tenant):
            filters = Filters(start, end)
            results = timed("compute_results", lambda: compute_results(filters, 60.0))
            timed("report_charts", lambda: report_charts(results))
            timed("comment_count", lambda: comments.comment_count(filters))
            timed("comments(COMMENT_LIMIT)", lambda: comments.comments(filters, pdf.COMMENT_LIMIT))
            request = pdf.ReportRequest(start, end)
            context = timed("report_context (all of the above)", lambda: pdf.report_context(
                tenant, request, utcnow()))  # fmt: skip
            html = timed("pdf_document (PNG charts + template)", lambda: pdf.pdf_document(
                context))  # fmt: skip
            phases["html_bytes"] = len(html)
            timed("html_to_pdf (xhtml2pdf)", lambda: pdf.html_to_pdf(html))
            edition = timed("html_document (the HTML edition: SVG charts + template)",
                            lambda: html_edition.html_document(context))  # fmt: skip
            phases["html_edition_bytes"] = len(edition.encode("utf-8"))
            timed("build_editions (both, as the worker makes them)", lambda: (
                html_edition.build_editions(tenant, request, generated_at=utcnow())))  # fmt: skip

            captured: list[tuple[str, Any]] = []

            def keep(conn, cursor, statement, parameters, context, executemany):
                captured.append((statement, parameters))

            event.listen(db.engine, "before_cursor_execute", keep)
            try:
                comments.comment_count(filters)
                comments.comments(filters, pdf.COMMENT_LIMIT)
            finally:
                event.remove(db.engine, "before_cursor_execute", keep)
            connection = db.session.connection()
            cursor = connection.connection.cursor()
            for statement, parameters in captured:
                if "answers" not in statement:
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                name = "comment_count" if "count(*)" in statement else "comments"
                plans[name] = statement + "\n\n" + "\n".join(r[0] for r in cursor.fetchall())
            db.session.execute(select(func.now()))
            db.session.rollback()
        db.session.remove()
    return {"phases_s": phases, "plans": plans}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="e.g. 0.01 for a smoke run")
    parser.add_argument("--runs", type=int, default=3, help="reports per office (median)")
    parser.add_argument("--keep-db", action="store_true", help="leave the database in place")
    parser.add_argument(
        "--reuse-db", action="store_true", help="reuse a dataset of the same scale if present"
    )
    return parser.parse_args()


def summarise(offices: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    t100k = offices["100k"]["median_s"]
    r = bd.ratio(offices["1m"]["median_s"], offices["10k"]["median_s"])
    peak = max(o["peak_rss_mb"] for o in offices.values())
    return {
        "seconds_100k": {
            "value": t100k,
            "target": f"< {TARGETS['seconds_100k_max']:.0f} s",
            "met": t100k < TARGETS["seconds_100k_max"],
        },
        "ratio_1m_vs_10k": {
            "value": r,
            "target": f"<= {TARGETS['ratio_1m_vs_10k_max']}",
            "met": r <= TARGETS["ratio_1m_vs_10k_max"],
        },
        "peak_worker_rss_mb": {
            "value": peak,
            "target": f"< {TARGETS['peak_rss_mb_max']:.0f} MB",
            "met": peak < TARGETS["peak_rss_mb_max"],
        },
    }


def run(args: argparse.Namespace) -> int:
    bs.RESULTS_DIR.mkdir(exist_ok=True)
    started = time.monotonic()
    revision = bs.source_revision()
    print(f"Benchmarking {revision}: reports at scale {args.scale:g}")
    worker = None
    try:
        dataset = bd.obtain_dataset(args.scale, args.reuse_db)
        env = bd.production_env(REDIS_DB)
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()  # this benchmark's own db
        worker = Worker(env)
        app = flask_app(env)
        print(f"Celery worker {worker.process.pid}, pool child {worker.child()}")
        offices = {}
        for label in ("10k", "100k", "1m"):
            offices[label] = measure_office(app, worker, dataset.office(label), dataset, args.runs)
        worker_problems = worker.log_problems()[:20]
        worker.stop()
        worker = None
        print("Phases of the 1m report, in this process …")
        profile = profile_phases(app, dataset.office("1m"), dataset)
        for name, value in profile["phases_s"].items():
            print(f"  {name:<40} {value:10.2f}")

        summary = summarise(offices)
        print()
        print(f"{'office':<8}{'responses':>12}{'median s':>10}{'min s':>8}{'max s':>8}"
              f"{'peak RSS MB':>13}")  # fmt: skip
        for o in offices.values():
            print(
                f"{o['office']:<8}{o['responses']:>12,}{o['median_s']:10.2f}{o['min_s']:8.2f}"
                f"{o['max_s']:8.2f}{o['peak_rss_mb']:13.1f}"
            )
        print()
        print(f"{'ratio or limit':<24}{'value':>10}  {'target':<12}{'met':>4}")
        for key, r in summary.items():
            print(f"{key:<24}{r['value']:10.2f}  {r['target']:<12}{'yes' if r['met'] else 'NO':>4}")

        big = offices["1m"]
        checks = {
            "all_done": all(r["status"] == "done" for o in offices.values() for r in o["runs"]),
            "sha256_and_size_stored": all(
                r["sha256_ok"] and r["size_ok"] for o in offices.values() for r in o["runs"]
            ),
            "pdf_responses_1m": all(r["responses_in_pdf"] == big["responses"] for r in big["runs"]),
            "html_edition_stored": all(
                r["html_size_ok"] for o in offices.values() for r in o["runs"]
            ),
            "html_responses_1m": all(
                r["responses_in_html"] == big["responses"] for r in big["runs"]
            ),
        }
        print(f"\nchecks: {checks}")
        path = bs.RESULTS_DIR / "reports.json"
        path.write_text(
            json.dumps(
                {
                    "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "revision": revision,
                    "dataset": asdict(dataset),
                    "offices": offices,
                    "profile_1m": profile,
                    "summary": summary,
                    "checks": checks,
                    "worker_log_problems": worker_problems,
                    "runtime_seconds": round(time.monotonic() - started, 1),
                },
                indent=2,
                ensure_ascii=False,
                default=str,
            )
            + "\n"
        )
        print(f"Results: {path} ({time.monotonic() - started:.0f} s)")
        if not all(checks.values()):
            print("FAILURE: a correctness check failed")
            return 1
        return 0
    finally:
        if worker is not None:
            worker.stop()
        if not args.keep_db:
            bd.drop_database()


if __name__ == "__main__":
    sys.exit(run(parse_args()))
