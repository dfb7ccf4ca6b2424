"""The office's choice of comment appendix in its reports: "none" (the default: residents'
comments can carry personal data, and a report may be published) or "newest" (up to 500).
A column of the office registry, which is not tenant-scoped.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-03 14:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('report_comments', sa.String(length=10), server_default='none', nullable=False)
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_tenants_report_comments'), "report_comments IN ('none', 'newest')"
        )


def downgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_tenants_report_comments'), type_='check')
        batch_op.drop_column('report_comments')
