"""Retention of raw responses per office (RODO): delete them after N years, keep the counts.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_years', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_tenants_retention_years_range'),
            'retention_years IS NULL OR retention_years BETWEEN 1 AND 20',
        )


def downgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_tenants_retention_years_range'), type_='check')
        batch_op.drop_column('retention_years')
