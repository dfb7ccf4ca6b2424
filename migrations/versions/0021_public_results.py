"""The public "Wyniki i zmiany" page: an office opts in (off by default), and chooses which
completed actions the page lists ("Zmieniliśmy dzięki Waszym ocenom").

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-03 14:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('public_results', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('published', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_actions_published_when_done'), "NOT published OR status = 'done'"
        )


def downgrade():
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_actions_published_when_done'), type_='check')
        batch_op.drop_column('published')
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('public_results')
