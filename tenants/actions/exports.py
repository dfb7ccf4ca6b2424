"""The action register as a spreadsheet (CSV and XLSX), written by the core's spreadsheet
helpers like every other export: formulas neutralised, XML-forbidden characters dropped.

One row per action; the linked items and departments are listed by name in one cell each, and
the notes are counted (the panel shows them). A register holds hundreds of rows, not
millions: it is read in one batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from saas_platform.core.spreadsheets import Cell, Export, neutralise
from tenants.actions import services
from tenants.actions.models import Action

HEADER = [
    "id",
    "tytuł",
    "opis",
    "rodzaj",
    "stan",
    "powód porzucenia",
    "pytania",
    "wydziały",
    "odpowiada",
    "planowany początek",
    "termin",
    "data wdrożenia",
    "po terminie",
    "okno porównania (dni)",
]


def register_export(today: date, scope: frozenset[int] | None = None) -> Export:
    """The office's whole register, open actions by due date first."""
    return Export(list(HEADER), _batches(services.register(scope=scope), today))


def _batches(actions: list[Action], today: date) -> Iterator[list[list[Cell]]]:
    items = services.rated_items()
    departments = services.office_departments()
    staff = services.office_staff()
    rows: list[list[Cell]] = []
    for action in actions:
        rows.append(
            [
                action.id,
                action.title,
                action.description,
                action.kind_label,
                action.status_label,
                action.abandon_reason,
                "; ".join(items.get(key, key) for key in action.item_keys),
                "; ".join(departments.get(d, f"wydział nr {d}") for d in action.department_ids),
                services.responsible_label(action, staff),
                action.planned_start,
                action.due_date,
                action.implemented_on,
                "tak" if action.is_overdue(today) else "nie",
                action.effect_window_days,
            ]
        )
    yield [[neutralise(cell) for cell in row] for row in rows]
