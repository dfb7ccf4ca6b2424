"""Whole numbers typed into forms and query strings, read within bounds before anything else
sees them.

``int()`` is too generous for input: it takes "٣" and every other Unicode digit, "1_000" and
" +7 ", and a number of 309 digits, which no comparison with a float survives (WTForms'
``NumberRange`` answered 500 with ``OverflowError``). Here only ASCII digits, with an optional
minus sign, of a sane length are a number, and a number out of bounds is no number either.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

# 18 digits stay inside a 64-bit integer; every bound in the platform is far smaller.
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")


def bounded_int(raw: str | None, minimum: int, maximum: int) -> int | None:
    """``raw`` (surrounding spaces aside) as a whole number from ``minimum`` to ``maximum``, or
    None when it is anything else: empty, fractional, "1e3", another script's digits, huge."""
    raw = (raw or "").strip()
    if not WHOLE_NUMBER.fullmatch(raw):
        return None
    number = int(raw)
    return number if minimum <= number <= maximum else None


def round_half_away(value: float, digits: int = 1) -> float:
    """``value`` rounded to ``digits`` decimals, halves away from zero (74.95 -> 75.0,
    −0.25 -> −0.3), as a person rounds the decimal number they read.

    Python's ``round`` and ``format`` round the binary value, halves to even: 0.25 gives 0.2
    and 2.675 gives 2.67. Every number the product shows is rounded here, and every flag
    ("poniżej progu", "istotny spadek") is decided on the rounded number, so the flag and the
    number on the page never disagree. The shortest decimal that reads back as ``value``
    (its ``repr``) is what is rounded.
    """
    exponent = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(value))).quantize(exponent, rounding=ROUND_HALF_UP))
