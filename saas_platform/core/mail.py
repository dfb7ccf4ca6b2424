"""Outgoing mail: Flask-Mail over SMTP; with no MAIL_SERVER (embedded mode) it goes to the log.

In the embedded mode every message is also kept in a small file (``DEV_MAILBOX``, the newest
``KEPT_MESSAGES``), which ``/dev/poczta`` on the apex lists: a newcomer opens an invitation link
there. Production has no ``DEV_MAILBOX``, so nothing is kept. A file, not memory, because the
command line (``satysfakcja staff invite``) sends mail from a process of its own.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from flask import current_app
from flask_mail import Mail, Message

from saas_platform.core.db import utcnow

mail = Mail()
KEPT_MESSAGES = 50


def _keep(path: Path, recipients: list[str], subject: str, body: str) -> None:
    """Add one message to the kept mail, dropping the oldest beyond ``KEPT_MESSAGES``; a lock
    file keeps two processes from losing each other's message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        messages = _read(path)
        messages.append(
            {"at": utcnow().isoformat(), "to": recipients, "subject": subject, "body": body}
        )
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(messages[-KEPT_MESSAGES:], out, ensure_ascii=False)
        os.replace(temporary, path)


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        messages = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return []
    return messages if isinstance(messages, list) else []


def kept_mail() -> list[dict[str, Any]] | None:
    """The kept messages, newest first; None when this instance keeps none (production)."""
    path = current_app.config.get("DEV_MAILBOX")
    if not path or current_app.config.get("APP_ENV") == "production":
        return None
    return list(reversed(_read(Path(path))))


def send_mail(
    recipients: list[str],
    subject: str,
    body: str,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
) -> None:
    """Send one message now (call it from a task). Attachments: (filename, mime type, data)."""
    kept = current_app.config.get("DEV_MAILBOX")
    if kept and current_app.config.get("APP_ENV") != "production":
        _keep(Path(kept), recipients, subject, body)
    if not current_app.config.get("MAIL_SERVER"):
        current_app.logger.info(
            "mail (not sent, no MAIL_SERVER) to %s: %s\n%s", ", ".join(recipients), subject, body
        )
        return
    message = Message(subject=subject, recipients=recipients, body=body, html=html)
    for filename, mime_type, data in attachments:
        message.attach(filename, mime_type, data)
    mail.send(message)
