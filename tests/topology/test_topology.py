"""The platform run like production, through nginx with real Host headers, and the ordinary
accidents it survives with nothing lost: Redis stopped, a worker killed mid-render, PostgreSQL
restarted, SMTP unreachable, and 10,000 residents' submissions at once.

The tests share one topology (tests/topology/conftest.py) and run in file order; each puts back
what it stopped.
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.topology.conftest import PLATFORM_DOMAIN, Resident, Topology, plain_nginx
from tests.topology.harness import (
    NGINX_DIR,
    STATIC_ROOT,
    HttpClient,
    Nginx,
    free_port,
    wait_until,
)

pytestmark = pytest.mark.topology

REPORT_MADE_WITHIN = 90  # seconds; renders queue behind one another on 2 shared cores


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def report_pdf(mail):
    """The PDF of a report e-mail, which carries the report's two editions: the PDF for print
    and the accessible HTML."""
    parts = list(mail.iter_attachments())
    assert sorted(part.get_content_type() for part in parts) == ["application/pdf", "text/html"]
    return next(part for part in parts if part.get_content_type() == "application/pdf")


def mails_for(topology: Topology, address: str) -> list:
    return [m for m in topology.mailbox.messages if address in m["X-Envelope-To"]]


def figure(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert match, f"no #{element_id} on the page"
    return match.group(1).strip()


def wait_for_report(topology: Topology, office, report_id: int, status: str = "done") -> dict:
    try:
        wait_until(
            lambda: topology.report(office, report_id)["status"] == status,
            REPORT_MADE_WITHIN,
            f"report {report_id} is {status}",
            step=0.2,
        )
    except AssertionError as late:
        raise AssertionError(f"{late}\n{topology.log_tails()}") from None
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
    attachment = report_pdf(mail)
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF") and len(pdf) == report["pdf_size"]
    text = pdf_text(pdf)
    assert office_a.name in text and office_b.name not in text

    # Office B sees none of it: no response, no report, not even by the report's address.
    # An office without responses sees its first steps; asked for results, it counts none.
    assert "Pierwsze kroki" in staff_b.get("/panel/").body.decode()
    filtered = staff_b.get("/panel/?okres=last_12_months").body.decode()
    assert figure(filtered, "liczba-odpowiedzi") == "0"
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


class EchoHeaders(BaseHTTPRequestHandler):
    """An upstream that answers with the request headers it got, as JSON."""

    def do_GET(self):
        body = json.dumps(dict(self.headers.items())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_nginx_sets_the_forwarded_headers_itself(tmp_path):
    """What the app's one trusted hop receives: the real client address, scheme and host, never
    what the client claimed."""
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), EchoHeaders)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    nginx = plain_nginx(
        tmp_path / "nginx", f"127.0.0.1:{port}", f"127.0.0.1:{upstream.server_port}"
    )
    nginx.start(port)
    try:
        client = HttpClient(port, f"Wolomin.{PLATFORM_DOMAIN}:{port}")
        spoofed = {
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "sierpc.satysfakcja.test",
            "X-Request-Id": "mine",
        }
        headers = json.loads(client.get("/panel/", headers=spoofed).body)
    finally:
        nginx.stop()
        upstream.shutdown()
    assert headers["Host"] == f"wolomin.{PLATFORM_DOMAIN}"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Host"] == f"wolomin.{PLATFORM_DOMAIN}"
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-Id"])


def test_request_size_limits_of_nginx_and_the_app(topology):
    client = topology.client(topology.offices[0].host)
    stored_before = topology.stored_responses(topology.offices[0])
    # Between the app's 64 KiB and nginx's 2 MiB: the app answers, in Polish.
    within_nginx = client.post("/", b"q-komentarz=" + b"a" * 200_000)
    assert within_nginx.status == 413 and "Za dużo danych" in within_nginx.body.decode()
    beyond_nginx = topology.client(topology.offices[0].host).post("/", b"a" * 3_000_000)
    assert beyond_nginx.status == 413
    assert topology.stored_responses(topology.offices[0]) == stored_before


def make_wildcard_certificate(folder: Path) -> Path:
    """A self-signed certificate for the apex and ``*.<PLATFORM_DOMAIN>``, as DNS-01 would give."""
    folder.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem"),
         "-subj", f"/CN={PLATFORM_DOMAIN}",
         "-addext", f"subjectAltName=DNS:{PLATFORM_DOMAIN},DNS:*.{PLATFORM_DOMAIN}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder


def tls_nginx(topology: Topology, tmp_path: Path, https_port: int, http_port: int) -> Nginx:
    return Nginx(
        tmp_path / "nginx",
        NGINX_DIR / "tls" / "satysfakcja.conf.template",
        {
            "PLATFORM_DOMAIN": PLATFORM_DOMAIN,
            "LISTEN_PORT": f"127.0.0.1:{https_port}",
            "HTTP_PORT": f"127.0.0.1:{http_port}",
            "UPSTREAM": topology.env["GUNICORN_BIND"],
            "STATIC_ROOT": str(STATIC_ROOT),
            "TLS_CERT_DIR": str(make_wildcard_certificate(tmp_path / "wildcard")),
            "CUSTOM_CERTS_DIR": str(tmp_path / "custom"),
            "ACME_ROOT": str(tmp_path / "acme"),
        },
    )


def test_tls_variant_serves_offices_with_the_wildcard_certificate(topology, tmp_path):
    """The production template: HTTPS with the wildcard certificate, HSTS, and plain HTTP only
    redirecting (ACME challenges aside)."""
    https_port, http_port = free_port(), free_port()
    nginx = tls_nginx(topology, tmp_path, https_port, http_port)
    nginx.start(https_port)
    try:
        office_a = topology.offices[0]
        context = ssl.create_default_context(cafile=str(tmp_path / "wildcard" / "fullchain.pem"))
        connection = http.client.HTTPSConnection(office_a.host, https_port, timeout=30)
        connection.sock = context.wrap_socket(
            socket.create_connection(("127.0.0.1", https_port)), server_hostname=office_a.host
        )
        connection.request("GET", "/")
        page = connection.getresponse()
        assert page.status == 200 and office_a.name in page.read().decode()
        assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        connection.close()

        redirect = HttpClient(http_port, office_a.host).get("/panel/?a=1")
        assert redirect.status == 308
        assert redirect.headers["Location"] == f"https://{office_a.host}/panel/?a=1"
    finally:
        nginx.stop()


@pytest.mark.parametrize("variant", ["plain", "tls"])
def test_templates_fit_debians_stock_nginx_conf(topology, tmp_path, variant):
    """An operator on a plain VM renders the templates into conf.d of Debian's own nginx.conf
    (which sets gzip and ssl_protocols at the http level already)."""
    if variant == "tls":
        nginx = tls_nginx(topology, tmp_path, free_port(), free_port())
    else:
        listen = f"127.0.0.1:{free_port()}"
        nginx = plain_nginx(tmp_path / "nginx", listen, topology.env["GUNICORN_BIND"])
    stock = Path("/etc/nginx/nginx.conf").read_text()
    assert "include /etc/nginx/conf.d/*.conf;" in stock
    nginx.conf.write_text(
        stock.replace("/etc/nginx/conf.d/", f"{nginx.workdir}/conf.d/")
        .replace("include /etc/nginx/sites-enabled/*;", "")
        .replace("pid /run/nginx.pid;", f"pid {nginx.workdir}/nginx.pid;")
    )
    checked = nginx.check()
    assert checked.returncode == 0, checked.stderr


def test_redis_stopped_while_residents_submit(topology):
    office_a, office_b = topology.offices
    topology.mailbox.messages.clear()
    staff_a = topology.staff(office_a)
    residents = [Resident(topology, office_a, seed=100 + i) for i in range(4)]
    stored_before = topology.stored_responses(office_a)
    topology.redis.stop()
    try:
        statuses = [resident.submit() for _ in range(5) for resident in residents]
        assert statuses == [303] * 20, Counter(statuses)
        assert topology.stored_responses(office_a) == stored_before + 20
        report_id = topology.request_report(staff_a)
        # Longer than the sweeper's grace and period: with no broker, nothing can take it.
        time.sleep(6)
        assert topology.report(office_a, report_id)["status"] == "queued"
    finally:
        topology.redis.start()
    report = wait_for_report(topology, office_a, report_id)
    assert report["attempts"] == 1
    (mail,) = topology.mailbox.wait_for(1, timeout=REPORT_MADE_WITHIN)
    assert office_a.staff_email in mail["X-Envelope-To"]
    assert topology.stored_responses(office_a) == stored_before + 20
    assert topology.stored_responses(office_b) == 0


def test_worker_killed_with_sigkill_mid_render_makes_the_report_once(topology):
    office_a = topology.offices[0]
    topology.mailbox.messages.clear()
    staff_a = topology.staff(office_a)
    topology.worker.stop()
    slow = topology.start_worker(FAULT_TEST_RENDER_DELAY_SECONDS="60")
    report_id = topology.request_report(staff_a)
    wait_for_report(topology, office_a, report_id, status="running")
    time.sleep(1)
    slow.kill()
    killed = topology.report(office_a, report_id)
    assert killed["status"] == "running" and killed["pdf_size"] is None
    assert killed["attempts"] == 1

    topology.start_worker()
    report = wait_for_report(topology, office_a, report_id)
    assert report["attempts"] == 2  # taken once more after the running timeout, by the sweeper
    (mail,) = topology.mailbox.wait_for(1, timeout=REPORT_MADE_WITHIN)
    attachment = report_pdf(mail)
    assert len(attachment.get_content()) == report["pdf_size"]
    time.sleep(4)  # two sweeps later: still exactly one report, one e-mail
    assert topology.report(office_a, report_id)["attempts"] == 2
    assert len(topology.mailbox.messages) == 1


def test_a_worker_that_stops_taking_tasks_is_restarted_by_its_watchdog(topology):
    """Celery's consumer can come back from a lost broker connection without consuming again
    (workers/watchdog.py). Cancelling its queue reproduces that: connected, answering pings,
    taking nothing."""
    office_a = topology.offices[0]
    topology.mailbox.messages.clear()
    staff_a = topology.staff(office_a)
    worker = topology.worker
    restarts = worker.restarts
    assert "no longer consuming from celery" in topology.control("cancel_consumer", "celery")
    report_id = topology.request_report(staff_a)
    time.sleep(4)  # longer than the sweeper's grace: sent again, still taken by nobody
    assert topology.report(office_a, report_id)["status"] == "queued"

    report = wait_for_report(topology, office_a, report_id)
    assert worker.restarts == restarts + 1
    assert "has taken no task" in worker.log()
    assert report["attempts"] == 1
    (mail,) = topology.mailbox.wait_for(1, timeout=REPORT_MADE_WITHIN)
    assert office_a.staff_email in mail["X-Envelope-To"]
    time.sleep(4)  # two sweeps later: still one report, one e-mail
    assert len(topology.mailbox.messages) == 1


def test_smtp_unreachable_the_report_is_kept_and_mailed_when_smtp_returns(topology):
    office_a = topology.offices[0]
    topology.mailbox.messages.clear()
    staff_a = topology.staff(office_a)
    topology.smtp.stop()
    try:
        report_id = topology.request_report(staff_a)
        report = wait_for_report(topology, office_a, report_id)
        assert report["pdf_size"] > 0  # stored, whatever happens to the e-mail
        wait_until(
            lambda: topology.report(office_a, report_id)["email_error"],
            30,
            "the first e-mail attempt failed",
        )
        time.sleep(3)  # retried with backoff meanwhile (1 s, 2 s, ...), failing each time
        failing = topology.report(office_a, report_id)
        assert failing["email_status"] == "pending"
        assert "Connection refused" in failing["email_error"]
        assert not topology.mailbox.messages
    finally:
        topology.smtp.start()
    (mail,) = topology.mailbox.wait_for(1, timeout=60)
    attachment = report_pdf(mail)
    assert len(attachment.get_content()) == report["pdf_size"]
    sent = topology.report(office_a, report_id)
    wait_until(
        lambda: topology.report(office_a, report_id)["email_status"] == "sent", 10, "marked sent"
    )
    assert sent["status"] == "done" and sent["attempts"] == 1


def test_postgres_restart_gives_clean_503s_then_the_app_recovers_by_itself(topology):
    office_a, office_b = topology.offices
    staff_a = topology.staff(office_a)
    stored_before = topology.stored_responses(office_a)
    stop = threading.Event()
    answers: list[tuple[str, int, bytes]] = []

    def residents(seed: int) -> None:
        resident = Resident(topology, office_a, seed)
        while not stop.is_set():
            answers.append(("resident", resident.submit(), resident.last_body))
            time.sleep(0.05)

    def dashboard() -> None:
        while not stop.is_set():
            try:
                page = staff_a.get("/panel/")
                answers.append(("staff", page.status, page.body))
            except (OSError, http.client.HTTPException) as exc:
                answers.append(("staff", -1, repr(exc).encode()))
            time.sleep(0.1)

    threads = [threading.Thread(target=residents, args=(seed,)) for seed in (200, 201)]
    threads.append(threading.Thread(target=dashboard))
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        topology.pg.stop()
        try:
            time.sleep(1)
            ready = topology.client(PLATFORM_DOMAIN).get("/readyz")
            assert ready.status == 503
            time.sleep(3)
        finally:
            topology.pg.start()
        restarted = len(answers)
        wait_until(
            lambda: any(
                kind == "resident" and status == 303 for kind, status, _ in answers[restarted:]
            ),
            30,
            "residents' submissions are stored again, without restarting anything",
        )
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    statuses = Counter((kind, status) for kind, status, _ in answers)
    assert set(statuses) <= {("resident", 303), ("resident", 503), ("staff", 200), ("staff", 503)}
    assert statuses[("resident", 503)] and statuses[("staff", 503)], statuses
    for _, status, body in answers:
        if status == 503:
            html = body.decode()
            assert "Serwis chwilowo niedostępny" in html and "Traceback" not in html
    assert topology.stored_responses(office_a) == stored_before + statuses[("resident", 303)]
    assert topology.client(PLATFORM_DOMAIN).get("/readyz").status == 200
    assert staff_a.get("/panel/").status == 200
    # The worker and beat came back by themselves too.
    topology.mailbox.messages.clear()
    report = wait_for_report(topology, office_a, topology.request_report(staff_a))
    assert report["attempts"] == 1
    assert topology.stored_responses(office_b) == 0


SUBMISSIONS = 10_000
CLIENTS = 32


def _choice_counts(html: str, caption: str) -> dict[str, int]:
    table = html[html.index(f"<caption>{caption}") :]
    table = table[: table.index("</table>")]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', table)
    return {label: int(count) for label, count in rows}


def test_ten_thousand_submissions_from_32_clients_are_all_counted(topology):
    offices = topology.offices
    stored_before = {office.id: topology.stored_responses(office) for office in offices}
    tickets = iter(range(SUBMISSIONS))
    lock = threading.Lock()

    def client(index: int) -> tuple[int, Counter]:
        office = offices[index % 2]
        resident = Resident(topology, office, seed=1000 + index)
        statuses: Counter = Counter()
        while True:
            with lock:
                ticket = next(tickets, None)
            if ticket is None:
                return office.id, statuses
            statuses[resident.submit()] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))
    elapsed = time.monotonic() - started
    answered = {office.id: Counter() for office in offices}
    for office_id, statuses in results:
        answered[office_id].update(statuses)
    print(f"\n{SUBMISSIONS} submissions through nginx from {CLIENTS} clients in {elapsed:.1f} s")

    for office in offices:
        stored = topology.stored_responses(office) - stored_before[office.id]
        assert stored == answered[office.id][303], (office.slug, answered[office.id])
    total = sum(answered[office.id][303] for office in offices)
    assert total == SUBMISSIONS, answered  # every one answered normally

    labels = {"wniosek": "Złożenie wniosku", "odbior": "Odbiór dokumentu",
              "uzupelnienie": "Uzupełnienie dokumentów", "informacja": "Uzyskanie informacji",
              "skarga": "Skarga lub reklamacja", "inna": "Inna sprawa"}  # fmt: skip
    for office in offices:
        html = topology.staff(office).get("/panel/").body.decode()
        raw_total, raw_excluded = topology.query(
            "SELECT count(*) FILTER (WHERE excluded_at IS NULL),"
            " count(*) FILTER (WHERE excluded_at IS NOT NULL)"
            " FROM responses WHERE tenant_id = %s",
            office.id,
        )[0]
        assert figure(html, "liczba-odpowiedzi") == str(raw_total)
        assert figure(html, "wylaczone-z-wynikow").startswith(
            f"wyłączone z wyników: {raw_excluded}"
        )
        raw_purposes = dict(
            topology.query(
                "SELECT a.value, count(*) FROM answers a JOIN responses r ON r.id = a.response_id"
                " WHERE r.tenant_id = %s AND r.excluded_at IS NULL"
                " AND a.question_key = 'cel_wizyty' GROUP BY a.value",
                office.id,
            )
        )
        shown = _choice_counts(html, "W jakiej sprawie przyszedłeś/przyszłaś do urzędu?")
        assert shown == {labels[value]: count for value, count in raw_purposes.items()}
        assert sum(shown.values()) == raw_total
