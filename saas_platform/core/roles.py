"""How an operator sets up PostgreSQL: an owner role that runs migrations and owns the tables,
and an application role that is neither superuser nor owner, so row-level security binds it.

``satysfakcja db roles`` prints this SQL; the test fixtures execute the very same statements.
"""

from __future__ import annotations

import re

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def role_setup_sql(
    owner: str,
    app: str,
    database: str,
    owner_password: str | None = None,
    app_password: str | None = None,
) -> list[str]:
    """Statements to run as a superuser: the two roles, the database, default privileges.

    The last three statements must run connected to ``database``.
    """
    for name in (owner, app, database):
        if not IDENTIFIER.match(name):
            raise ValueError(f"not a plain PostgreSQL identifier: {name!r}")

    def password(value: str | None) -> str:
        return "" if value is None else " PASSWORD '" + value.replace("'", "''") + "'"

    return [
        f"CREATE ROLE {owner} LOGIN{password(owner_password)}",
        f"CREATE ROLE {app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
        f"{password(app_password)}",
        f"CREATE DATABASE {database} OWNER {owner} ENCODING 'UTF8' TEMPLATE template0",
        # -- connected to the new database from here on --
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        f"GRANT USAGE ON SCHEMA public TO {app}",
        # The app's statements are short; JIT compilation costs them more than it saves.
        f"ALTER ROLE {app} IN DATABASE {database} SET jit = off",
    ]


DATABASE_LEVEL_STATEMENTS = 3  # how many of the statements above run in the server's database
