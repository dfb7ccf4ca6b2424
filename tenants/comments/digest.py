"""The alerts digest: what a staff member who opted in is told, daily or weekly, by e-mail.

A window is a run of the office's days. A daily digest covers yesterday, a weekly one the
last full week (Monday to Sunday); either starts the day after the member's previous window
when there was one ("since the last digest"), at most ``MAX_WINDOW_DAYS`` back. It tells:

- the new comments: open-text answers of responses that arrived in the window;
- the new responses whose overall rating (``OVERALL_KEY``) is 1 or 2;
- the items that crossed the office's threshold: an item's index over the
  ``TREND_DAYS`` days up to the window's end against the same span up to the day before it
  began, each rounded to one decimal as the dashboard shows it; a hidden score (under five
  responses) crosses nothing.

Responses staff excluded from the results are left out. A department manager's digest tells
only of their departments' responses and their items' index within them (``scope``, as
``Filters.scope``). Flushes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, CursorResult, Select, func, select, update

from saas_platform.core.db import db, insert_for_dialect, utcnow
from saas_platform.core.tenancy.models import Tenant, local_day
from tenants.accounts.models import StaffUser
from tenants.actions.services import rated_items
from tenants.audit import services as audit
from tenants.comments.models import FREQUENCIES, FREQUENCY_LABELS, DigestSubscription, DigestWindow
from tenants.survey.filters import Filters
from tenants.survey.models import Answer, Question, Response
from tenants.survey.scores import item_scores

OVERALL_KEY = "ogolna_satysfakcja"  # "Jak ogólnie oceniasz obsługę w urzędzie?", both templates
LOW_RATINGS = ("1", "2")
TREND_DAYS = 90
MAX_WINDOW_DAYS = 31
LISTED = 20  # comments and responses named one by one; the rest are counted


@dataclass(frozen=True)
class DigestComment:
    response_id: int
    answered_on: date
    text: str


@dataclass(frozen=True)
class CrossedItem:
    key: str
    text: str
    before: float
    after: float

    @property
    def fell(self) -> bool:
        return self.after < self.before


@dataclass(frozen=True)
class Digest:
    first_day: date
    last_day: date
    comment_count: int
    comments: list[DigestComment]
    low_count: int
    low_response_ids: list[int]
    crossed: list[CrossedItem]
    threshold: int

    @property
    def is_empty(self) -> bool:
        return not (self.comment_count or self.low_count or self.crossed)


# -- the member's choice -------------------------------------------------------------------


def frequency_of(user_id: int) -> str | None:
    """The member's digest frequency, None when not subscribed."""
    return db.session.scalar(
        select(DigestSubscription.frequency).where(DigestSubscription.user_id == user_id)
    )


def choose_frequency(user_id: int, frequency: str | None) -> bool:
    """Subscribe the member (daily or weekly) or, with None, unsubscribe. Returns whether the
    choice changed; a change is audited."""
    if frequency is not None and frequency not in FREQUENCIES:
        raise ValueError(frequency)
    row = db.session.scalar(
        select(DigestSubscription).where(DigestSubscription.user_id == user_id).with_for_update()
    )
    before = row.frequency if row else None
    if before == frequency:
        return False
    if frequency is None:
        db.session.delete(row)
    elif row is None:
        db.session.add(DigestSubscription(user_id=user_id, frequency=frequency))
    else:
        row.frequency = frequency
    db.session.flush()
    audit.record(
        "alert_digest.change", "staff_user", user_id,
        before={"digest": FREQUENCY_LABELS.get(before or "", "nie wysyłaj")},
        after={"digest": FREQUENCY_LABELS.get(frequency or "", "nie wysyłaj")},
    )  # fmt: skip
    return True


# -- the beat task's claim ------------------------------------------------------------------


def window_end(frequency: str, today: date) -> date:
    """The last day of the newest complete window: yesterday, or the Sunday before this week."""
    if frequency == "daily":
        return today - timedelta(days=1)
    return today - timedelta(days=today.weekday() + 1)


