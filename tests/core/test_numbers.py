"""Whole numbers read within bounds before any validator sees them (security review, finding
2), as a pure function; the forms and query strings that use it are tested in their areas."""

from __future__ import annotations

import pytest

from saas_platform.core.numbers import bounded_int


@pytest.mark.parametrize(
    "raw",
    ["", "  ", "9" * 309, "-1", "101", "1.5", "1,5", "1e3", "0x10", "٣", "²", "1_000", "+5", None],
)
def test_a_number_outside_its_bounds_or_in_another_notation_is_none(raw):
    assert bounded_int(raw, 0, 100) is None


@pytest.mark.parametrize(("raw", "number"), [("0", 0), (" 75 ", 75), ("100", 100), ("007", 7)])
def test_a_plain_number_within_its_bounds_is_read(raw, number):
    assert bounded_int(raw, 0, 100) == number
