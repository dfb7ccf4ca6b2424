"""Running it in production: structured logs, Prometheus metrics, the trusted proxy hops."""

from __future__ import annotations

from flask import Flask

from config import trusted_proxies
from saas_platform.core.observability.logs import init_logging
from saas_platform.core.observability.metrics import init_metrics
from saas_platform.core.observability.proxy import TrustedProxyFix


def init_observability(app: Flask) -> None:
    """Logs and metrics for every request; ProxyFix when a proxy (nginx) is in front."""
    init_logging(app)
    init_metrics(app)
    hops = app.config["PROXY_FIX_HOPS"]
    # Checked here too: tests and scripts may hand create_app settings load_settings never saw.
    trusted = trusted_proxies(hops, app.config["FORWARDED_ALLOW_IPS"])
    if hops:
        # nginx sets these headers; anything a client sent is behind them.
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, hops, trusted)
