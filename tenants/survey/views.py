"""The resident survey: show the form, take it back, say thank you."""

from __future__ import annotations

import logging
import uuid
from urllib.parse import parse_qsl, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from saas_platform.core.caching import PerAppCache, clear_all
from saas_platform.core.db import is_id
from saas_platform.core.extensions import csrf
from saas_platform.core.observability.metrics import SUBMISSIONS
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.tenancy.isolation import set_current_tenant
from saas_platform.core.tenancy.resolver import normalise_host, require_tenant_site
from saas_platform.core.web import allow_framing
from tenants.survey import statement
from tenants.survey.cache import (
    BlankPage,
    cached_page,
    remember_page,
    survey_state,
)
from tenants.survey.definition import VersionDef, published_version
from tenants.survey.forms import (
    DEPARTMENT_PARAM,
    RESIDENT_CHANNELS,
    WIDGET_CHANNEL,
    FieldError,
    check_submission,
)
from tenants.survey.guards import (
    FormStartProblem,
    check_form_start,
    form_start_token,
    take_submission_slot,
)
from tenants.survey.kiosk import active_kiosk_id, valid_kiosk_token
from tenants.survey.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    SESSION_KEY,
    offered_languages,
    requested_language,
    use_language,
)
from tenants.survey.services import DepartmentGone, OfficeGone, store_submission

log = logging.getLogger(__name__)
bp = Blueprint("survey", __name__)
bp.before_request(require_tenant_site)

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def _unavailable():
    use_language()
    abort(make_response(render_template("survey/unavailable.html"), 503))


def _live_version_or_unavailable() -> VersionDef:
    """The live version in the resident's language (which this sets for the request)."""
    if not current_tenant.is_active:
        _unavailable()
    version_id = survey_state().live_version_id
    version = published_version(version_id) if version_id else None
    if version is None:
        _unavailable()
    return version.localized(use_language(version))


# Error pages speak the resident's language too (saas_platform.core.web.ERROR_TEXTS).
TOO_MANY_SUBMISSIONS = lazy_gettext(
    "Z tego urządzenia wysłano już bardzo wiele ankiet. Dziękujemy za zaangażowanie! "
    "Kolejną odpowiedź będzie można wysłać za jakiś czas."
)


def _embeddable(channel: str) -> None:
    """The survey the "Oceń Urząd" button opens may be a dialog on the office's website: a
    frame there. So the widget channel's pages (the form, its errors, the thank-you page) may
    be framed by any site; the survey is anonymous and a frame sees nothing of the resident."""
    if channel == WIDGET_CHANNEL:
        allow_framing()


def _sent_from_widget_frame(form: MultiDict) -> bool:
    """A widget's form posted from our own page in a frame on the office's website. Browsers
    keep no cookie of ours in another site's frame, so it has no CSRF session. What the token
    proves elsewhere, the browser says itself here (OWASP: verifying origin with standard
    headers, which no page can set): ``Sec-Fetch-Site`` (sent over HTTPS), or the ``Origin``
    of every POST naming this very host."""
    if form.get("kanal") != WIDGET_CHANNEL:
        return False
    if request.headers.get("Sec-Fetch-Site") == "same-origin":
        return True
    origin = urlsplit(request.headers.get("Origin", ""))
    return origin.scheme in ("http", "https") and origin.netloc == request.host


def _render_form(version: VersionDef, values: MultiDict, errors: list[FieldError], status=200):
    channel = values.get("kanal") or request.args.get("kanal", "web")
    _embeddable(channel)
    submission_key = values.get("submission")
    started = values.get("started")
    if not (submission_key and started):  # a fresh form: a new key and a new start stamp
        submission_key = str(uuid.uuid4())
        started = form_start_token(current_tenant.id, submission_key)
    return (
        render_template(
            "survey/form.html",
            version=version,
            departments=survey_state().departments,
            values=values,
            errors=errors,
            channel=channel if channel in RESIDENT_CHANNELS else "web",
            submission_key=submission_key,
            started=started,
            kiosk_token=valid_kiosk_token(values.get("kiosk") or request.args.get("kiosk", "")),
            languages=_language_links(version, channel),
        ),
        status,
    )


def _language_links(version: VersionDef, channel: str, kiosk: str | None = None):
    """(code, name, url) of the languages the resident may switch to on this page."""
    kiosk = kiosk if kiosk is not None else request.args.get("kiosk") or None
    return [
        (
            code,
            LANGUAGES[code],
            url_for(
                "index",
                lang=code,
                kanal=channel if channel != "web" else None,
                kiosk=kiosk if channel == "kiosk" else None,
            ),
        )
        for code in offered_languages(version)
    ]


