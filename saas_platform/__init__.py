"""The platform, in two layers.

- ``saas_platform.core``: the bottom layer. The database base classes, tenancy, security
  primitives, mail, templating, background tasks, the staff menu registry and observability.
  It knows no office feature (no ``tenants.*`` import, not even inside a function).
- The modules beside it are the top layer, the composition: the app factory (``app``), the
  CLI (``cli``, ``commands``, ``operations``), onboarding, the operator console (``operator``),
  the demo data and the root of every host (``site``). They may import every area under
  ``tenants``; nothing imports them but the worker entry point (``workers``).

``pyproject.toml``'s import-linter contracts keep it so; ``docs/architecture.md`` tells why.
"""
