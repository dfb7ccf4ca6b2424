"""Which proxy's X-Forwarded-* headers the app believes: ``PROXY_FIX_HOPS`` of them, and only
on connections from ``FORWARDED_ALLOW_IPS`` (the same list gunicorn reads)."""

from __future__ import annotations

import ipaddress
import logging

from werkzeug.middleware.proxy_fix import ProxyFix

from config import Network

logger = logging.getLogger(__name__)

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


class TrustedProxyFix:
    """ProxyFix for requests that come from a trusted proxy; anyone else who reaches the app
    directly (gunicorn bound wider than it should be) is taken at their own address."""

    def __init__(self, app, hops: int, trusted: tuple[Network, ...] | None):
        self.app = app
        self.proxied = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops)
        self.trusted = trusted  # None: every peer (FORWARDED_ALLOW_IPS=*)
        self._warned = False

    def _from_trusted_proxy(self, peer: str | None) -> bool:
        if self.trusted is None:
            return True
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:  # a UNIX socket: only the proxy on this machine can open it
            return True
        return any(address in network for network in self.trusted)

    def __call__(self, environ, start_response):
        if self._from_trusted_proxy(environ.get("REMOTE_ADDR")):
            return self.proxied(environ, start_response)
        if not self._warned and any(name in environ for name in FORWARDED_HEADERS):
            # Once per process: a proxy missing from FORWARDED_ALLOW_IPS makes every resident
            # look like the proxy (one shared rate limit), which must not go unnoticed.
            self._warned = True
            logger.warning(
                "forwarded headers from %s ignored: not in FORWARDED_ALLOW_IPS",
                environ.get("REMOTE_ADDR"),
            )
        return self.app(environ, start_response)
