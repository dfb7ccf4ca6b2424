"""Prometheus metrics: requests by route (the URL rule, never the raw path or the host, so the
series do not grow with offices or ids), survey submissions, report render durations, and the
broker's queue depth read from Redis when Prometheus scrapes.

Gunicorn and the Celery prefork pool run several processes: with ``PROMETHEUS_MULTIPROC_DIR``
set (before this module is imported) every process writes its samples there and a scrape of
any one of them adds them up (``config/gunicorn.py`` and ``workers/observability.py`` clear the
directory at start and forget the processes that exit).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

import redis
from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from config import parse_networks
from saas_platform.core.queues import broker_client, queue_lengths, queue_names

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

UNMATCHED_ROUTE = "<unmatched>"

REQUESTS = Counter(
    "satysfakcja_http_requests",
    "HTTP requests answered, by URL rule, method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "satysfakcja_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL rule.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SUBMISSIONS = Counter(
    "satysfakcja_survey_submissions", "Survey responses stored, by channel.", ["channel"]
)
REPORT_RENDER_SECONDS = Histogram(
    "satysfakcja_report_render_seconds",
    "Time to render one report PDF (worker).",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
)

bp = Blueprint("metrics", __name__)


class QueueDepthCollector:
    """Reads the broker's queue lengths from Redis at scrape time."""

    def __init__(self, redis_url: str, queues: list[str]):
        self.redis_url = redis_url
        self.queues = queues

    def collect(self):
        up = GaugeMetricFamily("satysfakcja_broker_up", "1 when Redis answered this scrape.")
        depth = GaugeMetricFamily(
            "satysfakcja_queue_depth", "Tasks waiting in the broker, by queue.", labels=["queue"]
        )
        try:
            lengths = queue_lengths(broker_client(self.redis_url), self.queues)
        except redis.RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for queue, length in lengths.items():
            depth.add_metric([queue], length)
        yield up
        yield depth


def scrape_registry(redis_url: str = "", queues: list[str] | None = None) -> CollectorRegistry:
    """A registry for one scrape: this process's metrics, or every process's in multiprocess
    mode, plus the queue depth when a broker is configured."""
    registry = CollectorRegistry()
    if MULTIPROC_DIR:
        MultiProcessCollector(registry, path=MULTIPROC_DIR)
    else:
        registry.register(REGISTRY)
    if redis_url and queues:
        registry.register(QueueDepthCollector(redis_url, queues))
    return registry


def _scrape_allowed() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer":
        return hmac.compare_digest(presented.strip().encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in current_app.extensions["metrics_allow"])


@bp.get("/metrics")
def scrape():
    """Prometheus' scrape: only for the allowed networks or the bearer token; a 404 to others."""
    if not _scrape_allowed():
        abort(404)
    celery = current_app.extensions["celery"]
    redis_url = "" if celery.conf.task_always_eager else current_app.config.get("REDIS_URL", "")
    registry = scrape_registry(redis_url, queue_names(celery))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def count_request(response):
    """``after_request``: one sample per request, labelled by the URL rule, never the path."""
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
    if route != "/metrics":
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            REQUEST_SECONDS.labels(route).observe(time.perf_counter() - started)
    return response


def init_metrics(app: Flask) -> None:
    app.extensions["metrics_allow"] = parse_networks("METRICS_ALLOW", app.config["METRICS_ALLOW"])
    app.after_request(count_request)
    app.register_blueprint(bp)
