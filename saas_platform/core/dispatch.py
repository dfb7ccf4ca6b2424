"""Sending tasks after the commit. The database row is the source of truth: when the broker is
unreachable, the work waits in its row and the sweeper sends it later."""

from __future__ import annotations

import logging

from celery import Task
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)


def enqueue(task: Task, **kwargs: int) -> bool:
    """Send ``task`` with keyword arguments (ids only); False when the broker is unreachable."""
    try:
        task.apply_async(kwargs=kwargs, retry=False)
    except OperationalError:
        log.warning("broker unreachable, %s(%s) stays for the sweeper", task.name, kwargs)
        return False
    return True
