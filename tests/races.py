"""Two requests racing past a service's duplicate check: each runs in a thread of its own (its
own app context, so its own session and connection), and a barrier holds both right after the
check until the other has passed it too, so both go on to insert."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

BARRIER_SECONDS = 30


def pause_after_check(monkeypatch, module: Any, name: str, parties: int = 2) -> None:
    """Replace ``module.name`` (the duplicate check) by one that waits, once it has passed, for
    ``parties`` callers to have passed it; later callers pass straight through."""
    check = getattr(module, name)
    barrier = threading.Barrier(parties, timeout=BARRIER_SECONDS)
    calls = iter(range(parties))
    lock = threading.Lock()

    @functools.wraps(check)
    def checked_then_wait(*args, **kwargs):
        result = check(*args, **kwargs)
        with lock:
            racing = next(calls, None) is not None
        if racing:
            barrier.wait()
        return result

    monkeypatch.setattr(module, name, checked_then_wait)


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` at once, one thread each; their results in order (an exception raised in
    a thread is raised here)."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result(timeout=BARRIER_SECONDS * 2) for future in futures]
