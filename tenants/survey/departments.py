"""The office's departments (wydziały) as the survey and the staff pages read them.

Changes to departments are admin work with its audit and pre-change report: see
``tenants.office.services``.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from saas_platform.core.db import db
from tenants.survey.models import Department, Response


def active_departments() -> list[Department]:
    """The current office's departments a resident can pick, in display order."""
    return list(
        db.session.scalars(
            select(Department)
            .where(Department.is_active.is_(True))
            .order_by(Department.position, Department.name)
        )
    )


def all_departments() -> list[Department]:
    """Every department of the current office, active or not, in display order."""
    return list(
        db.session.scalars(select(Department).order_by(Department.position, Department.name))
    )


INACTIVE_MARK = " (nieaktywny)"


def department_labels(within: frozenset[int] | None = None) -> dict[int, str]:
    """Every department of the current office (or those ``within`` a set of ids), active or
    not, in display order: id -> name as a choice shows it, an inactive one marked."""
    query = select(Department.id, Department.name, Department.is_active).order_by(
        Department.position, Department.name
    )
    if within is not None:
        query = query.where(Department.id.in_(sorted(within)))
    return {
        i: name if active else f"{name}{INACTIVE_MARK}"
        for i, name, active in db.session.execute(query)
    }


def department_or_none(department_id: int) -> Department | None:
    """The current office's department with this id (another office's is never found)."""
    return db.session.scalar(select(Department).where(Department.id == department_id))


def department_has_responses(department_id: int) -> bool:
    """Whether any response names this department (then it is kept, never deleted)."""
    return bool(db.session.scalar(select(exists().where(Response.department_id == department_id))))


def departments_with_responses() -> set[int]:
    """Ids of the current office's departments that some response names."""
    named = select(Response.department_id).where(Response.department_id == Department.id)
    return set(db.session.scalars(select(Department.id).where(exists(named))))
