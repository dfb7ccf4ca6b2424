"""The "Oceń Urząd" button on an office's website: responses it brings have the channel
"widget".

Revision ID: 0035
Revises: 0021
Create Date: 2026-12-04 17:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0021'
branch_labels = None
depends_on = None

OLD = "channel IN ('web', 'banner', 'qr', 'kiosk', 'paper')"
NEW = "channel IN ('web', 'banner', 'qr', 'kiosk', 'paper', 'widget')"


def _channels(allowed: str) -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_responses_channel'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_responses_channel'), allowed)


def upgrade():
    _channels(NEW)


def downgrade():
    # With widget responses stored the old constraint fails to build: they are not relabelled,
    # their counts would no longer match them.
    _channels(OLD)
