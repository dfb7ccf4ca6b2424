"""The browser the tests (and the manual's screenshots) use speaks Polish: a date typed as a
Polish reader types it, day first, is the date meant (with Chromium's English interface the
field reads mm/dd/yyyy and takes the month first, whatever the page's locale)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_a_date_field_takes_the_day_first_as_dd_mm_rrrr(chromium):
    context = chromium.new_context(locale="pl-PL")
    page = context.new_page()
    page.set_content('<html lang="pl"><label>Data <input type="date" id="d"></label></html>')
    page.focus("#d")
    page.keyboard.type("05012026")  # 5 January 2026, as dd.mm.rrrr
    assert page.input_value("#d") == "2026-01-05"
    assert page.evaluate("navigator.language") == "pl-PL"
    context.close()
