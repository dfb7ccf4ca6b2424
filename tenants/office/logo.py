"""The office's logo: an uploaded PNG or JPEG, checked by its content and re-encoded, so what
the survey serves is a clean PNG the platform made itself."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageOps, UnidentifiedImageError

from saas_platform.core.db import db
from saas_platform.core.tenancy.models import Tenant
from tenants.audit import services as audit
from tenants.office.services import office_pre_change_report
from tenants.reports.models import Report

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 2000
# Stored logos fit in this box (the header shows them 56 px high) and, as PNG, in
# LOGO_MAX_BYTES too: the office's row, logo included, is read on every request.
LOGO_HEIGHT = 400
LOGO_WIDTH = 1200
LOGO_MIME_TYPE = "image/png"
ACCEPTED_FORMATS = ("PNG", "JPEG")
TOO_LARGE = f"Plik jest za duży: logo może mieć najwyżej {LOGO_MAX_BYTES // (1024 * 1024)} MB."


class LogoError(ValueError):
    """The upload cannot be a logo; the message says why, in Polish."""


def prepare_logo(data: bytes) -> bytes:
    """The upload as a metadata-free PNG that fits ``LOGO_WIDTH``×``LOGO_HEIGHT``.

    ``LogoError`` when it is not a PNG or JPEG (judged by content, never by name or declared
    type), is truncated, too big, or too large in pixels."""
    if not data:
        raise LogoError("Wybierz plik z logo (PNG lub JPEG).")
    if len(data) > LOGO_MAX_BYTES:
        raise LogoError(TOO_LARGE)
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError as exc:
        raise LogoError("Logo musi być obrazem PNG lub JPEG.") from exc
    except Image.DecompressionBombError as exc:  # a header claiming billions of pixels
        raise LogoError(
            f"Obraz jest za duży: logo może mieć najwyżej {LOGO_MAX_SIDE}×{LOGO_MAX_SIDE} px."
        ) from exc
    with image:
        # The decompression-bomb guard: the size comes from the header, checked before a single
        # pixel is decoded. Pillow's own MAX_IMAGE_PIXELS (process-wide, ~89 Mpx) stops only
        # the most absurd headers, above; 2000×2000 is 4 Mpx, 16 MB decoded at most.
        width, height = image.size
        if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
            raise LogoError(
                f"Obraz ma {width}×{height} px; logo może mieć najwyżej "
                f"{LOGO_MAX_SIDE}×{LOGO_MAX_SIDE} px."
            )
        try:
            image.load()
            return _reencoded(image)
        except LogoError:
            raise
        except Exception as exc:  # Pillow raises many kinds for truncated or damaged data
            raise LogoError(
                "Nie udało się odczytać obrazu: plik jest uszkodzony lub niekompletny."
            ) from exc


def _reencoded(image: Image.Image) -> bytes:
    # A phone photo stores its rotation in EXIF, which is about to be dropped: apply it first.
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    if image.height > LOGO_HEIGHT or image.width > LOGO_WIDTH:
        image.thumbnail((LOGO_WIDTH, LOGO_HEIGHT), Image.Resampling.LANCZOS)
    # Only the pixels cross over: no EXIF, ICC profile, text chunks or anything else.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    output = io.BytesIO()
    clean.save(output, format="PNG", optimize=True)
    if output.tell() > LOGO_MAX_BYTES:  # a photograph: PNG keeps every grain of noise
        raise LogoError(
            f"Ten obraz zapisany jako PNG zająłby ponad {LOGO_MAX_BYTES // (1024 * 1024)} MB. "
            "Użyj prostszej grafiki, "
            "np. herbu lub logo na jednolitym tle."
        )
    return output.getvalue()


def logo_facts(data: bytes | None) -> dict | None:
    """What the audit log keeps of a logo: its size and digest, never the image itself."""
    if not data:
        return None
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def set_logo(tenant: Tenant, upload: bytes) -> Report:
    """Check and re-encode the upload, make the pre-change report (§5), then store the logo;
    audited with the report. Returns the report; flushes only."""
    logo = prepare_logo(upload)
    report = office_pre_change_report("office.logo")
    before = logo_facts(tenant.logo)
    tenant.logo, tenant.logo_mime_type = logo, LOGO_MIME_TYPE
    db.session.flush()
    after = {**(logo_facts(logo) or {}), "pre_change_report_id": report.id}
    audit.record("office.logo", "tenant", tenant.id, before=before, after=after)
    return report


def remove_logo(tenant: Tenant) -> Report | None:
    """Take the logo off the survey, after the pre-change report (§5), which is returned;
    None when there was no logo."""
    if tenant.logo is None:
        return None
    report = office_pre_change_report("office.logo_remove")
    before = logo_facts(tenant.logo)
    tenant.logo, tenant.logo_mime_type = None, None
    db.session.flush()
    audit.record(
        "office.logo_remove",
        "tenant",
        tenant.id,
        before=before,
        after={"pre_change_report_id": report.id},
    )
    return report
