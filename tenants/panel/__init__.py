"""The staff UI: login, dashboard, responses and exports, paper entry, moderation, the
office's data, departments and survey editor, staff accounts, the audit log and the manual.

Views and forms only: the rules live in the areas the views call (accounts, audit, survey,
office, reports, exports). Nothing but the composition imports the panel.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Blueprint, Flask

from saas_platform.core.navigation import MenuGroup, add_menu_entry, grouped_menu_for
from saas_platform.core.security import login_manager

if TYPE_CHECKING:
    from tenants.accounts.models import StaffUser

# The panel's own pages in the staff menu: (endpoint, label, position, group, admin only).
# Other areas add theirs (reports at 30, actions at 35, the banner kit at 65) from their own
# ``init_app``. A group stands where its lowest position puts it. The pages of
# ``WHOLE_OFFICE_PAGES`` are not for a department manager (``whole_office_required``).
MENU = (
    ("dashboard", "Wyniki", 0, "Wyniki", False),
    ("responses", "Odpowiedzi", 10, "Odpowiedzi", False),
    ("moderation", "Do sprawdzenia", 20, "Odpowiedzi", False),
    ("paper_entry", "Ankieta papierowa", 25, "Odpowiedzi", False),
    ("survey_editor", "Ankieta", 60, "Ankieta", False),
    ("kiosks", "Kioski", 68, "Ankieta", True),
    ("office_details", "Dane urzędu", 70, "Urząd", True),
    ("statements_page", "Deklaracje i RODO", 75, "Urząd", True),
    ("departments", "Wydziały", 80, "Urząd", True),
    ("staff_list", "Użytkownicy", 100, "Urząd", True),
    ("audit_log", "Dziennik zmian", 110, "Urząd", True),
    ("manual_page", "Instrukcja", 120, "Pomoc", False),
)

# Non-admin pages of the whole office's responses, one by one: a department manager gets a 403
# there (the flagged responses of every department; paper forms of any department).
WHOLE_OFFICE_PAGES = frozenset({"moderation", "paper_entry"})

_nested: set[str] = set()


def init_app(app: Flask, staff_pages: Iterable[Blueprint] = ()) -> None:
    """Mount the panel at ``/panel/`` with other areas' ``staff_pages`` blueprints inside it,
    so the staff guard covers them too, and render the staff menu."""
    from tenants.panel import (  # noqa: F401 - the modules attach their routes to the blueprint
        account_views,
        admin_views,
        manual_views,
        moderation_views,
        office_views,
        paper_views,
        response_views,
        results_views,
        statement_views,
        survey_views,
        views,
    )
    from tenants.panel.blueprint import bp

    for pages in staff_pages:
        # A blueprint cannot change once registered: nest each one once per process.
        if pages.name not in _nested:
            bp.register_blueprint(pages)
            _nested.add(pages.name)
    app.register_blueprint(bp)
    login_manager.login_view = "panel.login"
    for endpoint, label, position, group, admin_only in MENU:
        add_menu_entry(
            app,
            bp,
            endpoint,
            label,
            position=position,
            group=group,
            admin_only=admin_only,
            whole_office_only=endpoint in WHOLE_OFFICE_PAGES,
        )

    @app.context_processor
    def _staff_menu() -> dict[str, object]:
        def panel_menu(user: StaffUser) -> list[MenuGroup]:
            return grouped_menu_for(app, user.is_admin, user.department_scope is None)

        return {"panel_menu": panel_menu, "incomplete_notices": incomplete_notices}


def incomplete_notices() -> list[str]:
    """The residents' legal pages the office has not completed yet (the panel reminds its
    admins on every page): their names, in Polish."""
    from saas_platform.core.tenancy import current_tenant
    from tenants.survey import statement

    tenant = current_tenant._get_current_object()
    if tenant is None:  # the panel's pages are only ever on an office's host
        return []
    pages = []
    if statement.missing_statement_parts(tenant):
        pages.append("deklaracja dostępności")
    if statement.missing_privacy_parts(tenant):
        pages.append("informacja o ochronie danych")
    return pages
