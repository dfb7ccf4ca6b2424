"""Database base classes: the SQLAlchemy handle, naming convention, UTC timestamps, the
``TenantScoped`` mixin and the row-level-security SQL every tenant table gets."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model names its ``__tablename__``, so it maps a Table (which can be inserted
        # into, updated and deleted from), not just any FromClause.
        __table__: ClassVar[sa.Table]


db = SQLAlchemy(model_class=Base)

# The base class of every model: ``class Tenant(Model)``. At run time it is ``db.Model``, which
# Flask-SQLAlchemy builds from ``Base`` (Base's bases and body, plus table naming and the legacy
# ``query`` property, unused here). A type checker takes no attribute as a base class
# (``class Tenant(db.Model)`` is "not defined" to mypy, and the models would subclass Any), so
# to it the base is ``Base`` itself: the same declarative mapping, typed.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def is_id(value: str) -> bool:
    """Whether a string from a form or URL is a plausible row id: ASCII digits only (Python's
    ``isdigit`` also accepts "²" and other digits that ``int`` refuses), and not absurdly long."""
    return value.isascii() and value.isdigit() and len(value) <= 12


# SQLSTATE of a unique violation; SQLite's extended result code for the same.
UNIQUE_VIOLATION = "23505"
SQLITE_UNIQUE_VIOLATION = "SQLITE_CONSTRAINT_UNIQUE"


def is_unique_violation(error: sa.exc.IntegrityError) -> bool:
    """Whether the database refused a row because another one holds the same unique value."""
    return (
        getattr(error.orig, "pgcode", None) == UNIQUE_VIOLATION
        or getattr(error.orig, "sqlite_errorname", None) == SQLITE_UNIQUE_VIOLATION
    )


@contextlib.contextmanager
def duplicate_raises(error: Exception) -> Iterator[None]:
    """Rows added inside reach the database in a savepoint; a unique violation raises ``error``.

    A service checks for a duplicate first and says so clearly, but two requests can both pass
    that check before either inserts; the one that loses at the unique index gets the same
    error the check gives, and its transaction stays usable (only the savepoint is undone).
    """
    try:
        with db.session.begin_nested():
            yield
    except sa.exc.IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise error from exc


def utcnow() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetimes are not stored; use core.db.utcnow()")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class TenantScoped:
    """Mixin for every row an office owns.

    The ORM hook in ``core.tenancy.isolation`` adds ``tenant_id = <current office>`` to
    every query on these models, and the migrations put a FORCEd row-level-security policy on
    their tables, so scoping never depends on a call site remembering it.
    """

    # A table whose other indexes already lead with tenant_id needs no index of its own on it,
    # and a table whose composite foreign key names its office (an answer's response) no
    # foreign key of its own: on the resident's hot path each is one more write per row.
    tenant_id_index: ClassVar[bool] = True
    tenant_id_foreign_key: ClassVar[bool] = True

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        foreign_key = (sa.ForeignKey("tenants.id", ondelete="CASCADE"),)
        return mapped_column(
            *(foreign_key if cls.tenant_id_foreign_key else ()),
            nullable=False,
            index=cls.tenant_id_index,
        )


def tenant_rls_statements(table: str) -> list[str]:
    """The SQL that puts a table under per-office row-level security (PostgreSQL only)."""
    setting = "nullif(current_setting('app.tenant_id', true), '')::int"
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING (tenant_id = {setting}) WITH CHECK (tenant_id = {setting})",
    ]


def ping_idle_connections(engine, idle_seconds: float) -> None:
    """Check a pooled connection before use only when it sat idle for ``idle_seconds``.

    SQLAlchemy's pool_pre_ping costs a round trip on every request; a connection handed back a
    moment ago is alive. After a database restart the idle connections are checked and
    replaced; a busy one that died fails its statement, and SQLAlchemy then drops the whole
    pool, so the next requests reconnect without a restart.
    """

    @sa.event.listens_for(engine, "checkin")
    def _remember_checkin(dbapi_connection, record) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        if time.monotonic() - record.info.get("checked_in_at", 0.0) < idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise sa.exc.DisconnectionError("idle connection is dead") from error
        if not alive:
            raise sa.exc.DisconnectionError("idle connection is dead")


def release_session(_exception: BaseException | None = None) -> None:
    """End the request's or task's session even when the database dropped its connection.

    A rollback on a connection PostgreSQL closed (a restart) raises; Flask-SQLAlchemy's own
    teardown would let that escape as a bare 500 after the error page was made. The connection
    is thrown away instead, and the pool opens a new one later.
    """
    if not db.session.registry.has():
        return  # this request used no session (a cached page): nothing to end
    session = db.session()
    try:
        session.close()
    except sa.exc.SQLAlchemyError as error:
        logging.getLogger(__name__).warning("database connection lost at session end: %s", error)
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            session.invalidate()
        db.session.registry.clear()  # whatever state it is in, the next one starts afresh


def insert_for_dialect(table: sa.Table | type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that knows ON CONFLICT on the current backend (PostgreSQL or SQLite)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)
