"""The staff menu, filled by the areas.

An area adds its staff pages to the menu from its ``init_app``, naming its own blueprint and
an endpoint inside it; it does not need to know where the composition mounts that blueprint
(the panel nests the other areas' staff blueprints under ``/panel/``). The panel renders the
menu with ``menu_for``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask

_EXTENSION = "staff_menu"


@dataclass(frozen=True)
class MenuEntry:
    """One link of the staff menu: ``endpoint`` inside ``blueprint``, shown at ``position``."""

    blueprint: Blueprint
    endpoint: str
    label: str
    position: int
    admin_only: bool = False


def add_menu_entry(
    app: Flask,
    blueprint: Blueprint,
    endpoint: str,
    label: str,
    *,
    position: int,
    admin_only: bool = False,
) -> None:
    """Put a link to ``blueprint``'s ``endpoint`` in the staff menu (lower positions first)."""
    entries: list[MenuEntry] = app.extensions.setdefault(_EXTENSION, [])
    entries.append(MenuEntry(blueprint, endpoint, label, position, admin_only))
    entries.sort(key=lambda entry: entry.position)


def menu_for(app: Flask, is_admin: bool) -> list[tuple[str, str]]:
    """(full endpoint, label) of the links a staff member with this role sees, in order."""
    mounted = {id(blueprint): name for name, blueprint in app.blueprints.items()}
    return [
        (f"{mounted[id(entry.blueprint)]}.{entry.endpoint}", entry.label)
        for entry in app.extensions.get(_EXTENSION, [])
        if is_admin or not entry.admin_only
    ]
