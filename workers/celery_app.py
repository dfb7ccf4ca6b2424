"""The Celery app, bound to Flask.

``celery -A workers.celery_app worker`` and ``... beat`` import this module, which builds the
Flask app from the environment. Every task runs inside an app context; a task that takes a
``tenant_id`` keyword runs inside that office's scope (ORM filter and PostgreSQL setting).
"""

from __future__ import annotations

import logging
import time

from celery import Celery, Task
from celery.schedules import crontab
from celery.signals import worker_process_init
from flask import Flask

from workers import observability  # noqa: F401 - the worker's logging and metrics signals

log = logging.getLogger(__name__)


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app for ``app`` and make it the default for ``shared_task``."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            from saas_platform.db import db, release_session
            from saas_platform.tenancy import tenant_scope
            from saas_platform.tenancy.models import Tenant

            with app.app_context():
                try:
                    tenant_id = kwargs.get("tenant_id")
                    if tenant_id is None:
                        return self.run(*args, **kwargs)
                    tenant = db.session.get(Tenant, tenant_id)
                    if tenant is None:
                        app.logger.warning(
                            "task %s: office %s no longer exists", self.name, tenant_id
                        )
                        return None
                    with tenant_scope(tenant):
                        started = time.perf_counter()
                        result = self.run(*args, **kwargs)
                        # inside the office's scope: the line carries its slug
                        log.info(
                            "task %s done",
                            self.name,
                            extra={
                                "task": self.name,
                                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                            },
                        )
                        return result
                finally:
                    release_session()  # survives a connection the database dropped
                    db.session.remove()

    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=app.config.get("REDIS_URL") or "memory://",
        task_default_queue=app.config.get("CELERY_TASK_DEFAULT_QUEUE", "celery"),
        task_always_eager=app.config["CELERY_TASK_ALWAYS_EAGER"],
        task_eager_propagates=True,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={"socket_connect_timeout": 2, "socket_timeout": 5},
        timezone="Europe/Warsaw",
    )
    celery.conf.beat_schedule = {
        "dispatch-due-reports": {
            "task": "tenants.reports.tasks.dispatch_due_reports",
            "schedule": crontab(hour=app.config["SCHEDULED_REPORTS_HOUR"], minute=0),
        },
        "sweep-stuck-reports": {
            "task": "tenants.reports.tasks.sweep_stuck_reports",
            "schedule": app.config["REPORT_SWEEP_SECONDS"],
        },
        "apply-retention": {
            "task": "tenants.survey.tasks.apply_retention",
            "schedule": crontab(hour=app.config["RETENTION_HOUR"], minute=30),
        },
    }
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


_worker_flask_app: Flask | None = None


@worker_process_init.connect
def _dispose_inherited_engine(**_) -> None:
    """A forked worker must not share the parent's database connections."""
    from saas_platform.db import db

    if _worker_flask_app is not None:
        with _worker_flask_app.app_context():
            db.engine.dispose(close=False)


def _make_worker_app() -> Celery:
    from saas_platform.app import create_app

    global _worker_flask_app
    _worker_flask_app = create_app()
    return _worker_flask_app.extensions["celery"]


def __getattr__(name: str):
    # ``celery -A workers.celery_app`` looks for ``celery``/``app`` here; build it only then,
    # so that importing this module (create_app does) starts nothing.
    if name in ("celery", "app"):
        global celery
        celery = _make_worker_app()
        return celery
    raise AttributeError(name)
