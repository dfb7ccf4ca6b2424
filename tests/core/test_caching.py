"""The bounded caches of the residents' hot path and the flush hook that empties them."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import ForeignKey, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from saas_platform.core import caching
from saas_platform.core.caching import BoundedCache, PerAppCache, clear_all, invalidate_on


class Clock:
    """A stand-in for ``time.monotonic`` that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(caching, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


def test_a_full_cache_drops_its_least_recently_used_entry():
    cache: BoundedCache[str, int] = BoundedCache("test", max_size=3)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert cache.get("a") == 1  # "a" is used again: "b" is now the least recently used
    cache.put("d", 4)
    assert (cache.get("a"), cache.get("b"), cache.get("c"), cache.get("d")) == (1, None, 3, 4)


def test_a_cache_never_holds_more_than_its_bound():
    cache: BoundedCache[int, int] = BoundedCache("test", max_size=10)
    for number in range(100):
        cache.put(number, number)
    assert len(cache) == 10
    assert [cache.get(n) for n in range(90, 100)] == list(range(90, 100))
    assert cache.get(89) is None


def test_putting_a_key_again_replaces_its_value_without_evicting_another():
    cache: BoundedCache[str, int] = BoundedCache("test", max_size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    assert (cache.get("a"), cache.get("b"), len(cache)) == (10, 2, 2)


def test_an_entry_is_fresh_until_its_ttl_has_passed_and_gone_after(clock):
    cache: BoundedCache[str, int] = BoundedCache("test")
    cache.put("a", 1, ttl=2)
    clock.now += 2
    assert cache.get("a") == 1  # at the very moment it expires, still fresh
    clock.now += 0.001
    assert cache.get("a") is None
    assert len(cache) == 0  # an expired entry is dropped when met


def test_a_ttl_given_to_put_overrides_the_caches_own(clock):
    cache: BoundedCache[str, int] = BoundedCache("test", ttl=10)
    cache.put("short", 1, ttl=1)
    cache.put("default", 2)
    clock.now += 5
    assert (cache.get("short"), cache.get("default")) == (None, 2)
    clock.now += 6
    assert cache.get("default") is None


def test_an_entry_without_any_ttl_is_kept_until_evicted_or_cleared(clock):
    cache: BoundedCache[str, int] = BoundedCache("test")
    cache.put("a", 1)
    clock.now += 10**9
    assert cache.get("a") == 1


def test_a_zero_ttl_keeps_nothing_and_forgets_what_was_kept():
    cache: BoundedCache[str, int] = BoundedCache("test")
    cache.put("a", 1)
    cache.put("a", 2, ttl=0)
    assert cache.get("a") is None and len(cache) == 0


def test_discard_forgets_one_key_and_clear_forgets_all():
    cache: BoundedCache[str, int] = BoundedCache("test")
    cache.put("a", 1)
    cache.put("b", 2)
    cache.discard("a")
    cache.discard("never kept")
    assert (cache.get("a"), cache.get("b")) == (None, 2)
    cache.clear()
    assert len(cache) == 0


def test_a_cache_of_no_entries_is_refused():
    with pytest.raises(ValueError):
        BoundedCache("test", max_size=0)


def test_clear_all_empties_every_cache_of_the_process_per_app_ones_included():
    first: BoundedCache[str, int] = BoundedCache("first")
    second: BoundedCache[str, int] = BoundedCache("second")
    per_app: PerAppCache[str, int] = PerAppCache("per app")
    app = Flask("clear_all")
    first.put("a", 1)
    second.put("b", 2)
    with app.app_context():
        per_app.put("c", 3)
    clear_all()
    assert (len(first), len(second), len(per_app.for_app(app))) == (0, 0, 0)


def test_each_app_has_its_own_per_app_cache():
    versions: PerAppCache[int, str] = PerAppCache("versions")
    main, embedded = Flask("main"), Flask("embedded")
    with main.app_context():
        versions.put(1, "the main database's version 1")
    with embedded.app_context():
        assert versions.get(1) is None
        versions.put(1, "the embedded database's version 1")
    with main.app_context():
        assert versions.get(1) == "the main database's version 1"
    assert versions.for_app(embedded).get(1) == "the embedded database's version 1"
    assert versions.for_app(main) is versions.for_app(main)


def test_threads_putting_and_getting_at_once_never_break_the_bound():
    cache: BoundedCache[int, int] = BoundedCache("test", max_size=50)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(offset: int) -> None:
        try:
            start.wait()
            for number in range(2000):
                key = (number * 7 + offset) % 200
                cache.put(key, key)
                found = cache.get(key)
                assert found is None or found == key
                if number % 97 == 0:
                    cache.discard(key)
                if number % 501 == 0:
                    cache.clear()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache) <= 50


# Models of their own, on an in-memory SQLite database: the hook listens on every Session.
class Base(DeclarativeBase):
    pass


class Office(Base):
    __tablename__ = "caching_test_offices"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Desk(Base):
    __tablename__ = "caching_test_desks"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("caching_test_offices.id"))


class Visit(Base):
    __tablename__ = "caching_test_visits"
    id: Mapped[int] = mapped_column(primary_key=True)


offices_seen: BoundedCache[str, str] = BoundedCache("test: offices seen")
desks_seen: BoundedCache[str, str] = BoundedCache("test: desks seen")
invalidate_on((Office,), offices_seen)
invalidate_on((Office, Desk), desks_seen)


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Office(id=1, name="Wołomin"))
        session.commit()
        offices_seen.put("wolomin", "Wołomin")
        desks_seen.put("wolomin", "desk 1")
        yield session
    engine.dispose()


def test_a_flush_that_changes_a_watched_row_empties_the_caches_that_depend_on_it(session):
    session.get(Office, 1).name = "Wołomin (nowa nazwa)"
    session.flush()
    assert (len(offices_seen), len(desks_seen)) == (0, 0)


def test_a_flush_that_adds_a_watched_row_empties_only_the_caches_that_depend_on_it(session):
    session.add(Desk(id=1, office_id=1))
    session.flush()
    assert (offices_seen.get("wolomin"), desks_seen.get("wolomin")) == ("Wołomin", None)


def test_a_flush_that_deletes_a_watched_row_empties_the_caches_that_depend_on_it(session):
    session.add(Desk(id=1, office_id=1))
    session.commit()
    desks_seen.put("wolomin", "desk 1")
    session.delete(session.get(Desk, 1))
    session.flush()
    assert desks_seen.get("wolomin") is None


def test_a_flush_of_unwatched_rows_keeps_every_cache(session):
    session.add(Visit(id=1))
    session.flush()
    assert (offices_seen.get("wolomin"), desks_seen.get("wolomin")) == ("Wołomin", "desk 1")


def test_a_watched_row_set_to_the_values_it_had_keeps_every_cache(session):
    office = session.get(Office, 1)
    office.name = office.name  # dirty, but the flush writes nothing
    assert office in session.dirty
    session.flush()
    assert offices_seen.get("wolomin") == "Wołomin"
