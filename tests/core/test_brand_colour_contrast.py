"""Brand colours on pages: text in the office's colour must stay readable whatever colour the
office picks (WCAG AA contrast of 4.5:1 on white)."""

from __future__ import annotations

import pytest

from saas_platform.core.templating import (
    DEFAULT_BRAND_COLOUR,
    WCAG_AA_TEXT_CONTRAST,
    _contrast_with_white,
    ink_on_white,
    text_colour_on,
)


@pytest.mark.parametrize("colour", ["#1d4f91", "#7a1f2b", "#000000"])
def test_a_brand_colour_that_reads_on_white_is_kept(colour):
    assert ink_on_white(colour) == colour


@pytest.mark.parametrize("colour", ["#ffd200", "#ffffff", "#77b300", "#00aaff", "#777777"])
def test_a_light_brand_colour_is_darkened_just_enough(colour):
    ink = ink_on_white(colour)
    assert ink != colour
    assert _contrast_with_white(ink) >= WCAG_AA_TEXT_CONTRAST
    # just enough: a shade lighter would be at, or just above, the limit
    lighter = "#" + "".join(
        f"{min(255, round(int(ink[i : i + 2], 16) * 1.03)):02x}" for i in (1, 3, 5)
    )
    assert _contrast_with_white(lighter) < WCAG_AA_TEXT_CONTRAST + 0.35


def test_a_malformed_colour_falls_back_to_the_default():
    assert ink_on_white("red; background: url(x)") == DEFAULT_BRAND_COLOUR
    assert text_colour_on("#ffd200") == "#000000"
