"""Issue #21, finding "headers": staff and operator pages are never stored, every page denies
the browser features the platform never uses, HTTPS responses carry HSTS in production, and
the CSV export names its charset once."""

from __future__ import annotations

import pytest

from config import ConfigurationError, load_settings
from tests.conftest import PLATFORM_DOMAIN, PRODUCTION_SETTINGS

PRODUCTION = PRODUCTION_SETTINGS
ONE_YEAR = 365 * 24 * 3600


def test_staff_pages_and_their_files_are_never_stored(two_offices, logged_in, client_for):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    for path in ("/panel/", "/panel/odpowiedzi", "/panel/konto", "/panel/raporty"):
        response = admin.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    export = admin.get("/panel/eksport.csv")
    export.get_data()  # read to the end: the stream holds its transaction open until then
    assert export.status_code == 200 and export.headers["Cache-Control"] == "no-store"
    signed_out = client_for(wolomin)
    assert signed_out.get("/panel/login").headers["Cache-Control"] == "no-store"
    assert signed_out.get("/panel/odpowiedzi").headers["Cache-Control"] == "no-store"  # 302
    # a resident's survey is not a private page
    assert "no-store" not in signed_out.get("/").headers.get("Cache-Control", "")


def test_operator_pages_are_never_stored(app, client_for):
    console = client_for(PLATFORM_DOMAIN)
    assert console.get("/operator/login").headers["Cache-Control"] == "no-store"
    assert console.get("/operator/").headers["Cache-Control"] == "no-store"  # 302 to the login


def test_every_page_denies_the_browser_features_the_platform_never_uses(
    two_offices, logged_in, client_for
):
    wolomin, _ = two_offices
    pages = [
        client_for(wolomin).get("/"),
        logged_in(wolomin).get("/panel/"),
        client_for(PLATFORM_DOMAIN).get("/operator/login"),
        client_for(wolomin).get("/nie-ma-takiej-strony"),
    ]
    for response in pages:
        policy = {part.strip() for part in response.headers["Permissions-Policy"].split(",")}
        assert {"camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"} <= policy


def test_hsts_is_sent_over_https_for_as_long_as_hsts_seconds_says(
    app, two_offices, client_for, monkeypatch
):
    wolomin, _ = two_offices
    monkeypatch.setitem(app.config, "HSTS_SECONDS", ONE_YEAR)
    secure = app.test_client().get("/", base_url=f"https://{wolomin.host}")
    assert secure.headers["Strict-Transport-Security"] == f"max-age={ONE_YEAR}"
    # never over plain HTTP (RFC 6797: a browser would ignore it anyway)
    assert "Strict-Transport-Security" not in client_for(wolomin).get("/").headers
    monkeypatch.setitem(app.config, "HSTS_SECONDS", 0)
    off = app.test_client().get("/", base_url=f"https://{wolomin.host}")
    assert "Strict-Transport-Security" not in off.headers


def test_hsts_defaults_to_a_year_in_production_and_is_off_embedded():
    assert load_settings(PRODUCTION)["HSTS_SECONDS"] == ONE_YEAR
    assert load_settings({})["HSTS_SECONDS"] == 0
    assert load_settings({**PRODUCTION, "HSTS_SECONDS": "0"})["HSTS_SECONDS"] == 0
    assert load_settings({"HSTS_SECONDS": "600"})["HSTS_SECONDS"] == 600
    with pytest.raises(ConfigurationError, match="HSTS_SECONDS"):
        load_settings({**PRODUCTION, "HSTS_SECONDS": "rok"})


def test_csv_export_names_its_charset_once(two_offices, logged_in):
    response = logged_in(two_offices[0], "analyst").get("/panel/eksport.csv")
    response.get_data()  # read to the end: the stream holds its transaction open until then
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