def claim_windows(office: Tenant, today: date) -> list[int]:
    """Insert the window each active subscriber of the current office is owed on ``today``
    and return the new rows' ids. A window already there (a second run, even a concurrent
    one) is skipped by the unique key, so it is claimed once. A window that ended before the
    member subscribed is not owed."""
    subscribers = db.session.execute(
        select(
            DigestSubscription.user_id,
            DigestSubscription.frequency,
            DigestSubscription.created_at,
        )
        .join(StaffUser, StaffUser.id == DigestSubscription.user_id)
        .where(StaffUser.is_active.is_(True))
        .order_by(DigestSubscription.user_id)
    ).all()
    claimed: list[int] = []
    for user_id, frequency, subscribed_at in subscribers:
        last_day = window_end(frequency, today)
        if last_day < local_day(subscribed_at, office.timezone):
            continue
        span = 1 if frequency == "daily" else 7
        first_day = last_day - timedelta(days=span - 1)
        previous = db.session.scalar(
            select(func.max(DigestWindow.last_day)).where(DigestWindow.user_id == user_id)
        )
        if previous is not None:
            first_day = max(previous + timedelta(days=1), last_day - timedelta(MAX_WINDOW_DAYS - 1))
        if first_day > last_day:
            continue  # this member's last window reaches past it (e.g. daily, then weekly)
        inserted = db.session.execute(
            insert_for_dialect(DigestWindow)
            .values(
                tenant_id=office.id,
                user_id=user_id,
                frequency=frequency,
                first_day=first_day,
                last_day=last_day,
                status="pending",
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "user_id", "last_day"])
            .returning(DigestWindow.id)
        ).scalar()
        if inserted is not None:
            claimed.append(inserted)
    return claimed


def take_window(window_id: int) -> DigestWindow | None:
    """Move a pending window to ``sending``, atomically: of two deliveries of the same mail
    task only one gets it. None when it is not pending."""
    taken: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]  # an UPDATE's
        update(DigestWindow)
        .where(DigestWindow.id == window_id, DigestWindow.status == "pending")
        .values(status="sending")
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return None
    window = db.session.get(DigestWindow, window_id)
    db.session.refresh(window)
    return window


def finish_window(window: DigestWindow, status: str) -> None:
    """Record how a taken window ended: ``sent``, ``empty``, or back to ``pending`` (retry)."""
    window.status = status
    window.sent_at = utcnow() if status == "sent" else None
    db.session.flush()


# -- what a window says ---------------------------------------------------------------------


def _bounds(office: Tenant, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The window's days as UTC instants [start, end) in the office's timezone."""
    zone = ZoneInfo(office.timezone)
    start = datetime.combine(first_day, time.min, zone).astimezone(UTC)
    end = datetime.combine(last_day + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end


def _arrived(
    office: Tenant, first_day: date, last_day: date, scope: frozenset[int] | None
) -> tuple[ColumnElement[bool], ...]:
    start, end = _bounds(office, first_day, last_day)
    within = () if scope is None else (Response.department_id.in_(sorted(scope)),)
    return (
        Response.submitted_at >= start,
        Response.submitted_at < end,
        Response.excluded_at.is_(None),
        *within,
    )


def _answers_of_arrived(
    office: Tenant, first_day: date, last_day: date, scope: frozenset[int] | None
) -> Select[int, date, str]:
    return (
        select(Answer.response_id, Response.answered_on, Answer.value)
        .join(
            Response, (Response.id == Answer.response_id) & (Response.tenant_id == Answer.tenant_id)
        )
        .where(*_arrived(office, first_day, last_day, scope))
    )


def _crossed(
    office: Tenant, first_day: date, last_day: date, scope: frozenset[int] | None
) -> list[CrossedItem]:
    items = rated_items()
    span = timedelta(days=TREND_DAYS - 1)
    before_end = first_day - timedelta(days=1)
    before = item_scores(Filters(before_end - span, before_end, scope=scope), items)
    after = item_scores(Filters(last_day - span, last_day, scope=scope), items)
    threshold = office.score_threshold
    crossed = []
    for key, text in items.items():
        old, new = before[key], after[key]
        if old.index is None or new.index is None:
            continue
        old_shown, new_shown = round(old.index, 1), round(new.index, 1)
        if (old_shown < threshold) != (new_shown < threshold):
            crossed.append(CrossedItem(key, text, old_shown, new_shown))
    return crossed


def digest_for(
    office: Tenant, first_day: date, last_day: date, scope: frozenset[int] | None = None
) -> Digest:
    """What a digest over these days of the current office tells a reader of ``scope`` (a
    manager's departments; None: the whole office)."""
    text_keys = select(Question.key).where(Question.kind == "text").distinct()
    comments = _answers_of_arrived(office, first_day, last_day, scope).where(
        Answer.question_key.in_(text_keys), Answer.value != ""
    )
    low = _answers_of_arrived(office, first_day, last_day, scope).where(
        Answer.question_key == OVERALL_KEY, Answer.value.in_(LOW_RATINGS)
    )
    newest = (Response.submitted_at.desc(), Answer.response_id.desc())
    return Digest(
        first_day=first_day,
        last_day=last_day,
        comment_count=db.session.scalar(select(func.count()).select_from(comments.subquery())) or 0,
        comments=[
            DigestComment(*row)
            for row in db.session.execute(comments.order_by(*newest).limit(LISTED))
        ],
        low_count=db.session.scalar(select(func.count()).select_from(low.subquery())) or 0,
        low_response_ids=[
            row[0] for row in db.session.execute(low.order_by(*newest).limit(LISTED))
        ],
        crossed=_crossed(office, first_day, last_day, scope),
        threshold=office.score_threshold,
    )
