"""Department names unique in an office regardless of case: a unique index on
``(tenant_id, lower(name))`` replaces the case-sensitive unique constraint, so two admins adding
"Straż Miejska" and "straż miejska" at the same moment cannot both succeed (the service already
compared case-insensitively, but only the check, not the database).

Departments whose names already differ only in case are not renamed here (residents and past
reports know them by name): the upgrade stops, listing each office and its clashing names, and
an admin renames, merges or deletes one of each pair in the panel (Wydziały) before the upgrade
runs again. On SQLite (the embedded mode) ``lower`` folds ASCII letters only.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

INDEX = "uq_departments_tenant_id_lower_name"
OLD_CONSTRAINT = "uq_departments_tenant_id_name"


def _names_differing_only_in_case() -> list[tuple[str, list[str]]]:
    """(office slug, its department names that clash once lower-cased), office by office."""
    connection = op.get_bind()
    postgresql = connection.dialect.name == "postgresql"
    clashes = []
    for tenant_id, slug in connection.execute(sa.text("SELECT id, slug FROM tenants ORDER BY slug")):
        if postgresql:
            # The owner is bound by the forced row-level security too: it reads one office at
            # a time, as the app does.
            connection.execute(
                sa.text("SELECT set_config('app.tenant_id', :tenant, true)"),
                {"tenant": str(tenant_id)},
            )
        names = connection.execute(
            sa.text(
                "SELECT name FROM departments WHERE tenant_id = :tenant AND lower(name) IN ("
                " SELECT lower(name) FROM departments WHERE tenant_id = :tenant"
                " GROUP BY lower(name) HAVING count(*) > 1)"
                " ORDER BY lower(name), id"
            ),
            {"tenant": tenant_id},
        ).scalars().all()
        if names:
            clashes.append((slug, list(names)))
    if postgresql:
        connection.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))
    return clashes


def upgrade():
    clashes = _names_differing_only_in_case()
    if clashes:
        offices = "; ".join(
            f"{slug}: " + ", ".join(f"„{name}”" for name in names) for slug, names in clashes
        )
        raise RuntimeError(
            "Migration 0015 stopped: these offices have departments whose names differ only in "
            f"case ({offices}). Rename, merge or delete one of each in the office's panel "
            "(Wydziały), then run `satysfakcja db upgrade` again."
        )
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_constraint(OLD_CONSTRAINT, type_="unique")
    op.create_index(
        INDEX, "departments", ["tenant_id", sa.text("lower(name)")], unique=True
    )


def downgrade():
    op.drop_index(INDEX, table_name="departments")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.create_unique_constraint(OLD_CONSTRAINT, ["tenant_id", "name"])
