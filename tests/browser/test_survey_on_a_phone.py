"""The survey on a phone, in a real browser: every 1-5 scale on one row from 320 px up, with
no violations of WCAG 2.1 A/AA."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

# For each rating question: the distinct top offsets of its radio buttons, and how many it has.
SCALE_ROWS = """() => [...document.querySelectorAll('fieldset.question')]
  .filter(q => q.querySelector('.scale'))
  .map(q => {
    const radios = [...q.querySelectorAll('input[type=radio]')];
    const tops = new Set(radios.map(r => Math.round(r.getBoundingClientRect().top)));
    return {name: radios[0].name, count: radios.length, rows: tops.size};
  })"""


@pytest.mark.parametrize("width", [375, 320])
def test_every_rating_scale_of_the_full_survey_is_one_row_on_a_phone(
    demo_platform, chromium, width
):
    _, sierpc = demo_platform.slugs  # the full template
    context = chromium.new_context(viewport={"width": width, "height": 700}, locale="pl-PL")
    page = context.new_page()
    page.goto(demo_platform.url(sierpc))
    scales = page.evaluate(SCALE_ROWS)
    widths = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    height = page.evaluate("() => document.scrollingElement.scrollHeight")
    print(f"{width} px: {len(scales)} scales, page {height} px tall")
    assert_accessible(page)
    context.close()

    assert len(scales) >= 25
    assert {s["count"] for s in scales} <= {5, 6}
    wrapped = [s["name"] for s in scales if s["rows"] != 1]
    assert not wrapped, f"scales wrapping at {width} px: {wrapped}"
    assert widths[0] <= widths[1]
