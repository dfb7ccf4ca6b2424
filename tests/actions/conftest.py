"""Fixtures of the action register: a valid form, and actions made through the services."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import db
from saas_platform.core.tenancy import current_tenant
from tenants.actions import services
from tenants.survey.models import Department


@pytest.fixture
def action_form():
    """Factory: a valid action form (field -> value or list of values)."""

    def make(**changes) -> dict:
        form = {
            "title": "Skrócić czas oczekiwania w Wydziale Komunikacji",
            "description": "Drugie stanowisko w godzinach szczytu.",
            "kind": "corrective",
            "item_keys": ["czas_oczekiwania", "szybkosc_obslugi"],
            "department_ids": [],
            "responsible_user_id": "",
            "responsible_text": "Naczelnik Wydziału Komunikacji",
            "planned_start": "2026-01-05",
            "due_date": "2026-03-31",
            "implemented_on": "",
            "status": "planned",
            "abandon_reason": "",
            "effect_window_days": "90",
        }
        form.update(changes)
        return form

    return make


@pytest.fixture
def make_action(in_office, action_form):
    """Factory: an action of ``office`` stored through the services; returns its id."""

    def make(office, **changes) -> int:
        with in_office(office):
            form = MultiDict()
            for name, value in action_form(**changes).items():
                if isinstance(value, list):
                    form.setlist(name, value)
                else:
                    form[name] = value
            check = services.check_action(form, current_tenant.today())
            assert check.values is not None, check.errors
            action = services.create_action(check.values, None)
            db.session.commit()
            return action.id

    return make


@pytest.fixture
def department_of(in_office):
    def get(office) -> int:
        with in_office(office):
            return db.session.scalars(select(Department.id).order_by(Department.id)).first()

    return get
