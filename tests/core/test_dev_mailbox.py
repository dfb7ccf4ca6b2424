"""``/dev/poczta``: in the embedded mode every message the platform would send is kept (the
newest 50) and listed on the apex, so a newcomer opens invitation links there; production keeps
nothing and answers 404."""

from __future__ import annotations

import re
from pathlib import Path

from flask_migrate import upgrade

from saas_platform.app import create_app
from saas_platform.core.db import db
from saas_platform.core.mail import KEPT_MESSAGES, send_mail
from saas_platform.onboarding import create_tenant
from tests.conftest import sqlite_app_settings

APEX = "http://localhost:5000"


def _embedded_app(tmp_path: Path, **overrides):
    app = create_app({**sqlite_app_settings(f"sqlite:///{tmp_path / 'dev.sqlite'}"), **overrides})
    with app.app_context():
        upgrade()
        create_tenant("wolomin", "Urząd Miejski w Wołominie")
        create_tenant("sierpc", "Urząd Miejski w Sierpcu")
        db.session.commit()
    return app


def test_an_invitation_from_the_command_line_is_listed_at_dev_poczta_with_its_link(tmp_path):
    app = _embedded_app(tmp_path)
    result = app.test_cli_runner().invoke(
        args=["staff", "invite", "--tenant", "wolomin", "--email", "nowa@wolomin.example",
              "--role", "admin"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Embedded mode: read it at http://localhost:5000/dev/poczta" in result.output

    page = app.test_client().get("/dev/poczta", base_url=APEX)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Zaproszenie do panelu ankiety satysfakcji – Urząd Miejski w Wołominie" in html
    assert "nowa@wolomin.example" in html
    link = re.search(r'<a href="(http://wolomin\.localhost:5000/panel/haslo/[^"]+)"', html)
    assert link, html
    opened = app.test_client().get(link.group(1))
    assert opened.status_code == 200
    assert "hasło" in opened.get_data(as_text=True).lower()


def test_dev_poczta_keeps_the_newest_fifty_newest_first(tmp_path):
    app = _embedded_app(tmp_path)
    with app.app_context():
        for number in range(KEPT_MESSAGES + 5):
            send_mail([f"osoba{number}@example.pl"], f"Wiadomość nr {number}", "Treść")
    html = app.test_client().get("/dev/poczta", base_url=APEX).get_data(as_text=True)
    subjects = re.findall(r"<h2>Wiadomość nr (\d+)</h2>", html)
    assert subjects == [str(n) for n in range(KEPT_MESSAGES + 4, 4, -1)]


def test_dev_poczta_is_only_on_the_apex(tmp_path):
    app = _embedded_app(tmp_path)
    page = app.test_client().get("/dev/poczta", base_url="http://wolomin.localhost:5000")
    assert page.status_code == 404


def test_production_keeps_no_mail_and_has_no_dev_poczta(tmp_path):
    mailbox = tmp_path / "dev.sqlite.poczta.json"
    app = _embedded_app(tmp_path, APP_ENV="production", MAIL_SUPPRESS_SEND=True)
    with app.app_context():
        send_mail(["ktos@example.pl"], "Raport", "Treść")
    assert not mailbox.exists()
    assert app.test_client().get("/dev/poczta", base_url=APEX).status_code == 404
