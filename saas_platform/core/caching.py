"""Bounded per-process caches for the residents' hot path, and the one hook that empties them.

- ``BoundedCache``: a thread-safe mapping with a size bound (when full, the least recently used
  entry goes) and an optional time to live, fixed at construction or given to each ``put``
  (read at call time, as ``SURVEY_PAGE_CACHE_SECONDS`` is). A miss is always safe: the caller
  loads afresh from the database.
- ``PerAppCache``: one ``BoundedCache`` per Flask app, and so per database, for values keyed
  by ids that two databases in one process (the embedded-mode app beside the main one) share.
- Registry: every ``BoundedCache`` registers itself; ``clear_all()`` empties every one. That
  is the single call for a change no flush of this process saw: a bulk ``DELETE``, another
  process's delete met as a foreign-key error, a test's ``TRUNCATE``.
- Flush hook: an area says once which models a cache depends on (``invalidate_on``); one
  ``after_flush`` listener empties those caches whenever a flush adds, changes or deletes such
  a row. No call site remembers to clear a cache.

When in doubt a cache forgets: an entry that may be stale is dropped, never patched. Other
processes see a change when their entries expire, or through keys that move with the data
(an office's survey revision).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from typing import Any, Generic, TypeVar

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_MAX_SIZE = 4096
_NEVER = float("inf")


class BoundedCache(Generic[K, V]):
    """At most ``max_size`` entries, each kept for ``ttl`` seconds (None: until evicted or
    cleared). ``name`` says what it holds, in the product's words."""

    def __init__(self, name: str, max_size: int = DEFAULT_MAX_SIZE, ttl: float | None = None):
        if max_size < 1:
            raise ValueError("a cache holds at least one entry")
        self.name = name
        self.max_size = max_size
        self.ttl = ttl
        # key -> (expires at, by time.monotonic(); value), least recently used first
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        _register(self)

    def __repr__(self) -> str:
        return f"<BoundedCache {self.name!r}: {len(self)}/{self.max_size}>"

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, key: K) -> V | None:
        """The value kept for ``key``, or None when there is none or it has expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        """Keep ``value`` for ``ttl`` seconds (default: the cache's own); a TTL of zero or less
        keeps nothing. A full cache first drops its least recently used entry."""
        ttl = self.ttl if ttl is None else ttl
        if ttl is not None and ttl <= 0:
            self.discard(key)
            return
        expires = _NEVER if ttl is None else time.monotonic() + ttl
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
            elif len(self._entries) >= self.max_size:
                self._entries.popitem(last=False)
            self._entries[key] = (expires, value)

    def discard(self, key: K) -> None:
        """Forget ``key``, if it is kept."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()


# Weak, so that the caches of an app (PerAppCache) go with the app.
_registry: weakref.WeakSet[BoundedCache[Any, Any]] = weakref.WeakSet()
_registry_lock = threading.Lock()


def _register(cache: BoundedCache[Any, Any]) -> None:
    with _registry_lock:
        _registry.add(cache)


def clear_all() -> None:
    """Empty every cache of this process: after a change no flush of this process saw."""
    with _registry_lock:
        caches = list(_registry)
    for cache in caches:
        cache.clear()


class PerAppCache(Generic[K, V]):
    """A ``BoundedCache`` for each Flask app, made on first use in that app: the same ids
    (office 1, version 1) mean different rows in two apps' databases."""

    def __init__(self, name: str, max_size: int = DEFAULT_MAX_SIZE, ttl: float | None = None):
        self.name = name
        self.max_size = max_size
        self.ttl = ttl
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<PerAppCache {self.name!r}>"

    def for_app(self, app: Flask | None = None) -> BoundedCache[K, V]:
        """The cache of ``app`` (default: the current app)."""
        extensions = (current_app if app is None else app).extensions
        caches: dict[PerAppCache[Any, Any], BoundedCache[Any, Any]]
        caches = extensions.setdefault("bounded_caches", {})
        cache = caches.get(self)
        if cache is None:
            with self._lock:
                cache = caches.get(self)
                if cache is None:
                    cache = caches[self] = BoundedCache(self.name, self.max_size, self.ttl)
        return cache

    def get(self, key: K) -> V | None:
        """The current app's value for ``key``, or None (see ``BoundedCache.get``)."""
        return self.for_app().get(key)

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        """Keep ``value`` in the current app's cache (see ``BoundedCache.put``)."""
        self.for_app().put(key, value, ttl)


# (models, the caches a written row of one of them empties)
_invalidations: list[tuple[tuple[type[Any], ...], tuple[BoundedCache[Any, Any], ...]]] = []
_watched_models: tuple[type[Any], ...] = ()


def invalidate_on(models: Iterable[type[Any]], *caches: BoundedCache[Any, Any]) -> None:
    """Empty ``caches`` whenever a flush of this process adds, changes or deletes a row of one
    of ``models`` (or of a subclass). Called once, at import, by the module owning the cache."""
    global _watched_models
    models = tuple(models)
    _invalidations.append((models, caches))
    _watched_models = (*_watched_models, *models)


def _empty_caches_of_written_models(session: Session, flush_context: UOWTransaction) -> None:
    # after_flush still shows what the flush wrote in new, dirty and deleted. An object that is
    # merely dirty (an attribute set to the value it had) wrote nothing.
    watched = _watched_models
    if not watched:
        return
    written = {type(obj) for obj in (*session.new, *session.deleted) if isinstance(obj, watched)}
    written.update(
        type(obj)
        for obj in session.dirty
        if isinstance(obj, watched) and type(obj) not in written and session.is_modified(obj)
    )
    if not written:
        return
    for models, caches in _invalidations:
        if any(issubclass(model, models) for model in written):
            for cache in caches:
                cache.clear()


event.listen(Session, "after_flush", _empty_caches_of_written_models)
