"""The kiosk's thank-you page opens a fresh kiosk form by itself (after KIOSK_RESET_SECONDS);
any other thank-you page, or one naming another office's or a revoked kiosk, stays."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from saas_platform.core.db import db
from tenants.survey.kiosk import create_kiosk, revoke_kiosk
from tenants.survey.models import KioskDevice


def _kiosk_token(in_office, office) -> str:
    with in_office(office):
        _, token = create_kiosk("Tablet w Biurze Obsługi")
        db.session.commit()
    return token


def _thank_you_page(client, query: str, answers: dict) -> str:
    sent = client.post("/" + query, data={**client.survey_form(query), **answers})
    assert sent.status_code == 303
    return client.get(sent.headers["Location"]).get_data(as_text=True)


REFRESH = re.compile(r'<meta http-equiv="refresh" content="(\d+);url=([^"]+)">')


def test_the_kiosk_thank_you_page_opens_a_fresh_form_by_itself(
    two_offices, client_for, complete_answers, in_office, monkeypatch, app
):
    wolomin, sierpc = two_offices
    _kiosk_token(in_office, sierpc)  # a kiosk of the other office changes nothing here
    token = _kiosk_token(in_office, wolomin)
    kiosk = client_for(wolomin)
    page = _thank_you_page(kiosk, f"?kanal=kiosk&kiosk={token}", complete_answers())
    [(seconds, url)] = REFRESH.findall(page)
    assert seconds == "10"
    assert html.unescape(url) == f"/?kanal=kiosk&kiosk={token}"
    assert "Za chwilę formularz otworzy się ponownie" in page
    # the page it goes back to is a fresh kiosk form
    fresh = kiosk.survey_form(html.unescape(url).lstrip("/"))
    assert fresh["kanal"] == "kiosk" and fresh["kiosk"] == token

    monkeypatch.setitem(app.config, "KIOSK_RESET_SECONDS", 25)
    page = _thank_you_page(kiosk, f"?kanal=kiosk&kiosk={token}", complete_answers())
    assert REFRESH.findall(page)[0][0] == "25"


def test_a_web_or_a_false_kiosk_thank_you_page_stays(
    two_offices, client_for, complete_answers, in_office
):
    wolomin, sierpc = two_offices
    ours = _kiosk_token(in_office, wolomin)
    theirs = _kiosk_token(in_office, sierpc)
    resident = client_for(wolomin)
    for query in (
        "",
        "?kanal=qr",
        f"?kanal=kiosk&kiosk={theirs}",
        "?kanal=kiosk&kiosk=" + "x" * 43,
    ):
        page = _thank_you_page(resident, query, complete_answers())
        assert REFRESH.findall(page) == [] and "Za chwilę" not in page, query
    # a thank-you address typed by hand with another office's or a revoked token does nothing
    assert (
        REFRESH.findall(
            resident.get(f"/dziekujemy?kanal=kiosk&kiosk={theirs}").get_data(as_text=True)
        )
        == []
    )
    with in_office(wolomin):
        revoke_kiosk(db.session.scalar(select(KioskDevice)))
        db.session.commit()
    assert (
        REFRESH.findall(
            resident.get(f"/dziekujemy?kanal=kiosk&kiosk={ours}").get_data(as_text=True)
        )
        == []
    )
