"""Reaching residents: the "Oceń Urząd" banner kit, QR codes and posters for the office.

The banner images are public (town websites embed them); the kit is a staff page in a
blueprint the composition mounts under the panel.
"""

from __future__ import annotations

from flask import Flask

from saas_platform.core.navigation import add_menu_entry


def init_app(app: Flask) -> None:
    """The public banner images and the kit's menu entry."""
    from tenants.outreach.views import bp, public

    app.register_blueprint(public)
    add_menu_entry(app, bp, "banner_kit", "Baner i kody QR", position=65, group="Ankieta")
