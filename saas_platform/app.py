"""The application factory: wires settings, extensions, tenancy and blueprints, nothing more."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from werkzeug.exceptions import HTTPException

from config import REPO_ROOT, load_settings
from saas_platform import site
from saas_platform.commands import register_commands
from saas_platform.db import ping_idle_connections, release_session
from saas_platform.extensions import babel, csrf, db, migrate
from saas_platform.mail import mail
from saas_platform.observability import init_observability
from saas_platform.security import init_security
from saas_platform.templating import init_templating
from saas_platform.tenancy.resolver import resolve_tenant
from workers.celery_app import celery_init_app


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

    from tenants.survey.views import serve_cached_survey_page

    # The hot path first: a cached blank survey is answered before the CSRF and rate-limit
    # hooks the extensions register (it fills its own token; the survey page has no limit).
    app.before_request(site.make_csp_nonce)
    app.before_request(serve_cached_survey_page)
    csrf.init_app(app)
    from tenants.survey.languages import current_language

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(REPO_ROOT / "translations"))
    babel.init_app(app, locale_selector=current_language, default_locale="pl")
    app.jinja_env.globals["current_language"] = current_language
    mail.init_app(app)
    init_security(app)
    celery_init_app(app)
    _import_models()
    init_templating(app)

    app.before_request(resolve_tenant)
    app.after_request(site.set_security_headers)
    app.register_error_handler(HTTPException, site.render_error)
    app.register_error_handler(Exception, site.render_server_error)

    app.add_url_rule("/", "index", site.site_index, methods=["GET", "POST"])
    # The survey checks its CSRF token itself, after the content type and encoding.
    csrf.exempt(site.site_index)
    app.register_blueprint(site.health)

    from saas_platform.operator.views import bp as operator_bp
    from tenants.outreach.views import public as banner_bp
    from tenants.panel import (  # noqa: F401 - routes
        account_views,
        admin_views,
        manual_views,
        moderation_views,
        office_views,
        paper_views,
        response_views,
        survey_views,
        views,
    )
    from tenants.panel.audit import action_label
    from tenants.panel.blueprint import bp as panel_bp
    from tenants.reports import views as report_views  # noqa: F401 - routes
    from tenants.survey import tasks as survey_tasks  # noqa: F401 - Celery tasks
    from tenants.survey.views import bp as survey_bp

    app.register_blueprint(survey_bp)
    app.register_blueprint(panel_bp)
    app.register_blueprint(operator_bp)
    app.register_blueprint(banner_bp)
    app.jinja_env.filters["audit_action"] = action_label
    register_commands(app)
    return app


def _import_models() -> None:
    """Every model module, so that metadata (and Alembic's autogenerate) sees all tables."""
    import saas_platform.operator.models
    import saas_platform.tenancy.models  # noqa: F401
    import tenants.panel.models
    import tenants.reports.models
    import tenants.survey.models  # noqa: F401
