"""Whole numbers typed into forms and query strings, read within bounds before anything else
sees them.

``int()`` is too generous for input: it takes "٣" and every other Unicode digit, "1_000" and
" +7 ", and a number of 309 digits, which no comparison with a float survives (WTForms'
``NumberRange`` answered 500 with ``OverflowError``). Here only ASCII digits, with an optional
minus sign, of a sane length are a number, and a number out of bounds is no number either.
"""

from __future__ import annotations

import re

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
