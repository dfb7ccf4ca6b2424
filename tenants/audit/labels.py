"""The Polish names of audit actions, which the audit log pages show.

Each area registers the actions it records (``register_labels``, from its ``init_app``), so
the audit area knows no other area; an action nobody named shows as its code.
"""

from __future__ import annotations

from collections.abc import Mapping

_LABELS: dict[str, str] = {}


def register_labels(labels: Mapping[str, str]) -> None:
    """Name these actions; naming one action twice differently is a programming error."""
    for action, label in labels.items():
        known = _LABELS.setdefault(action, label)
        if known != label:
            raise ValueError(f"audit action {action!r} is already named {known!r}")


def action_label(action: str) -> str:
    """The Polish name of an audit action (the code itself when it has none)."""
    return _LABELS.get(action, action)
