"""The ``satysfakcja`` console script: Flask's CLI bound to the platform's app factory.

The commands themselves live in ``saas_platform.commands`` and are registered by
``create_app``, so ``flask --app saas_platform.app`` knows them too.
"""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from config import ConfigurationError
from saas_platform.app import create_app
from saas_platform.operations import config_group


def _create_app():
    try:
        return create_app()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Customer-satisfaction surveys for municipal offices: platform administration."""


# Needs no app: it must be able to report what keeps the app from starting.
main.add_command(config_group)
