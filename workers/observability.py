"""The Celery worker's logs and metrics: the platform's log format on every line (Celery leaves
logging alone when ``setup_logging`` has a receiver), and, with ``WORKER_METRICS_PORT`` set, a
Prometheus endpoint in the main process that adds up the prefork children's samples."""

from __future__ import annotations

import logging
import os

from celery.signals import setup_logging, worker_init, worker_process_shutdown

from saas_platform.core.observability.multiprocess import process_exited, reset_samples

log = logging.getLogger(__name__)


@setup_logging.connect
def _keep_platform_logging(loglevel=None, **_) -> None:
    """``create_app`` installed the platform's handler already; only the level is Celery's."""
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@worker_init.connect
def _serve_worker_metrics(**_) -> None:
    reset_samples()
    port = os.environ.get("WORKER_METRICS_PORT")
    if not port:
        return
    from prometheus_client import start_http_server

    from saas_platform.core.observability.metrics import scrape_registry

    start_http_server(int(port), registry=scrape_registry())
    log.info("worker metrics on port %s", port)


@worker_process_shutdown.connect
def _forget_child(**_) -> None:
    process_exited(os.getpid())
