"""The operator's office list fits a 1280 px screen: the table, its last column (the
onboarding checklist) included, is inside the viewport without scrolling sideways."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

VIEWPORT_WIDTH = 1280


def _measure(page) -> dict:
    return page.evaluate(
        """() => {
            const table = document.querySelector('table.data-table');
            const headers = table.querySelectorAll('thead th');
            const last = headers[headers.length - 1].getBoundingClientRect();
            const cell = table.querySelector('tbody tr td:last-child').getBoundingClientRect();
            return {
                viewport: window.innerWidth,
                pageScrollWidth: document.documentElement.scrollWidth,
                tableRight: table.getBoundingClientRect().right,
                tableClientWidth: table.clientWidth,
                tableScrollWidth: table.scrollWidth,
                lastHeader: headers[headers.length - 1].textContent.trim(),
                lastHeaderRight: last.right,
                checklistRight: cell.right,
            };
        }"""
    )


def test_office_list_with_its_onboarding_checklist_fits_1280_px(demo_platform, operator_page):
    page = operator_page
    assert page.viewport_size["width"] == VIEWPORT_WIDTH
    page.goto(demo_platform.url(None, "/operator/"))
    measured = _measure(page)
    print("operator office list at 1280 px:", measured)  # the numbers, for the record
    assert measured["lastHeader"] == "Wdrożenie"
    # nothing scrolls sideways: neither the page nor the table
    assert measured["pageScrollWidth"] <= VIEWPORT_WIDTH
    assert measured["tableScrollWidth"] <= measured["tableClientWidth"]
    # and the checklist column is on screen
    for right in (measured["lastHeaderRight"], measured["checklistRight"]):
        assert right <= min(measured["tableRight"], VIEWPORT_WIDTH) + 0.5
    assert page.get_by_role("columnheader", name="Wdrożenie").is_visible()
