"""The worker's watchdog: a worker that is connected to the broker but takes no tasks exits, so
that its supervisor (systemd's ``Restart=always``, Compose's ``unless-stopped``, Kubernetes)
starts a fresh one.

Why: Celery's consumer can come back from a lost Redis connection without consuming again
(celery/celery#8030, #9054, #10205, #10302 — fixed and reported again across 5.x releases). The
process stays up and answers pings while reports wait in the queue; the sweeper sends them again
and again, to nobody. Restarting the process is the cure every report of it ends with.

How it decides, every ``stall_after / 4`` seconds, in a thread of the worker's main process
(so that it still runs if the consumer's event loop were stuck):

- the consumer has been connected for at least ``stall_after`` (a consumer bootstep marks the
  connection's start and end; while Celery retries a lost connection it is not judged);
- messages have been waiting in its queues (read from Redis directly,
  ``saas_platform.core.queues``) for at least ``stall_after``, without a break;
- it has free pool slots all that time, and received no task in it.

All three hold: it logs why and asks itself for a warm shutdown (SIGTERM: running tasks finish;
acknowledged late, anything it held goes back to the queue). If it is still alive
``stall_after`` later, it exits at once (``EXIT_STALLED``).

``WORKER_STALL_SECONDS`` sets ``stall_after`` (default 180; 0 turns the watchdog off).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass

import redis
from celery import Celery, bootsteps
from celery.signals import task_received, worker_ready, worker_shutting_down
from celery.worker import state as worker_state

from saas_platform.core.queues import broker_client, queue_lengths, queue_names

log = logging.getLogger(__name__)

EXIT_STALLED = 70  # EX_SOFTWARE


@dataclass
class Observation:
    """What the watchdog knows at one moment; times are ``time.monotonic()`` values."""

    now: float
    connected_since: float | None  # None: not connected (Celery is retrying)
    waiting: int | None  # messages in the worker's queues; None: Redis did not answer
    free_slots: int
    last_received: float


@dataclass
class StallClock:
    """Since when the worker has had work waiting, room for it, and taken none of it."""

    since: float | None = None

    def observe(self, seen: Observation) -> float:
        """Update the clock with one observation; return how long the stall has lasted (0 if
        there is none)."""
        if (
            seen.connected_since is None
            or not seen.waiting
            or seen.free_slots <= 0
            or (self.since is not None and seen.last_received >= self.since)
        ):
            self.since = None
            return 0.0
        if self.since is None:
            self.since = seen.now
        return seen.now - max(self.since, seen.connected_since)


class _Watchdog:
    def __init__(self) -> None:
        self.stall_after = 0.0
        self.celery: Celery | None = None
        self.concurrency = 1
        self.connected_since: float | None = None
        self.last_received = time.monotonic()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, celery: Celery, concurrency: int) -> None:
        self.stall_after = float(os.environ.get("WORKER_STALL_SECONDS", "180"))
        if self.stall_after <= 0 or self.thread is not None:
            return
        self.celery, self.concurrency = celery, max(concurrency, 1)
        self.thread = threading.Thread(target=self._run, name="worker-watchdog", daemon=True)
        self.thread.start()

    def _waiting(self, client: redis.Redis, queues: list[str]) -> int | None:
        try:
            return sum(queue_lengths(client, queues).values())
        except redis.RedisError:
            return None

    def _run(self) -> None:
        assert self.celery is not None
        client = broker_client(self.celery.conf.broker_url)
        queues = queue_names(self.celery)
        clock = StallClock()
        while not self.stopping.wait(self.stall_after / 4):
            stalled_for = clock.observe(
                Observation(
                    now=time.monotonic(),
                    connected_since=self.connected_since,
                    waiting=self._waiting(client, queues),
                    free_slots=self.concurrency - len(worker_state.reserved_requests),
                    last_received=self.last_received,
                )
            )
            if stalled_for >= self.stall_after:
                self._restart(stalled_for)
                return

    def _restart(self, stalled_for: float) -> None:
        log.error(
            "the worker is connected but has taken no task for %.0f s while tasks wait and it"
            " has room: shutting down so that its supervisor starts a fresh one",
            stalled_for,
            extra={"stalled_seconds": round(stalled_for, 1)},
        )
        os.kill(os.getpid(), signal.SIGTERM)
        # A daemon thread: if the warm shutdown ends the process, this sleep ends with it.
        time.sleep(self.stall_after)
        log.error("the warm shutdown did not finish in %.0f s; exiting at once", self.stall_after)
        os._exit(EXIT_STALLED)


WATCHDOG = _Watchdog()


class ConnectionMark(bootsteps.StartStopStep):
    """A consumer step: started once the consumer is connected and consuming, stopped when the
    connection is lost (Celery restarts the consumer's steps around every reconnection)."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, parent) -> None:
        WATCHDOG.connected_since = time.monotonic()

    def stop(self, parent) -> None:
        WATCHDOG.connected_since = None

    def shutdown(self, parent) -> None:
        WATCHDOG.connected_since = None


def install(celery: Celery) -> None:
    """Add the watchdog to the worker that ``celery`` will run (not to beat or the web)."""
    celery.steps["consumer"].add(ConnectionMark)


@worker_ready.connect
def _start(sender=None, **_) -> None:
    WATCHDOG.start(sender.app, getattr(sender.controller, "concurrency", 1) or 1)


@task_received.connect
def _received(**_) -> None:
    WATCHDOG.last_received = time.monotonic()


@worker_shutting_down.connect
def _shutting_down(**_) -> None:
    WATCHDOG.stopping.set()
