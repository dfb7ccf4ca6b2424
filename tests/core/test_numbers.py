"""Whole numbers read within bounds before any validator sees them (security review, finding
2), as a pure function; the forms and query strings that use it are tested in their areas."""

from __future__ import annotations

import pytest

from saas_platform.core.numbers import bounded_int, round_half_away
from saas_platform.core.templating import pl_number, pl_percent, pl_signed


@pytest.mark.parametrize(
    "raw",
    ["", "  ", "9" * 309, "-1", "101", "1.5", "1,5", "1e3", "0x10", "٣", "²", "1_000", "+5", None],
)
def test_a_number_outside_its_bounds_or_in_another_notation_is_none(raw):
    assert bounded_int(raw, 0, 100) is None


@pytest.mark.parametrize(("raw", "number"), [("0", 0), (" 75 ", 75), ("100", 100), ("007", 7)])
def test_a_plain_number_within_its_bounds_is_read(raw, number):
    assert bounded_int(raw, 0, 100) == number


@pytest.mark.parametrize(
    ("value", "digits", "rounded"),
    [
        (74.95, 1, 75.0),  # the binary 74.95 is a hair above; 74.95 as read is the half
        (0.25, 1, 0.3),  # format() gives 0.2 (halves to even)
        (-0.25, 1, -0.3),  # away from zero, not up
        (2.675, 2, 2.68),  # format() gives 2.67 (the binary value is below the half)
        (74.94, 1, 74.9),
        (31.25, 1, 31.3),
        (0.5, 0, 1.0),
        (62.5, 0, 63.0),
    ],
)
def test_numbers_round_half_away_from_zero_as_read(value, digits, rounded):
    assert round_half_away(value, digits) == rounded


def test_the_shown_number_is_the_rounded_one():
    assert pl_number(74.95) == "75,0"
    assert pl_number(0.25) == "0,3"
    assert pl_number(-0.25) == "−0,3"
    assert pl_signed(-0.04) == "0,0"
    assert pl_percent(0.625) == "63%"
