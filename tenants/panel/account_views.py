"""Signing in and out, one-time links (invitation, password reset) and the own account."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from saas_platform.core.db import db, utcnow
from saas_platform.core.dispatch import enqueue
from saas_platform.core.security import known_device, limiter, remember_device, verify_password
from saas_platform.core.tenancy import current_tenant_id
from tenants.accounts import services as staff
from tenants.accounts.tasks import send_staff_link
from tenants.comments.digest import frequency_of
from tenants.panel.blueprint import bp, safe_next
from tenants.panel.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, NewPasswordForm

TOO_MANY_LOGINS = "Zbyt wiele nieudanych prób logowania. Odczekaj kilka minut i spróbuj ponownie."


def _account() -> str:
    """The account a login form names: this office and the e-mail address typed."""
    email = (request.form.get("email") or "").strip().lower()[:254]
    return f"{current_tenant_id()}:{email}"


def _device() -> str | None:
    """The nonce of this browser's device cookie for the account named, if it has one."""
    if "login_device" not in g:
        g.login_device = known_device(_account())
    return g.login_device


def _failed(response) -> bool:
    return response.status_code == 401


# Failed logins count three ways: per client address; per account from browsers it never signed
# in from (so an attacker's guesses, from however many addresses, lock out only unknown
# browsers); and per device cookie for a browser it did sign in from, which keeps its own
# allowance (OWASP, "Slow Down Online Guessing Attacks with Device Cookies").
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    "20 per 10 minutes", methods=["POST"], deduct_when=_failed, error_message=TOO_MANY_LOGINS
)
@limiter.limit(
    "5 per 10 minutes",
    key_func=lambda: f"login:{_account()}",
    exempt_when=lambda: _device() is not None,
    methods=["POST"],
    deduct_when=_failed,
    error_message=TOO_MANY_LOGINS,
)
@limiter.limit(
    "5 per 10 minutes",
    key_func=lambda: f"login-device:{_account()}:{_device()}",
    exempt_when=lambda: _device() is None,
    methods=["POST"],
    deduct_when=_failed,
    error_message=TOO_MANY_LOGINS,
)
def login():
    """Staff of this office sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(url_for("panel.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = staff.find_by_email(form.email.data)
        # The hash is checked even for an unknown address, so timing tells nothing.
        matches = verify_password(user.password_hash if user else None, form.password.data)
        if matches and user.is_active:
            user.last_login_at = utcnow()
            db.session.commit()
            login_user(user)
            response = redirect(safe_next(request.args.get("next")))
            remember_device(response, _account(), url_for("panel.login"))
            return response
        form.password.errors.append("Nieprawidłowy adres e-mail lub hasło.")
        return render_template("panel/login.html", form=form), 401
    return render_template("panel/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout():
    """End this session on the server, not just in this browser: a copy of its cookie opens
    nothing afterwards (nor do the account's sessions on other devices)."""
    staff.end_sessions(current_user)
    db.session.commit()
    logout_user()
    flash("Wylogowano.", "info")
    return redirect(url_for("panel.login"))


@bp.post("/konto/wyloguj-wszedzie")
def sign_out_everywhere():
    """End every session of the account, on every device, this one too (audited)."""
    staff.sign_out_everywhere(current_user)
    db.session.commit()
    logout_user()
    flash("Wylogowano ze wszystkich urządzeń. Zaloguj się ponownie.", "info")
    return redirect(url_for("panel.login"))


@bp.route("/przypomnij-haslo", methods=["GET", "POST"])
@limiter.limit("5 per 10 minutes", methods=["POST"])
def forgot_password():
    """Ask for a password-reset link; the answer is the same whether the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = staff.find_by_email(form.email.data)
        if user is not None and user.is_active:
            link = staff.issue_link(user, "password_reset")
            db.session.commit()
            enqueue(send_staff_link, token_id=link.token_id, tenant_id=user.tenant_id)
        return render_template("panel/forgot_sent.html")
    return render_template("panel/forgot.html", form=form)


@bp.route("/haslo/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Set a password through an invitation or reset link (single use, expiring)."""
    link = staff.open_link(token)
    if link is None:
        abort(404, description="Ten link wygasł albo został już użyty. Poproś o nowy.")
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = staff.use_link(link, form.password.data)
        except staff.StaffError as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            login_user(user)
            flash("Hasło zostało ustawione. Witamy w panelu!", "success")
            return redirect(url_for("panel.dashboard"))
    return render_template("panel/set_password.html", form=form, purpose=link.purpose)


@bp.route("/konto", methods=["GET", "POST"])
def account():
    """Change one's own password; every other session of the account ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors.append("Obecne hasło jest nieprawidłowe.")
        else:
            try:
                staff.change_password(current_user, form.password.data)
            except staff.StaffError as exc:
                form.password.errors.append(str(exc))
            else:
                db.session.commit()
                login_user(current_user)  # this session continues with the new version
                flash(
                    "Hasło zostało zmienione. Inne sesje tego konta zostały zakończone.", "success"
                )
                return redirect(url_for("panel.account"))
    return render_template(
        "panel/account.html", form=form, digest_frequency=frequency_of(current_user.id) or "none"
    )
