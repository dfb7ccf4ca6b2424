"""The banner kit in the panel, and the banner images every town website may embed."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from saas_platform.core.db import db, is_id
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.tenancy.resolver import require_tenant_site
from tenants.office.first_steps import record_step
from tenants.outreach import banner, qr, widget
from tenants.survey import departments
from tenants.survey.departments import active_departments
from tenants.survey.forms import DEPARTMENT_PARAM

# Public: the town's website embeds these, so they live on the office host outside /panel/.
public = Blueprint("banner", __name__)
public.before_request(require_tenant_site)
# The staff's banner kit. The composition mounts it inside the panel's blueprint (/panel/baner),
# behind the panel's staff guard.
bp = Blueprint("outreach", __name__)

# Browsers and the town's web server may keep a banner this long; a new brand colour
# shows within the hour, and the ETag makes a revalidation cheap.
BANNER_MAX_AGE = 3600
MIME_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


@public.get("/baner/<size>.<any(svg, png):extension>")
def banner_image(size: str, extension: str):
    """One banner of the office, in its colour, cacheable by browsers and proxies."""
    chosen = banner.SIZES_BY_SLUG.get(size)
    if chosen is None:
        abort(404)
    tenant = current_tenant._get_current_object()
    if extension == "svg":
        data = banner.banner_svg(tenant, chosen)
    else:
        data = banner.banner_png(tenant, chosen)
    response = current_app.response_class(data, mimetype=MIME_TYPES[extension])
    response.cache_control.public = True
    response.cache_control.max_age = BANNER_MAX_AGE
    response.add_etag()
    return response.make_conditional(request)


# The button's script: the same bytes on every office host, pinned by each snippet's hash.
WIDGET_MAX_AGE = 3600


@public.get("/baner/przycisk-<int:version>.js")
def widget_script(version: int):
    """The "Oceń Urząd" button's script, for any website to load (CORS, which SRI needs).
    An unknown or suspended office has none: the tag then shows nothing."""
    data = widget.SCRIPT_VERSIONS.get(version)
    if data is None or not current_tenant.is_active:
        abort(404)
    response = current_app.response_class(data, mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.cache_control.public = True
    response.cache_control.max_age = WIDGET_MAX_AGE
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/baner")
def banner_kit():
    """The banner in every size with its snippet, the button's snippet for the office's choice
    (with the button itself as a live preview), and the QR codes with their posters."""
    tenant = current_tenant._get_current_object()
    choice = widget.widget_choice(request.args)
    return render_template(
        "panel/banner.html",
        widget_choice=choice,
        widget_snippet=widget.widget_tag(tenant, choice),
        widget_preview=widget.widget_tag(tenant, choice, origin=""),
        widget_origin=widget.script_origin(tenant),
        widget_bytes=len(widget.SCRIPT_VERSIONS[widget.CURRENT_VERSION]),
        open_modes=widget.OPEN_MODES,
        placements=widget.PLACEMENTS,
        banners=[
            {"size": size, "snippet": banner.banner_snippet(tenant, size)}
            for size in banner.BANNER_SIZES
        ],
        survey_url=banner.survey_link(tenant, "banner"),
        alt=banner.alt_text(tenant),
        codes=[qr.qr_code(tenant)] + [qr.qr_code(tenant, d) for d in active_departments()],
        address=qr.short_address(tenant),
        png_scale=banner.PNG_SCALE,
    )


def _code_or_404() -> qr.QrCode:
    """The office's code, or an active department's when ``wydzial`` names one of this office."""
    raw = request.args.get(DEPARTMENT_PARAM)
    if raw is None:
        return qr.qr_code(current_tenant)
    department = departments.department_or_none(int(raw)) if is_id(raw) else None
    if department is None or not department.is_active:
        abort(404)
    return qr.qr_code(current_tenant, department)


def _download(data: bytes, mimetype: str, filename: str):
    response = current_app.response_class(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/baner/kod-qr.<any(png, svg):extension>")
def qr_download(extension: str):
    """A QR code as PNG or SVG."""
    code = _code_or_404()
    data = qr.qr_png(code.url) if extension == "png" else qr.qr_svg(code.url)
    _posters_taken()
    return _download(data, MIME_TYPES[extension], f"kod-qr-{code.slug}.{extension}")


@bp.get("/baner/plakat.pdf")
def qr_poster():
    """The printable A4 poster of a QR code."""
    code = _code_or_404()
    pdf = qr.poster_pdf(current_tenant._get_current_object(), code)
    _posters_taken()
    return _download(pdf, "application/pdf", f"plakat-{code.slug}.pdf")


def _posters_taken() -> None:
    """The first step "posters" ticks itself the first time the kit gives one out."""
    if record_step(current_tenant._get_current_object(), "posters"):
        db.session.commit()
