"""What staff do with residents' comments and bad news (issue #17 items 7 and 8): the office's
topic list, each comment's topics and status ("nowy", "przeczytany", "przekazany",
"wyjaśniony"), the topic counts on the dashboard and in the reports' appendix, and the alerts
digest a member may opt in to (daily or weekly e-mail: new comments, new responses rated 1–2
overall, items that crossed the office's threshold).

Imports the survey (comments are its open-text answers; the counts' scores), actions (the
rated items), accounts and audit; knows no staff page, report, office admin page or outreach.
Its staff pages are a blueprint the composition mounts under the panel; the panel and the
reports import it, never the reverse.
"""

from __future__ import annotations

from celery.schedules import crontab
from flask import Flask

from saas_platform.core.navigation import add_menu_entry
from saas_platform.core.tasks import add_beat_entry
from tenants.audit.labels import register_labels
from tenants.audit.naming import register_fields, register_object_type

AUDIT_LABELS = {
    "comment.triage": "Stan i tematy komentarza",
    "comment_topic.create": "Dodanie tematu komentarzy",
    "comment_topic.rename": "Zmiana nazwy tematu komentarzy",
    "comment_topic.delete": "Usunięcie tematu komentarzy",
    "alert_digest.change": "Zmiana podsumowania e-mail",
}
AUDIT_FIELDS = {
    "comment_status": "stan komentarza",
    "topics": "tematy",
    "comments": "komentarze z tym tematem",
    "digest": "podsumowanie e-mail",
}


def init_app(app: Flask) -> None:
    """The comments' menu entry, the digest task with its beat entry, the dashboard's and the
    account page's template helpers, audit labels."""
    from tenants.comments import tasks
    from tenants.comments.views import bp

    add_menu_entry(app, bp, "index", "Komentarze", position=15, group="Odpowiedzi")
    add_beat_entry(
        app,
        "send-alert-digests",
        tasks.send_alert_digests,
        crontab(hour=app.config["ALERT_DIGEST_HOUR"], minute=45),
    )
    register_labels(AUDIT_LABELS)
    register_fields(AUDIT_FIELDS)
    register_object_type("comment_topic", "temat komentarzy", _topic_names)


def _topic_names(ids: set[int]) -> dict[int, str]:
    from sqlalchemy import select

    from saas_platform.core.db import db
    from tenants.comments.models import CommentTopic

    rows = db.session.execute(
        select(CommentTopic.id, CommentTopic.name).where(CommentTopic.id.in_(ids))
    )
    return {topic_id: f"temat komentarzy „{name}”" for topic_id, name in rows}