# A blank survey page differs between requests only in a few tokens, so it is rendered once
# per office, version, channel and look, and the tokens are filled in per request. The key
# holds the survey revision, which moves with anything the page shows of the office
# (tenants.survey.cache), so nothing needs emptying.
_blank_pages: PerAppCache[tuple, BlankPage] = PerAppCache("blank survey pages", max_size=1024)
_TOKENS = {
    name: f"__{name}_{uuid.uuid4().hex}__"
    for name in ("csrf", "submission", "nonce", "started", "kiosk")
}


def _page_variant(channel: str, department: str | None) -> str:
    """The micro-cache key of a blank page besides its host: channel and chosen department."""
    return f"{channel}:{department}" if department else channel


def _preselected_department(version: VersionDef) -> int | None:
    """The active department named in the query string, when the survey asks for one."""
    raw = request.args.get(DEPARTMENT_PARAM, "")
    if version.department_question is None or not is_id(raw):
        return None
    department_id = int(raw)
    return department_id if department_id in survey_state().department_ids else None


def _blank_form(version: VersionDef):
    channel = request.args.get("kanal", "web")
    channel = channel if channel in RESIDENT_CHANNELS else "web"
    _embeddable(channel)
    departments = survey_state().departments
    department_id = _preselected_department(version)
    values = MultiDict()
    if department_id is not None:
        values[version.department_question.field_name] = str(department_id)
    tenant = current_tenant
    asked = requested_language()  # the cache key: what a later request will ask for
    key = (tenant.id, tenant.survey_revision, version.id, version.language, channel, department_id)
    page = _blank_pages.get(key)
    if page is None:
        nonce, g.csp_nonce = g.csp_nonce, _TOKENS["nonce"]
        try:
            page = render_template(
                "survey/form.html",
                version=version,
                departments=departments,
                values=values,
                errors=[],
                channel=channel,
                submission_key=_TOKENS["submission"],
                started=_TOKENS["started"],
                kiosk_token=_TOKENS["kiosk"],
                csrf_token=lambda: _TOKENS["csrf"],
                languages=_language_links(version, channel, _TOKENS["kiosk"]),
            )
        finally:
            g.csp_nonce = nonce
        page = BlankPage.cut(page, _TOKENS)
        _blank_pages.put(key, page)
    ttl = current_app.config["SURVEY_PAGE_CACHE_SECONDS"]
    if ttl:
        variant = _page_variant(channel, department_id and str(department_id))
        remember_page(
            normalise_host(request.host), variant, asked, tenant.id, tenant.slug, page, ttl
        )
    return _fill_tokens(page, tenant.id)


def _fill_tokens(page: BlankPage, tenant_id: int) -> bytes:
    submission_key = str(uuid.uuid4())
    return page.fill(
        {
            "csrf": generate_csrf(),
            "submission": submission_key,
            "started": form_start_token(tenant_id, submission_key),
            # Only letters, digits, "-" and "_" pass valid_kiosk_token: nothing to escape.
            "kiosk": valid_kiosk_token(request.args.get("kiosk", "")),
            "nonce": g.csp_nonce,
        }
    )


def serve_cached_survey_page():
    """``before_request``, ahead of the host lookup: a blank survey this process rendered in
    the last ``SURVEY_PAGE_CACHE_SECONDS`` for the same host, channel and chosen department is
    served without touching the database (a micro-cache; tokens are filled per request)."""
    if request.method != "GET" or request.path != "/":
        return None
    if set(request.args) - {"kanal", "kiosk", DEPARTMENT_PARAM}:
        return None
    variant = _page_variant(request.args.get("kanal", "web"), request.args.get(DEPARTMENT_PARAM))
    language = session.get(SESSION_KEY, DEFAULT_LANGUAGE)
    cached = cached_page(normalise_host(request.host or ""), variant, language)
    if cached is None:
        return None
    page, tenant_id, g.tenant_slug = cached  # the slug for the log line
    _embeddable(request.args.get("kanal", "web"))
    return _fill_tokens(page, tenant_id)


