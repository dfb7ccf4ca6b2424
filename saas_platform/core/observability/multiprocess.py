"""Prometheus multiprocess mode for gunicorn's workers and Celery's prefork pool: each process
writes its samples under ``PROMETHEUS_MULTIPROC_DIR``; the parent clears the directory when it
starts and marks the children that exit."""

from __future__ import annotations

import os


def multiproc_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def reset_samples() -> None:
    """At the start of gunicorn's master or Celery's main process: forget a previous run."""
    directory = multiproc_dir()
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def process_exited(pid: int) -> None:
    """A child process ended: its live gauges go; its counters stay in the totals."""
    if multiproc_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
