"""The audit log names every action it records in Polish, and the areas name their own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tenants.audit import labels

REPO = Path(__file__).resolve().parents[2]
# audit.record("office.update", ...) and audit.record(f"staff.{token.purpose}.used", ...)
RECORDED = re.compile(r'audit\.record\(\s*f?"([a-z_.{}]+)"')
TOKEN_PURPOSES = ("invitation", "password_reset")


def _recorded_actions() -> set[str]:
    actions = set()
    for source in (REPO / "tenants").rglob("*.py"):
        for action in RECORDED.findall(source.read_text()):
            if "{token.purpose}" in action:
                actions.update(action.replace("{token.purpose}", p) for p in TOKEN_PURPOSES)
            else:
                actions.add(action)
    return actions


def test_every_action_the_areas_record_has_a_polish_label(app):
    recorded = _recorded_actions()
    assert "office.update" in recorded and "staff.invitation.used" in recorded
    unnamed = sorted(a for a in recorded if labels.action_label(a) == a)
    assert unnamed == []


def test_an_action_nobody_named_shows_as_its_code():
    assert labels.action_label("nobody.named.this") == "nobody.named.this"


def test_naming_an_action_twice_differently_is_refused(app):
    labels.register_labels({"report.retry": labels.action_label("report.retry")})  # same: fine
    with pytest.raises(ValueError, match=r"report\.retry"):
        labels.register_labels({"report.retry": "Coś innego"})
