"""Governance: the reason an office is suspended (shown to its staff), and what a pre-change
report was made before (survey, departments or office data), the newest response it covers (a
second change with no new response reuses it) and the score threshold in force before the change
(the report flags items as they were flagged before); the first steps of a new office that
only the office can vouch for (posters downloaded, banner placed), with when.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 13:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('suspension_reason', sa.Text(), server_default='', nullable=False)
        )
        batch_op.add_column(
            sa.Column('first_steps', sa.JSON(), server_default='{}', nullable=False)
        )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('covers_response_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('score_threshold', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_reports_subject'),
            "subject IS NULL OR subject IN ('survey', 'departments', 'office')",
        )


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_reports_subject'), type_='check')
        batch_op.drop_column('score_threshold')
        batch_op.drop_column('covers_response_id')
        batch_op.drop_column('subject')
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('first_steps')
        batch_op.drop_column('suspension_reason')
