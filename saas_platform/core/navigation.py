"""The staff menu, filled by the areas.

An area adds its staff pages to the menu from its ``init_app``, naming its own blueprint, an
endpoint inside it and the group of the menu the link belongs to ("Wyniki", "Odpowiedzi",
"Urząd", ...); it does not need to know where the composition mounts that blueprint (the panel
nests the other areas' staff blueprints under ``/panel/``). The panel renders the menu, group
by group, with ``grouped_menu_for``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask

_EXTENSION = "staff_menu"


@dataclass(frozen=True)
class MenuEntry:
    """One link of the staff menu: ``endpoint`` inside ``blueprint``, shown in ``group`` at
    ``position``."""

    blueprint: Blueprint
    endpoint: str
    label: str
    position: int
    group: str
    admin_only: bool = False
    # A page about the whole office's data (say, every flagged response), which a member who
    # reads only part of the office (a department manager) cannot use.
    whole_office_only: bool = False


@dataclass(frozen=True)
class MenuLink:
    """A link as the menu shows it: the full endpoint and its label."""

    endpoint: str
    label: str


@dataclass(frozen=True)
class MenuGroup:
    """A group of the staff menu with the links a staff member sees in it, in order."""

    name: str
    links: tuple[MenuLink, ...]


def add_menu_entry(
    app: Flask,
    blueprint: Blueprint,
    endpoint: str,
    label: str,
    *,
    position: int,
    group: str,
    admin_only: bool = False,
    whole_office_only: bool = False,
) -> None:
    """Put a link to ``blueprint``'s ``endpoint`` in the staff menu's ``group`` (lower
    positions first; a group stands where its lowest position puts it)."""
    entries: list[MenuEntry] = app.extensions.setdefault(_EXTENSION, [])
    entries.append(
        MenuEntry(blueprint, endpoint, label, position, group, admin_only, whole_office_only)
    )
    entries.sort(key=lambda entry: entry.position)


def menu_for(app: Flask, is_admin: bool, whole_office: bool = True) -> list[tuple[str, str]]:
    """(full endpoint, label) of the links a staff member with this role sees, in order."""
    return [
        (link.endpoint, link.label)
        for group in grouped_menu_for(app, is_admin, whole_office)
        for link in group.links
    ]


def grouped_menu_for(app: Flask, is_admin: bool, whole_office: bool = True) -> list[MenuGroup]:
    """The groups of links a staff member with this role sees (``whole_office`` False: one who
    reads only part of the office, without the ``whole_office_only`` links): each group where
    its first link's position puts it, the links in position order; a group with no visible
    link is left out."""
    mounted = {id(blueprint): name for name, blueprint in app.blueprints.items()}
    groups: dict[str, list[MenuLink]] = {}
    for entry in app.extensions.get(_EXTENSION, []):  # sorted by position
        if (is_admin or not entry.admin_only) and (whole_office or not entry.whole_office_only):
            link = MenuLink(f"{mounted[id(entry.blueprint)]}.{entry.endpoint}", entry.label)
            groups.setdefault(entry.group, []).append(link)
    return [MenuGroup(name, tuple(links)) for name, links in groups.items()]
