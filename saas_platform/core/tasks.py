"""Background work: the Celery app bound to Flask, and the beat schedule the areas fill.

Every task runs inside an app context; a task that takes a ``tenant_id`` keyword runs inside
that office's scope (ORM filter and PostgreSQL setting). Areas define their tasks with
``shared_task`` in their own ``tasks.py`` and add periodic ones with ``add_beat_entry`` from
their ``init_app``; the worker entry point (``workers.celery_app``) only builds the app.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Celery, Task
from flask import Flask

from saas_platform.core.db import db, release_session
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant

log = logging.getLogger(__name__)


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app for ``app`` and make it the default for ``shared_task``."""

    # Celery ships no type information: its Task is Any to mypy, which refuses (strict) to let
    # a class subclass Any; this is the one place that does.
    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
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
    # Filled by the areas (``add_beat_entry`` in their ``init_app``), never named here.
    celery.conf.beat_schedule = {}
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


def add_beat_entry(app: Flask, name: str, task: Task, schedule: Any) -> None:
    """Run ``task`` on ``schedule`` (a crontab or seconds) under ``name`` in Celery beat."""
    schedule_table = app.extensions["celery"].conf.beat_schedule
    if name in schedule_table and schedule_table[name]["task"] != task.name:
        raise ValueError(f"beat entry {name!r} is already taken by {schedule_table[name]['task']}")
    schedule_table[name] = {"task": task.name, "schedule": schedule}
