"""The comment triage's staff pages: the comment list with its topic and status filters, the
triage of one comment (admins and analysts), the topic list (admins edit it), and the alerts
digest choice of the own account.

The composition mounts this blueprint inside the panel's, so its URLs are /panel/komentarze...
and the panel's staff guard (a signed-in member of this office) covers every one of them.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from saas_platform.core.db import db
from saas_platform.core.numbers import bounded_int
from saas_platform.core.tenancy import current_tenant
from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.web import page_number
from tenants.comments import digest, services
from tenants.comments.models import (
    FREQUENCIES,
    FREQUENCY_LABELS,
    STATUS_LABELS,
    TOPIC_NAME_LIMIT,
    CommentTopic,
)
from tenants.survey.filters import FILTER_ARGS, parse_filters

bp = Blueprint("comments", __name__)

MAX_ID = 2**31 - 1
TOPIC_ARG = "temat"
STATUS_ARG = "stan"
# The status filter in the address, in Polish (ASCII), and the code it means.
STATUS_ARGS = {
    "nowy": "new",
    "przeczytany": "read",
    "przekazany": "forwarded",
    "wyjasniony": "resolved",
}
LIST_ARGS = (*FILTER_ARGS, TOPIC_ARG, STATUS_ARG, "strona")


def _office() -> Tenant:
    """The office of the request (the staff guard has resolved it)."""
    tenant = current_tenant._get_current_object()
    if tenant is None:
        abort(404)
    return tenant


def _require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


def _list_args() -> dict[str, str]:
    return {name: request.args[name] for name in LIST_ARGS if request.args.get(name)}


@bp.get("/komentarze")
def index() -> ResponseReturnValue:
    """The period's comments, newest first, with their topics and status, filterable. A list
    compares with no other period: "porownanie" in its address is left out, neither applied
    nor refused (as on the response list)."""
    without_comparison = {k: v for k, v in request.args.items() if k != "porownanie"}
    chosen = parse_filters(without_comparison, _office().today(), current_user.department_scope)
    errors = dict(chosen.errors)
    topic_id = None
    if raw_topic := request.args.get(TOPIC_ARG):
        topic_id = bounded_int(raw_topic, 1, MAX_ID)
        if topic_id is None or services.topic_or_none(topic_id) is None:
            errors[TOPIC_ARG] = (
                "Nie ma takiego tematu na liście urzędu: pokazujemy wszystkie tematy."
            )
            topic_id = None
    status = None
    if raw_status := request.args.get(STATUS_ARG):
        status = STATUS_ARGS.get(raw_status)
        if status is None:
            errors[STATUS_ARG] = "Nieznany stan komentarza: pokazujemy wszystkie."
    args = dict(chosen.args)
    if topic_id is not None:
        args[TOPIC_ARG] = str(topic_id)
    if status is not None:
        args[STATUS_ARG] = raw_status or ""
    page = services.comment_page(chosen.filters, page_number(), topic_id, status)
    html = render_template(
        "panel/comments.html",
        chosen=chosen,
        errors=errors,
        page=page,
        topics=services.topics(),
        chosen_topic=topic_id,
        chosen_status=raw_status if status else "",
        status_args={arg: STATUS_LABELS[code] for arg, code in STATUS_ARGS.items()},
        status_labels=STATUS_LABELS,
        list_args=args,
    )
    return html, 400 if errors else 200


@bp.post("/komentarze/<int:response_id>/<question_key>")
def triage(response_id: int, question_key: str) -> ResponseReturnValue:
    """Set one comment's status and topics (admins and analysts alike; a manager those of
    their departments' responses)."""
    if response_id > MAX_ID or len(question_key) > 64:
        abort(404)
    topic_ids = [bounded_int(raw, 1, MAX_ID) for raw in request.form.getlist(TOPIC_ARG)]
    anchor = f"komentarz-{response_id}-{question_key}"
    back = url_for(".index", _anchor=anchor, **_list_args())  # type: ignore[arg-type]
    try:
        if None in topic_ids:
            raise services.TriageError(
                "Nie ma takiego tematu na liście urzędu. Odśwież stronę i wybierz ponownie."
            )
        changed = services.triage(
            response_id,
            question_key,
            request.form.get("status", ""),
            [topic_id for topic_id in topic_ids if topic_id is not None],
            current_user.department_scope,
        )
    except services.UnknownComment:
        db.session.rollback()
        abort(404)
    except services.TriageError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back, 303)
    db.session.commit()
    if changed:
        flash(f"Zapisano stan i tematy komentarza do odpowiedzi nr {response_id}.", "success")
    return redirect(back, 303)


@bp.route("/komentarze/tematy", methods=["GET", "POST"])
def topics() -> ResponseReturnValue:
    """The office's topic list; admins add topics here."""
    status = 200
    typed = ""
    if request.method == "POST":
        _require_admin()
        typed = request.form.get("nazwa", "")
        try:
            topic = services.add_topic(typed)
        except services.TriageError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            status = 400
        else:
            db.session.commit()
            flash(f"Dodano temat „{topic.name}”.", "success")
            return redirect(url_for(".topics"), 303)
    html = render_template(
        "panel/comment_topics.html",
        topics=services.topics(),
        typed=typed[: TOPIC_NAME_LIMIT * 4],
        name_limit=TOPIC_NAME_LIMIT,
    )
    return html, status


def _topic_or_404(topic_id: int) -> CommentTopic:
    topic = services.topic_or_none(topic_id) if topic_id <= MAX_ID else None
    if topic is None:
        abort(404)
    return topic


@bp.post("/komentarze/tematy/<int:topic_id>")
def rename_topic(topic_id: int) -> ResponseReturnValue:
    """Rename a topic (admins)."""
    _require_admin()
    topic = _topic_or_404(topic_id)
    try:
        services.rename_topic(topic, request.form.get("nazwa", ""))
    except services.TriageError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Zapisano nazwę tematu „{topic.name}”.", "success")
    return redirect(url_for(".topics"), 303)


@bp.post("/komentarze/tematy/<int:topic_id>/usun")
def delete_topic(topic_id: int) -> ResponseReturnValue:
    """Delete a topic (admins); comments that had it lose it."""
    _require_admin()
    topic = _topic_or_404(topic_id)
    name = topic.name
    services.delete_topic(topic)
    db.session.commit()
    flash(f"Usunięto temat „{name}”.", "success")
    return redirect(url_for(".topics"), 303)


@bp.post("/konto/podsumowanie")
def digest_choice() -> ResponseReturnValue:
    """The signed-in member's own choice of the alerts digest."""
    raw = request.form.get("czestotliwosc", "")
    if raw not in (*FREQUENCIES, "none"):
        flash("Wybierz: codziennie, raz w tygodniu albo nie wysyłaj.", "error")
        return redirect(url_for("panel.account", _anchor="podsumowanie"), 303)
    frequency = None if raw == "none" else raw
    if digest.choose_frequency(current_user.id, frequency):
        db.session.commit()
        flash("Podsumowanie e-mail: " + FREQUENCY_LABELS.get(raw, "nie wysyłamy") + ".", "success")
    return redirect(url_for("panel.account", _anchor="podsumowanie"), 303)
