"""An action's measured effect: each linked item's index before and after the action was
implemented, in two windows of equal length, with 95 % intervals and a significance verdict.

Read from the running counts through ``tenants.survey.scores`` (the dashboard's methodology),
so the cost depends on the windows' days, never on the number of responses. A window with
fewer responses than the small-group rule allows shows "za mało danych".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from tenants.actions.models import Action
from tenants.survey.filters import Filters
from tenants.survey.scores import Score, item_scores, shown_change

TOO_FEW = "za mało danych"


@dataclass(frozen=True)
class ItemEffect:
    """One linked item's index before and after; ``change`` None when a window is hidden."""

    key: str
    text: str
    before: Score
    after: Score
    change: float | None
    significant: bool

    @property
    def verdict(self) -> str:
        """The Polish verdict the pages, the export and the report print."""
        if self.change is None:
            return TOO_FEW
        if not self.significant:
            return "bez istotnej zmiany"
        return "istotna poprawa" if self.change > 0 else "istotne pogorszenie"


@dataclass(frozen=True)
class Effect:
    """The windows compared and each linked item's effect; ``pending`` while the after window
    has not ended yet (its figures are then partial)."""

    before_window: tuple[date, date]
    after_window: tuple[date, date]
    pending: bool
    items: tuple[ItemEffect, ...]


def windows(
    implemented_on: date, days: int, scope: frozenset[int] | None = None
) -> tuple[Filters, Filters]:
    """The ``days`` days before the implementation day, and the ``days`` days from it (within
    ``scope``, a manager's departments; None: the whole office)."""
    before = Filters(
        implemented_on - timedelta(days=days), implemented_on - timedelta(days=1), scope=scope
    )
    after = Filters(implemented_on, implemented_on + timedelta(days=days - 1), scope=scope)
    return before, after


def measure(
    action: Action,
    item_texts: dict[str, str],
    today: date,
    scope: frozenset[int] | None = None,
) -> Effect | None:
    """The effect of an implemented action on its linked items (None before implementation),
    measured within ``scope`` (a manager sees their departments' figures only). The after
    window is cut at ``today``: days that have not come hold no answers anyway."""
    if action.implemented_on is None:
        return None
    before, after = windows(action.implemented_on, action.effect_window_days, scope)
    after_read = replace(after, date_to=max(after.date_from, min(after.date_to, today)))
    keys = list(action.item_keys)
    scores_before = item_scores(before, keys)
    scores_after = item_scores(after_read, keys)
    items = []
    for key in keys:
        change, significant = shown_change(scores_after[key], scores_before[key])
        items.append(
            ItemEffect(
                key=key,
                text=item_texts.get(key, key),
                before=scores_before[key],
                after=scores_after[key],
                change=change,
                significant=significant,
            )
        )
    return Effect(
        before_window=(before.date_from, before.date_to),
        after_window=(after.date_from, after.date_to),
        pending=after.date_to > today,
        items=tuple(items),
    )
