"""The worker entry point: ``celery -A workers.celery_app worker`` (and ``... beat``).

Importing this module starts nothing; asking it for ``celery`` builds the Flask app from the
environment with ``create_app()``, whose areas register their tasks and beat entries
(``saas_platform.core.tasks``).
"""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init
from flask import Flask

from workers import (
    observability,  # noqa: F401 - the worker's logging and metrics signals
    watchdog,
)

_worker_flask_app: Flask | None = None


@worker_process_init.connect
def _dispose_inherited_engine(**_) -> None:
    """A forked worker must not share the parent's database connections."""
    from saas_platform.core.db import db

    if _worker_flask_app is not None:
        with _worker_flask_app.app_context():
            db.engine.dispose(close=False)


def _make_worker_app() -> Celery:
    from saas_platform.app import create_app

    global _worker_flask_app
    _worker_flask_app = create_app()
    celery = _worker_flask_app.extensions["celery"]
    watchdog.install(celery)
    return celery


def __getattr__(name: str):
    # ``celery -A workers.celery_app`` looks for ``celery``/``app`` here; build it only then,
    # so that importing this module starts nothing.
    if name in ("celery", "app"):
        global celery
        celery = _make_worker_app()
        return celery
    raise AttributeError(name)
