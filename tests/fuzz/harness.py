"""What every fuzz test shares: the text it types, the checks of each answer, and the exports
that must still work once the fuzzing is over.

The text is the Big List of Naughty Strings (``blns.txt``, MIT licence in ``blns.LICENSE``,
from the npm package ``big-list-of-naughty-strings`` 1.0.0), Hypothesis's generated Unicode
(control characters, noncharacters, combining marks, every plane), the two mixed, and long
repeats past each field's length limit.
"""

from __future__ import annotations

import io
import itertools
import os
import zipfile
from collections import Counter
from collections.abc import Callable, Hashable
from datetime import date
from pathlib import Path

from hypothesis import currently_in_test_context, note
from hypothesis import strategies as st
from openpyxl import load_workbook

from saas_platform.core.db import db
from tenants.reports.models import Report
from tenants.reports.tasks import render_report
from tests.conftest import csrf_token_of

HERE = Path(__file__).resolve().parent
# split("\n"), not splitlines(): some naughty strings hold U+2028, U+0085 or U+001C.
NAUGHTY: tuple[str, ...] = tuple(
    line
    for line in (HERE / "blns.txt").read_text(encoding="utf-8").split("\n")
    if line and not line.startswith("#")
)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "fast")
# The whole list at depth; every 20th string in the fast tier.
NAUGHTY_PASS: tuple[str, ...] = NAUGHTY[::20] if PROFILE == "fast" else NAUGHTY

ACCEPTED = (302, 303)
ERROR_FLASH = 'class="flash flash-error"'
# (path, status, accepted) -> how many answers; printed at the end of a run (conftest.py).
OUTCOMES: Counter[tuple[str, int, bool]] = Counter()
_addresses = itertools.count(1)


def naughty_text(max_size: int = 120) -> st.SearchStrategy[str]:
    """A naughty string, generated text, the two joined, or one repeated past a length limit."""
    listed = st.sampled_from(NAUGHTY)
    generated = st.text(max_size=max_size)
    return st.one_of(
        listed,
        generated,
        st.tuples(listed, generated).map("".join),
        st.tuples(generated, listed).map("".join),
        listed.map(lambda text: (text * 40)[:4000]),
    )


def client_address() -> dict:
    """A WSGI environ giving the next request an address of its own, so the per-client limits
    (20 survey answers an hour, 20 failed logins) do not answer every later example with 429."""
    n = next(_addresses)
    return {"REMOTE_ADDR": f"198.18.{n // 250 % 250}.{n % 250 + 1}"}


def post(client, path: str, fields: dict, form_page: str | None = None, **kwargs):
    """GET ``form_page`` (or ``path``) for its CSRF token, then POST ``fields`` to ``path``."""
    token = csrf_token_of(client.get(form_page or path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields}, **kwargs)


def shows_no_error(response) -> bool:
    """For a page that answers 200 either way (the kiosks): no error message on it."""
    return response.status_code == 200 and ERROR_FLASH not in response.get_data(as_text=True)


def check_answer(
    response,
    snapshot: Callable[[], Hashable],
    before: Hashable,
    fields: dict,
    client=None,
    accepted_when: Callable[..., bool] | None = None,
) -> bool:
    """No answer is a server error; a refused submission stores nothing. True if accepted.

    Accepted means a redirect, or what ``accepted_when(response)`` says. With ``client``, a
    redirect is followed: the survey editor refuses an edit by redirecting to the editor with
    an error message, which counts as refused.
    """
    if currently_in_test_context():  # a Hypothesis example; a plain loop says it below
        note(f"posted {fields!r}, answered {response.status_code}")
    assert response.status_code < 500, (fields, response.get_data(as_text=True)[:2000])
    if accepted_when is not None:
        accepted = accepted_when(response)
    else:
        accepted = response.status_code in ACCEPTED
        if accepted and client is not None:
            landing = client.get(response.headers["Location"])
            assert landing.status_code < 500
            accepted = ERROR_FLASH not in landing.get_data(as_text=True)
    OUTCOMES[(response.request.environ.get("PATH_INFO", ""), response.status_code, accepted)] += 1
    if not accepted:
        assert snapshot() == before, (fields, f"refused ({response.status_code}), yet stored")
    return accepted


def assert_every_export_succeeds(app, in_office, office, staff, operator) -> None:
    """CSV, XLSX, the operator's ZIP and a PDF report of ``office``, after the fuzzing."""
    csv = staff.get("/panel/eksport.csv")
    assert csv.status_code == 200 and csv.get_data(as_text=True).count("\n") >= 1
    xlsx = staff.get("/panel/eksport.xlsx")
    assert xlsx.status_code == 200
    assert "Odpowiedzi" in load_workbook(io.BytesIO(xlsx.get_data()), read_only=True).sheetnames
    archive = operator.get(f"/operator/urzedy/{office.slug}/eksport")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.get_data())) as zipped:
        assert zipped.testzip() is None
        load_workbook(io.BytesIO(zipped.read("odpowiedzi.xlsx")), read_only=True)
    with in_office(office) as tenant:
        today = tenant.today()
        report = Report(kind="on_demand", period_start=date(today.year - 1, 1, 1), period_end=today)
        db.session.add(report)
        db.session.commit()
        report_id = report.id
    render_report(report_id=report_id, tenant_id=office.id)
    with in_office(office):
        report = db.session.get(Report, report_id)
        assert report.status == "done", report.error
        assert report.pdf_size > 0
