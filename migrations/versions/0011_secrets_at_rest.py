"""Operators' TOTP secrets at rest: encrypted with SECRETS_KEY (Fernet), so the application role
reads only tokens. The columns widen to hold a token of a 64-byte secret; the secrets stored in
the clear are encrypted here, with the newest key of SECRETS_KEY as ``load_settings`` read it
for the app that runs the migration (``satysfakcja db upgrade`` with the production
environment). The downgrade decrypts them again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# A migration is a snapshot: the lengths and the key format are copied, not imported
# (saas_platform.core.secrets_box: EncryptedString(64), key_ring).
PLAIN = sa.String(length=64)
SEALED = sa.String(length=184)
COLUMNS = (
    ("platform_operators", "totp_secret", True),
    ("operator_setup_links", "pending_totp_secret", False),
)


def _key_ring() -> MultiFernet:
    keys = current_app.config["SECRETS_KEY"]
    return MultiFernet([Fernet(key.strip()) for key in keys.split(",")])


def _rewrite(change) -> None:
    """Replace every stored value of the secret columns with ``change(value)``."""
    connection = op.get_bind()
    for table_name, column_name, _ in COLUMNS:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column_name, sa.String))
        column = table.c[column_name]
        rows = connection.execute(sa.select(table.c.id, column).where(column.is_not(None))).all()
        for row_id, value in rows:
            connection.execute(
                sa.update(table).where(table.c.id == row_id).values({column_name: change(value)})
            )


def _alter(old_type: sa.String, new_type: sa.String) -> None:
    for table_name, column_name, nullable in COLUMNS:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.alter_column(
                column_name, existing_type=old_type, type_=new_type, existing_nullable=nullable
            )


def upgrade():
    ring = _key_ring()
    _alter(PLAIN, SEALED)
    _rewrite(lambda plain: ring.encrypt(plain.encode()).decode("ascii"))


def downgrade():
    ring = _key_ring()
    _rewrite(lambda token: ring.decrypt(token.encode("ascii")).decode())
    _alter(SEALED, PLAIN)
