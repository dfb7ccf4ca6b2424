"""Outgoing mail: Flask-Mail over SMTP; with no MAIL_SERVER (embedded mode) it goes to the log."""

from __future__ import annotations

from flask import current_app
from flask_mail import Mail, Message

mail = Mail()


def send_mail(
    recipients: list[str],
    subject: str,
    body: str,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
) -> None:
    """Send one message now (call it from a task). Attachments: (filename, mime type, data)."""
    if not current_app.config.get("MAIL_SERVER"):
        current_app.logger.info(
            "mail (not sent, no MAIL_SERVER) to %s: %s\n%s", ", ".join(recipients), subject, body
        )
        return
    message = Message(subject=subject, recipients=recipients, body=body, html=html)
    for filename, mime_type, data in attachments:
        message.attach(filename, mime_type, data)
    mail.send(message)
