"""QR codes that open the survey (for the whole office or one department, channel "qr") and
the printable A4 poster around each of them: the office's logo, the call to action in Polish
and in the survey's other languages, and a layout that fills the page."""

from __future__ import annotations

import base64
import io
import threading
from dataclasses import dataclass

import qrcode
from flask import render_template
from qrcode.image.svg import SvgPathFillImage

from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.tenancy.services import office_url
from tenants.outreach.banner import survey_link
from tenants.reports.pdf import html_to_pdf
from tenants.survey.definition import live_version_id, published_version
from tenants.survey.languages import offered_languages
from tenants.survey.models import Department

# M corrects 15% damage: enough for a poster that gets scuffed, still a small code.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
# xhtml2pdf renders one document at a time per process; web processes run several threads.
# A poster takes well under a second, so it is made in the request, one at a time.
_RENDER_LOCK = threading.Lock()


@dataclass(frozen=True)
class QrCode:
    """One code: the whole survey (no department) or one department's."""

    url: str
    department: Department | None

    @property
    def slug(self) -> str:
        """A name for downloaded files."""
        return f"wydzial-{self.department.id}" if self.department else "ankieta"


def qr_code(tenant: Tenant, department: Department | None = None) -> QrCode:
    """The code for the office's survey, or for one department with it chosen."""
    return QrCode(survey_link(tenant, "qr", department.id if department else None), department)


def _qr(url: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, box_size=16, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_png(url: str) -> bytes:
    """The code as a PNG, large enough to print sharp at 10 cm."""
    buffer = io.BytesIO()
    _qr(url).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_data_uri(url: str) -> str:
    """The code as a ``data:`` PNG address, to show in a page (the CSP allows ``data:`` images)
    without storing or serving it anywhere, e.g. a kiosk link shown only once."""
    return "data:image/png;base64," + base64.b64encode(qr_png(url)).decode("ascii")


def qr_svg(url: str) -> bytes:
    """The code as an SVG (one path on a white background), for print shops."""
    return _qr(url).make_image(image_factory=SvgPathFillImage).to_string(encoding="utf-8")


def short_address(tenant: Tenant) -> str:
    """The survey's address as a person would type it: the host, no scheme."""
    return office_url(tenant).split("://", 1)[1].rstrip("/")


# The call to action in the languages a resident may switch the survey to: a poster names a
# language only where the office's live survey is offered in it (one line each, under Polish).
CALLS_TO_ACTION = {
    "en": "Rate our service – scan the code",
    "uk": "Оцініть наше обслуговування – відскануйте код",
}


def poster_languages() -> list[tuple[str, str]]:
    """(language code, call to action) for every other language the current office's live
    survey is offered in, in the survey's order."""
    version_id = live_version_id()
    version = published_version(version_id) if version_id is not None else None
    return [
        (code, CALLS_TO_ACTION[code])
        for code in offered_languages(version)
        if code in CALLS_TO_ACTION
    ]


def poster_pdf(tenant: Tenant, code: QrCode) -> bytes:
    """An A4 poster: a call to scan (in Polish, then in each other language the survey is
    offered in), the office's logo and name (and department), the code, the address."""
    png = base64.b64encode(qr_png(code.url)).decode("ascii")
    logo = tenant.logo
    html = render_template(
        "outreach/poster.html",
        office=tenant,
        department=code.department,
        qr=f"data:image/png;base64,{png}",
        logo=(
            f"data:{tenant.logo_mime_type};base64,{base64.b64encode(logo).decode('ascii')}"
            if logo
            else None
        ),
        languages=poster_languages(),
        address=short_address(tenant),
    )
    with _RENDER_LOCK:
        return html_to_pdf(html)
