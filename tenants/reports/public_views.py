"""The public "Wyniki i zmiany" page on the office's survey site: off unless the office opts
in (404 then, as for an unknown page), no JavaScript, in the resident's language where the
survey's texts exist."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from saas_platform.core.tenancy import current_tenant
from saas_platform.core.tenancy.resolver import require_tenant_site
from tenants.reports.public import live_version, public_results
from tenants.survey.languages import use_language

bp = Blueprint("results", __name__)
bp.before_request(require_tenant_site)


@bp.get("/wyniki", endpoint="page")
def results_page() -> ResponseReturnValue:
    """The index by year, the areas and the published completed actions."""
    tenant = current_tenant._get_current_object()
    if tenant is None or not (tenant.public_results and tenant.is_active):
        abort(404)
    version = live_version()
    if version is None:
        abort(404)
    localized = version.localized(use_language(version))
    return render_template(
        "survey/results.html",
        results=public_results(tenant, localized, tenant.today()),
        version=localized,
    )
