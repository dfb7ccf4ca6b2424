"""Responses to check (flagged automatically) and kiosk devices."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from saas_platform.core.db import db
from saas_platform.core.text import RefusedCharacter, refusal_message
from tenants.outreach.qr import qr_data_uri
from tenants.panel.blueprint import admin_required, bp, whole_office_required
from tenants.survey import moderation
from tenants.survey.kiosk import create_kiosk, kiosks, revoke_kiosk
from tenants.survey.models import KioskDevice

DECISIONS = {
    "wyklucz": (moderation.exclude_response, "Odpowiedź wyłączono z wyników."),
    "zostaw": (moderation.keep_response, "Odpowiedź zostaje w wynikach."),
    "przywroc": (moderation.restore_response, "Odpowiedź przywrócono do wyników."),
}


@bp.get("/do-sprawdzenia", endpoint="moderation")
@whole_office_required
def moderation_list():
    """Flagged responses waiting for a decision, and the excluded ones (analysts may look)."""
    return render_template(
        "panel/moderation.html",
        flagged=moderation.flagged_responses(),
        excluded=moderation.excluded_responses(),
    )


@bp.post("/do-sprawdzenia/<int:response_id>")
@admin_required
def moderation_decide(response_id: int):
    """Exclude, keep or restore one response; the counts follow in the same transaction."""
    decision = DECISIONS.get(request.form.get("decyzja", ""))
    if decision is None:
        abort(400, description="Nieznana decyzja.")
    act, message = decision
    try:
        act(response_id)
    except moderation.ModerationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("panel.moderation"))


@bp.route("/kioski", methods=["GET", "POST"], endpoint="kiosks")
@admin_required
def kiosk_list():
    """Kiosk devices; a new one's link is shown once, right after it is made, as text, as a QR
    code to scan with the tablet and on a printable setup sheet (the print stylesheet prints
    only the sheet)."""
    new_link = new_name = None
    if request.method == "POST":
        name = (request.form.get("nazwa") or "").strip()
        if not name:
            flash("Podaj nazwę kiosku, np. „Tablet w Biurze Obsługi”.", "error")
        else:
            try:
                device, token = create_kiosk(name)
            except RefusedCharacter as refused:
                flash(refusal_message("Nazwa kiosku", refused.character), "error")
            else:
                db.session.commit()
                new_link = url_for("index", kanal="kiosk", kiosk=token, _external=True)
                new_name = device.name
    return render_template(
        "panel/kiosks.html",
        devices=kiosks(),
        new_link=new_link,
        new_name=new_name,
        new_qr=qr_data_uri(new_link) if new_link else None,
    )


@bp.post("/kioski/<int:device_id>/wylacz")
@admin_required
def kiosk_revoke(device_id: int):
    """The kiosk's link stops counting as a kiosk."""
    device = db.session.get(KioskDevice, device_id)
    if device is None:
        abort(404)
    revoke_kiosk(device)
    db.session.commit()
    flash(f"Wyłączono kiosk „{device.name}”.", "success")
    return redirect(url_for("panel.kiosks"))
