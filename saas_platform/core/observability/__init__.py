"""Running it in production: structured logs, Prometheus metrics, the one trusted proxy hop."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from saas_platform.core.observability.logs import init_logging
from saas_platform.core.observability.metrics import init_metrics


def init_observability(app: Flask) -> None:
    """Logs and metrics for every request; ProxyFix when a proxy (nginx) is in front."""
    init_logging(app)
    init_metrics(app)
    if app.config["PROXY_FIX"]:
        # Exactly one hop: nginx sets these headers; anything a client sent is behind them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
