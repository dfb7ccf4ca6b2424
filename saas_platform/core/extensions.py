"""Extensions, created unbound here and bound in ``create_app``."""

from flask_babel import Babel
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from saas_platform.core.db import db

migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()

__all__ = ["babel", "csrf", "db", "migrate"]
