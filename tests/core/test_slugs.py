"""Which slugs can name an office."""

from __future__ import annotations

import pytest

from saas_platform.core.tenancy.services import DuplicateSlug, InvalidSlug, validate_slug


@pytest.mark.parametrize("slug", ["wolomin", "gora-kalwaria", "lodz", "a1", "x" * 63, "k2-9"])
def test_valid_slugs_are_accepted(app, slug):
    with app.app_context():
        assert validate_slug(slug) == slug


@pytest.mark.parametrize(
    "slug",
    [
        "a",
        "x" * 64,
        "-wolomin",
        "wolomin-",
        "Wolomin",
        "wołomin",
        "gora_kalwaria",
        "a.b",
        "a b",
        "",
    ],
)
def test_malformed_slugs_are_refused(app, slug):
    with app.app_context(), pytest.raises(InvalidSlug):
        validate_slug(slug)


@pytest.mark.parametrize("slug", ["www", "admin", "api", "static", "operator", "mail", "panel"])
def test_reserved_slugs_are_refused(app, slug):
    with app.app_context(), pytest.raises(InvalidSlug, match="zarezerwowany"):
        validate_slug(slug)


def test_taken_slug_is_refused(app, two_offices):
    with app.app_context(), pytest.raises(DuplicateSlug):
        validate_slug("wolomin")
