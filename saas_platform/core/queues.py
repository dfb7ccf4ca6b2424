"""What waits in the broker: the length of each Celery queue in Redis, read directly.

Kombu's Redis transport keeps a queue as a list under the queue's name, plus one list per
priority step (``<queue>\\x06\\x16<step>``); messages a worker took but has not acknowledged yet
(acks late) sit in the ``unacked`` hash until it does.
"""

from __future__ import annotations

from typing import cast

import redis
from celery import Celery

PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)
UNACKED_KEY = "unacked"


def queue_names(celery: Celery) -> list[str]:
    """The queues the platform's tasks go to."""
    names = {celery.conf.task_default_queue}
    names.update(queue.name for queue in celery.conf.task_queues or ())
    return sorted(names)


def _keys(queue: str) -> list[str]:
    return [queue if step == 0 else f"{queue}{PRIORITY_SEPARATOR}{step}" for step in PRIORITY_STEPS]


def broker_client(url: str) -> redis.Redis:
    """A Redis client that gives up quickly: a scrape or a command must not hang."""
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def queue_lengths(client: redis.Redis, queues: list[str]) -> dict[str, int]:
    """Waiting messages per queue (all priority steps summed). Raises ``redis.RedisError``."""
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        for key in _keys(queue):
            pipe.llen(key)
    counts = pipe.execute()
    steps = len(PRIORITY_STEPS)
    return {queue: sum(counts[i * steps : (i + 1) * steps]) for i, queue in enumerate(queues)}


def unacknowledged(client: redis.Redis) -> int:
    """Messages taken by workers and not yet acknowledged (running, or lost with a worker)."""
    # A synchronous client answers with the int itself (never the awaitable of the async one).
    return cast(int, client.hlen(UNACKED_KEY))
