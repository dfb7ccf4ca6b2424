"""The application factory: the composition of the platform core and the office areas.

``create_app`` wires settings, the core's extensions and hooks, then lets every area register
itself (``init_app``: blueprints, menu entries, filters, request hooks, tasks, beat entries).
Only this layer (with the CLI, the operator console and the demo data) imports every area;
nothing imports it.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from werkzeug.exceptions import HTTPException

import tenants.accounts
import tenants.actions
import tenants.audit
import tenants.comments
import tenants.exports
import tenants.office
import tenants.outreach
import tenants.panel
import tenants.reports
import tenants.survey
from config import REPO_ROOT, load_settings
from saas_platform import operator, site
from saas_platform.commands import register_commands
from saas_platform.core import web
from saas_platform.core.db import ping_idle_connections, release_session
from saas_platform.core.extensions import babel, csrf, db, migrate
from saas_platform.core.mail import mail
from saas_platform.core.observability import init_observability
from saas_platform.core.security import init_security
from saas_platform.core.tasks import celery_init_app
from saas_platform.core.templating import init_templating
from saas_platform.core.tenancy.resolver import resolve_tenant
from tenants.actions.views import bp as action_staff_pages
from tenants.comments.views import bp as comment_staff_pages
from tenants.outreach.views import bp as outreach_staff_pages
from tenants.reports.views import bp as report_staff_pages
from tenants.survey.languages import current_language


def create_app(overrides: Mapping | None = None) -> Flask:
    """Build the app from the environment; ``overrides`` (tests) win over the environment."""
    app = Flask(
        __name__,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder="static",
        instance_path=str(REPO_ROOT / "instance"),
    )
    app.config.update(load_settings())
    if overrides:
        app.config.update(overrides)
    init_observability(app)

    db.init_app(app)
    app.teardown_appcontext(release_session)  # runs before Flask-SQLAlchemy's own teardown
    with app.app_context():  # creates the engine object; no connection is opened
        ping_idle_connections(db.engine, app.config["DB_IDLE_PING_SECONDS"])
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"))
    celery_init_app(app)  # before the areas, which add their tasks' beat entries

    # The hot path first: a cached blank survey is answered before the CSRF and rate-limit
    # hooks the extensions register (it fills its own token; the survey page has no limit).
    app.before_request(web.make_csp_nonce)
    tenants.survey.init_app(app)
    csrf.init_app(app)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(REPO_ROOT / "translations"))
    babel.init_app(app, locale_selector=current_language, default_locale="pl")
    mail.init_app(app)
    init_security(app)
    _import_models()
    init_templating(app)

    app.before_request(resolve_tenant)
    app.after_request(web.set_security_headers)
    app.register_error_handler(HTTPException, web.render_error)
    app.register_error_handler(Exception, web.render_server_error)

    app.add_url_rule("/", "index", site.site_index, methods=["GET", "POST"])
    # The survey checks its CSRF token itself, after the content type and encoding.
    csrf.exempt(site.site_index)
    app.add_url_rule("/dev/poczta", "dev_mailbox", site.dev_mailbox)
    app.register_blueprint(web.health)

    tenants.audit.init_app(app)
    tenants.accounts.init_app(app)
    tenants.office.init_app(app)
    tenants.reports.init_app(app)
    tenants.outreach.init_app(app)
    tenants.actions.init_app(app)
    tenants.comments.init_app(app)
    tenants.exports.init_app(app)
    tenants.panel.init_app(
        app,
        staff_pages=(
            report_staff_pages,
            outreach_staff_pages,
            action_staff_pages,
            comment_staff_pages,
        ),
    )
    operator.init_app(app)
    register_commands(app)
    return app


def _import_models() -> None:
    """Every model module, so that metadata (and Alembic's autogenerate) sees all tables."""
    import tenants.accounts.models
    import tenants.actions.models
    import tenants.audit.models
    import tenants.comments.models
    import tenants.exports.models
    import tenants.reports.models
    import tenants.survey.models  # noqa: F401
