"""The office's audit log: who changed what and when, with the values before and after.

A leaf area: other areas call ``services.record`` inside their own transactions and name their
actions with ``labels.register_labels``; the audit log knows none of them.
"""

from __future__ import annotations

from flask import Flask

from tenants.audit.labels import action_label


def init_app(app: Flask) -> None:
    """The ``audit_action`` filter that names an action in the log pages."""
    app.jinja_env.filters["audit_action"] = action_label
