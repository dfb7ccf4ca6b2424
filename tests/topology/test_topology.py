"""The platform run like production, through nginx with real Host headers, and the ordinary
accidents it survives with nothing lost: Redis stopped, a worker killed mid-render, PostgreSQL
restarted, SMTP unreachable, and 10,000 residents' submissions at once.

The tests share one topology (tests/topology/conftest.py) and run in file order; each puts back
what it stopped.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import time

import pytest

from tests.topology.conftest import PLATFORM_DOMAIN, Resident, Topology
from tests.topology.harness import STATIC_ROOT, wait_until

pytestmark = pytest.mark.topology

REPORT_MADE_WITHIN = 90  # seconds; renders queue behind one another on 2 shared cores


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def mails_for(topology: Topology, address: str) -> list:
    return [m for m in topology.mailbox.messages if address in m["X-Envelope-To"]]


def figure(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert match, f"no #{element_id} on the page"
    return match.group(1).strip()


def wait_for_report(topology: Topology, office, report_id: int, status: str = "done") -> dict:
    wait_until(
        lambda: topology.report(office, report_id)["status"] == status,
        REPORT_MADE_WITHIN,
        f"report {report_id} is {status}",
        step=0.2,
    )
    return topology.report(office, report_id)


def test_a_response_and_a_report_go_through_the_whole_topology(topology):
    office_a, office_b = topology.offices
    topology.mailbox.messages.clear()
    resident = Resident(topology, office_a, seed=1)
    assert resident.submit() == 303
    assert topology.stored_responses(office_a) == 1
    assert topology.stored_responses(office_b) == 0

    staff_a, staff_b = topology.staff(office_a), topology.staff(office_b)
    dashboard = staff_a.get("/panel/").body.decode()
    assert figure(dashboard, "liczba-odpowiedzi") == "1"
    report_id = topology.request_report(staff_a)
    report = wait_for_report(topology, office_a, report_id)
    assert report["attempts"] == 1 and report["pdf_size"] > 0

    (mail,) = topology.mailbox.wait_for(1, timeout=REPORT_MADE_WITHIN)
    assert office_a.staff_email in mail["X-Envelope-To"]
    (attachment,) = list(mail.iter_attachments())
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF") and len(pdf) == report["pdf_size"]
    text = pdf_text(pdf)
    assert office_a.name in text and office_b.name not in text

    # Office B sees none of it: no response, no report, not even by the report's address.
    assert figure(staff_b.get("/panel/").body.decode(), "liczba-odpowiedzi") == "0"
    assert f"/panel/raporty/{report_id}/pdf" not in staff_b.get("/panel/raporty").body.decode()
    assert staff_b.get(f"/panel/raporty/{report_id}/pdf").status == 404
    assert staff_a.get(f"/panel/raporty/{report_id}/pdf").body == pdf
    time.sleep(1)  # a stray second e-mail would have arrived by now
    assert len(topology.mailbox.messages) == 1 and not mails_for(topology, office_b.staff_email)


def test_nginx_serves_static_files_itself_compressed(topology):
    client = topology.client(topology.offices[0].host)
    response = client.get("/static/site.css", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.body) == (STATIC_ROOT / "site.css").read_bytes()
    # nginx's `expires`, where Flask's static route would say no-cache
    assert response.headers["Cache-Control"] == "max-age=604800"
    # The app's pages are never compressed (they carry CSRF tokens: BREACH).
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.status == 200 and "Content-Encoding" not in page.headers


def test_hosts_reach_their_office_and_an_unknown_host_gets_the_apps_404(topology):
    office_a = topology.offices[0]
    for host in (office_a.host, f"ankieta.{office_a.slug}.pl", office_a.host.upper()):
        page = topology.client(host).get("/")
        assert page.status == 200 and office_a.name in page.body.decode(), host
    landing = topology.client(PLATFORM_DOMAIN).get("/")
    assert landing.status == 200 and office_a.name in landing.body.decode()
    for host in ("nieznany.satysfakcja.test", "ankieta.nieznany.pl", "127.0.0.1"):
        page = topology.client(host).get("/")
        assert page.status == 404, host
        assert "Nie znaleziono strony" in page.body.decode(), host  # the app's page


def test_request_size_limits_of_nginx_and_the_app(topology):
    client = topology.client(topology.offices[0].host)
    # Between the app's 64 KiB and nginx's 2 MiB: the app answers, in Polish.
    within_nginx = client.post("/", b"q-komentarz=" + b"a" * 200_000)
    assert within_nginx.status == 413 and "Za dużo danych" in within_nginx.body.decode()
    beyond_nginx = topology.client(topology.offices[0].host).post("/", b"a" * 3_000_000)
    assert beyond_nginx.status == 413
    assert topology.stored_responses(topology.offices[0]) == 1  # the first test's only
