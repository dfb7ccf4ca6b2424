"""The response list's own query-string fields beside the result filters: the comment search,
the score range, "rated any item 1–2" and the order. The panel's list reads them, and so does
an export (``tenants.exports``), again in the worker for a background one.

Like the result filters (``tenants.survey.filters``), a value that does not fit is never a
server error: the field is left out and ``errors`` says, in Polish, what was wrong, every
problem at once. The list then shows the rest with the messages (status 400); the exports
refuse with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from saas_platform.core.text import search_text
from tenants.survey.responses import DEFAULT_SORT, SORT_KEYS, ResponseSearch

SEARCH_MAX_LENGTH = 200
SEARCH_ARGS = ("q", "komentarz", "wynik_od", "wynik_do", "niska_ocena")
SORT_ARGS = ("sortuj", "kolejnosc")
ORDERS = {"rosnaco": False, "malejaco": True}
SORT_LABELS = {
    "data": "data",
    "wynik": "wynik",
    "wydzial": "wydział",
    "kanal": "sposób wypełnienia",
}
SCORE_MIN, SCORE_MAX = Decimal(0), Decimal(100)
_SCORE = re.compile(r"^\d{1,3}([.,]\d)?$")


@dataclass(frozen=True)
class ChosenSearch:
    """The search and order in force, the score range as typed, the query-string arguments
    that reproduce what is applied, and what was wrong with the input."""

    search: ResponseSearch
    sort: tuple[str, bool]
    typed: dict[str, str]
    args: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def sort_args(self, key: str) -> dict[str, str]:
        """The arguments of a column header's link: ``key``, in the other direction when the
        list is already sorted by it (dates start newest first, the rest from the lowest)."""
        current, descending = self.sort
        if key == current:
            return {"sortuj": key, "kolejnosc": "rosnaco" if descending else "malejaco"}
        return {"sortuj": key, "kolejnosc": "malejaco" if key == "data" else "rosnaco"}

    def aria_sort(self, key: str) -> str | None:
        current, descending = self.sort
        if key != current:
            return None
        return "descending" if descending else "ascending"


def parse_search(args: Mapping[str, str]) -> ChosenSearch:
    """The search and order asked for in ``args`` (a query string), checked."""
    errors: dict[str, str] = {}
    typed = {name: (args.get(name) or "").strip()[:20] for name in ("wynik_od", "wynik_do")}
    score_from = _score(typed["wynik_od"], "wynik_od", "Wynik „od”", errors)
    score_to = _score(typed["wynik_do"], "wynik_do", "Wynik „do”", errors)
    if score_from is not None and score_to is not None and score_from > score_to:
        errors["wynik_od"] = "Wynik „od” jest większy niż wynik „do”; pominięto zakres wyniku."
        score_from = score_to = None
    search = ResponseSearch(
        text=search_text(args.get("q") or "", SEARCH_MAX_LENGTH),
        with_comment=args.get("komentarz") == "1",
        score_from=score_from,
        score_to=score_to,
        low_rating=args.get("niska_ocena") == "1",
    )
    sort = _sort(args, errors)
    applied = search_args(search)
    if sort != DEFAULT_SORT:
        applied.update(sortuj=sort[0], kolejnosc="malejaco" if sort[1] else "rosnaco")
    return ChosenSearch(search, sort, typed, applied, errors)


def search_args(search: ResponseSearch) -> dict[str, str]:
    """The query-string arguments that reproduce ``search``."""
    args = {"q": search.text} if search.text else {}
    if search.with_comment:
        args["komentarz"] = "1"
    if search.score_from is not None:
        args["wynik_od"] = str(search.score_from)
    if search.score_to is not None:
        args["wynik_do"] = str(search.score_to)
    if search.low_rating:
        args["niska_ocena"] = "1"
    return args


def _score(value: str, name: str, label: str, errors: dict[str, str]) -> Decimal | None:
    if not value:
        return None
    score = Decimal(value.replace(",", ".")) if _SCORE.match(value) else None
    if score is None or not SCORE_MIN <= score <= SCORE_MAX:
        errors[name] = (
            f"{label}: podaj liczbę od 0 do 100 (najwyżej z jednym miejscem po przecinku, "
            "np. 62,5); pominięto ten warunek."
        )
        return None
    return score


def _sort(args: Mapping[str, str], errors: dict[str, str]) -> tuple[str, bool]:
    key = (args.get("sortuj") or "").strip()
    order = (args.get("kolejnosc") or "").strip()
    if not key and not order:
        return DEFAULT_SORT
    if key and key not in SORT_KEYS:
        errors["sortuj"] = "Nieznany sposób sortowania; pokazano od najnowszych."
        return DEFAULT_SORT
    if order and order not in ORDERS:
        errors["sortuj"] = "Nieznana kolejność sortowania; pokazano od najnowszych."
        return DEFAULT_SORT
    key = key or DEFAULT_SORT[0]
    return key, ORDERS[order] if order else (key == "data")
