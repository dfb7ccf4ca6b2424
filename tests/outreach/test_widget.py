"""The embeddable "Oceń Urząd" button: its script served from every office host under 5 KB,
pinned by the snippet's integrity hash; the widget channel's survey that a dialog on another
site may frame; two offices each time. (Its behaviour on another site: tests/browser.)"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import re

import pytest
from sqlalchemy import select

from saas_platform.core.db import db
from tenants.outreach import widget
from tenants.survey.models import Response

# The first published script's hash. Every snippet pasted on an office's website pins it: the
# file must never change (a new version is a new file, tenants/outreach/widget.py).
PUBLISHED_V1 = "sha384-yAtK46yEL4EHsctmGO+cscmWojHsKggi9ivaqEecbgg4U4V07HFcomwFWd/7vh4q"


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def snippet_on_kit_page(client, query: str = "") -> str:
    page = client.get("/panel/baner" + query)
    assert page.status_code == 200
    found = re.search(r'<textarea id="kod-przycisku"[^>]*>(.*?)</textarea>', page.text, re.S)
    assert found, "no widget snippet on the kit page"
    return html.unescape(found.group(1))


def test_the_widget_script_is_under_5_kb_and_served_for_any_site_to_load(two_offices, client_for):
    served = [client_for(office).get(widget.script_path()) for office in two_offices]
    for response in served:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert response.headers["Access-Control-Allow-Origin"] == "*"  # SRI needs CORS
        assert "Set-Cookie" not in response.headers
        assert len(response.data) < 5 * 1024
    assert served[0].data == served[1].data  # one file, one hash for every office


def test_the_published_widget_script_never_changes_under_its_name():
    assert widget.integrity(1) == PUBLISHED_V1


def test_each_offices_snippet_pins_the_hash_of_the_script_its_host_serves(
    two_offices, logged_in, client_for
):
    for office in two_offices:
        snippet = snippet_on_kit_page(logged_in(office))
        src = re.search(r'src="([^"]+)"', snippet).group(1)
        assert src.startswith(f"http://{office.host}/baner/przycisk-")
        served = client_for(office).get(src.split(office.host, 1)[1]).data
        assert f'integrity="{sri(served)}"' in snippet
        assert re.match(
            r'<script async src="[^"]+" integrity="[^"]+" crossorigin="anonymous"', snippet
        )
        assert f"{office.host}" in snippet and all(
            other.host not in snippet for other in two_offices if other != office
        )


def test_the_offices_choice_travels_in_the_snippet_and_an_unknown_one_keeps_the_default(
    two_offices, logged_in
):
    wolomin, _ = two_offices
    staff = logged_in(wolomin)
    chosen = snippet_on_kit_page(staff, "?otwieraj=okno&polozenie=w-tresci")
    assert 'data-otwieraj="okno"' in chosen and 'data-polozenie="w-tresci"' in chosen
    page = staff.get("/panel/baner?otwieraj=okno").text
    assert "frame-src" in page  # the dialog needs the office's frame-src entry too
    odd = snippet_on_kit_page(staff, "?otwieraj=%3Cscript%3E&polozenie=" + "x" * 5000)
    assert 'data-otwieraj="karta"' in odd and 'data-polozenie="plywajacy"' in odd


def test_a_suspended_or_unknown_office_serves_no_widget_and_logs_nothing_personal(
    app, two_offices, client_for, in_office, caplog
):
    wolomin, sierpc = two_offices
    with in_office(sierpc) as tenant:
        tenant.status = "suspended"
        db.session.commit()
    personal = {
        "User-Agent": "Mozilla/5.0 (Jan Kowalski's laptop)",
        "Referer": "https://www.sierpc.pl/kontakt?email=jan.kowalski@example.pl",
        "X-Forwarded-For": "203.0.113.77",
    }
    caplog.set_level(logging.DEBUG)
    for host in (sierpc.host, "nieznany.localhost"):
        response = client_for(host).get(widget.script_path(), headers=personal)
        assert response.status_code == 404
        assert b"Ocen" not in response.data and "Oceń".encode() not in response.data
    assert client_for(wolomin).get(widget.script_path()).status_code == 200
    for value in ("Kowalski", "jan.kowalski", "203.0.113.77", "127.0.0.1"):
        assert value not in caplog.text


def test_a_widget_response_is_stored_with_the_widget_channel(
    two_offices, client_for, in_office, complete_answers
):
    wolomin, sierpc = two_offices
    resident = client_for(wolomin)
    form = {**resident.survey_form("?kanal=widget"), **complete_answers()}
    assert form["kanal"] == "widget"
    assert resident.post("/", data=form).status_code == 303
    with in_office(wolomin):
        assert db.session.scalars(select(Response.channel)).all() == ["widget"]
    with in_office(sierpc):
        assert db.session.scalars(select(Response.channel)).all() == []


def test_only_the_widget_channels_survey_may_be_framed_by_another_site(two_offices, client_for):
    wolomin, _ = two_offices
    resident = client_for(wolomin)
    framed = resident.get("/?kanal=widget")
    framed_again = resident.get("/?kanal=widget")  # the micro-cached blank page
    for response in (framed, framed_again):
        assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    for path in ("/", "/?kanal=banner", "/panel/login", "/deklaracja-dostepnosci"):
        assert "frame-ancestors 'none'" in resident.get(path).headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://www.example.pl"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://sierpc.localhost"},
        {"Origin": "null"},
        {"Origin": "http://wolomin.localhost.example.pl"},
    ],
    ids=["no-headers", "cross-site", "same-site", "opaque", "lookalike-host"],
)
def test_a_widget_post_without_csrf_is_refused_unless_the_browser_says_it_came_from_our_page(
    two_offices, client_for, in_office, complete_answers, headers
):
    wolomin, _ = two_offices
    fields = client_for(wolomin).survey_form("?kanal=widget")
    del fields["csrf_token"]
    # A browser in another site's frame: no cookie of ours, so no CSRF session either.
    refused = client_for(wolomin).post("/", data={**fields, **complete_answers()}, headers=headers)
    assert refused.status_code == 400
    with in_office(wolomin):
        assert db.session.scalars(select(Response.id)).all() == []
    # Over HTTPS the browser says Sec-Fetch-Site; over plain HTTP only the Origin.
    for own_page in ({"Sec-Fetch-Site": "same-origin"}, {"Origin": f"http://{wolomin.host}"}):
        fresh = client_for(wolomin).survey_form("?kanal=widget")
        del fresh["csrf_token"]
        from_frame = client_for(wolomin).post(
            "/", data={**fresh, **complete_answers()}, headers=own_page
        )
        assert from_frame.status_code == 303
        assert "frame-ancestors *" in from_frame.headers["Content-Security-Policy"]
    with in_office(wolomin):
        assert db.session.scalars(select(Response.channel)).all() == ["widget", "widget"]


def test_a_post_naming_another_channel_still_needs_its_csrf_token(
    two_offices, client_for, in_office, complete_answers
):
    wolomin, _ = two_offices
    fields = client_for(wolomin).survey_form("?kanal=banner")
    del fields["csrf_token"]
    response = client_for(wolomin).post(
        "/",
        data={**fields, **complete_answers()},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": f"http://{wolomin.host}"},
    )
    assert response.status_code == 400
    with in_office(wolomin):
        assert db.session.scalars(select(Response.id)).all() == []