def _posted_form() -> MultiDict:
    """The posted body as a MultiDict; refuses other content types and broken UTF-8."""
    if request.mimetype != FORM_CONTENT_TYPE:
        abort(415)
    raw = request.get_data(cache=True)
    try:
        pairs = parse_qsl(
            raw.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        abort(400, description=_("Formularz zawiera znaki, których nie da się odczytać (UTF-8)."))
    form = MultiDict(pairs)
    # Flask-WTF's CSRF check reads its token from ``request.form``: it gets this same form,
    # instead of Werkzeug parsing the body a second time (about 4 % of a POST's CPU). Werkzeug
    # parses only while ``form`` is unset, so ``files`` is set too (a urlencoded form has none).
    request.form, request.files = form, ImmutableMultiDict()
    return form


def survey_page():
    """GET shows the live survey; POST stores a response and redirects to the thank-you page."""
    version = _live_version_or_unavailable()
    if request.method == "GET":
        return _blank_form(version)

    form = _posted_form()
    _embeddable(form.get("kanal", "web"))  # its errors and its redirect too
    if not _sent_from_widget_frame(form):
        csrf.protect()
    if form.get("website"):
        # The honeypot: invisible to people, irresistible to form-filling bots.
        abort(400, description=_("Nie udało się przyjąć ankiety."))
    kiosk_id = active_kiosk_id(form.get("kiosk", "")) if form.get("kiosk") else None
    if not take_submission_slot(current_tenant.id, kiosk_id):
        abort(429, description=TOO_MANY_SUBMISSIONS)
    posted_version = form.get("version", "")
    answered = published_version(int(posted_version)) if is_id(posted_version) else None
    if answered is None:
        error = FieldError(_("Ta wersja ankiety nie jest już dostępna. Wypełnij aktualną ankietę."))
        return _render_form(version, MultiDict(), [error], status=422)
    answered = answered.localized(version.language)
    try:
        check_form_start(form.get("started", ""), current_tenant.id, form.get("submission", ""))
    except FormStartProblem as problem:
        keep = MultiDict({"kiosk": form.get("kiosk", ""), "kanal": form.get("kanal", "")})
        return _render_form(
            answered,
            keep if problem.fresh_form else form,
            [FieldError(problem.message)],
            status=422,
        )

    departments = survey_state().department_ids
    check = check_submission(
        answered, form, departments, current_app.config["OPEN_TEXT_MAX_LENGTH"]
    )
    if check.errors:
        return _render_form(answered, form, check.errors, status=422)
    submission = check.submission
    if kiosk_id is not None:
        submission.channel = "kiosk"
    elif submission.channel == "kiosk":
        submission.channel = "web"  # a kiosk link without a valid token is an ordinary browser
    stored = _store(answered, submission)
    if stored is not None:  # a re-sent form stores nothing and is not counted again
        SUBMISSIONS.labels(submission.channel).inc()
    kiosk = form.get("kiosk") if kiosk_id is not None else None
    return redirect(url_for("survey.thank_you", kanal=submission.channel, kiosk=kiosk), code=303)


def _store(version: VersionDef, submission) -> int | None:
    """Store the checked submission; the id, or None for a re-sent form. An office or a
    department deleted a moment ago gets the page a fresh request would get: 404 for the
    office, the unavailable page (from which the resident opens the survey again) for a
    department."""
    try:
        return store_submission(current_tenant.id, current_tenant.timezone, version, submission)
    except OfficeGone:
        clear_all()  # another process deleted it: no flush of this one emptied the caches
        set_current_tenant(None)
        abort(404)
    except DepartmentGone:
        clear_all()
        _unavailable()


@bp.get("/deklaracja-dostepnosci")
def accessibility_statement():
    """The accessibility statement the law requires, in the ministry's structure, from the
    office's data; what the office has not filled in yet is named on the page."""
    return render_template(
        "survey/accessibility.html",
        missing=statement.missing_statement_parts(current_tenant),
        dates=statement.statement_dates(current_tenant),
        email=statement.statement_email(current_tenant),
        status_labels=statement.STATUS_LABELS,
        assessment_labels=statement.ASSESSMENT_LABELS,
        reports_note=statement.REPORTS_NOTE,
    )


@bp.get("/ochrona-danych")
def privacy():
    """The information clause (RODO): who controls the data, what the survey keeps (exactly),
    and what it does not."""
    return render_template(
        "survey/privacy.html", missing=statement.missing_privacy_parts(current_tenant)
    )


@bp.get("/dziekujemy")
def thank_you():
    """Shown after a stored response (and after a repeated one, which stored nothing)."""
    _live_version_or_unavailable()
    channel = request.args.get("kanal", "web")
    kiosk_token = valid_kiosk_token(request.args.get("kiosk", "")) or None
    # A kiosk opens a fresh form for the next person by itself (static/live.js; a <noscript>
    # meta refresh without JavaScript).
    kiosk_reset = channel == "kiosk" and kiosk_token and active_kiosk_id(kiosk_token) is not None
    _embeddable(channel)
    return render_template(
        "survey/thanks.html",
        channel=channel if channel in RESIDENT_CHANNELS else "web",
        kiosk_token=kiosk_token,
        reset_seconds=current_app.config["KIOSK_RESET_SECONDS"] if kiosk_reset else None,
    )


@bp.get("/logo")
def logo():
    """The office's logo, re-encoded on upload, so it is safe to serve as is."""
    if not current_tenant.logo:
        abort(404)
    response = current_app.response_class(
        current_tenant.logo, mimetype=current_tenant.logo_mime_type
    )
    response.cache_control.max_age = 3600
    return response
