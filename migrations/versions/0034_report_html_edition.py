"""The accessible HTML edition of a report, stored beside its PDF (issue #19 item 4).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: reports made before this edition existed have none (the panel offers their PDF
    # only). The reports table's row-level-security policy covers the new columns.
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('html_size', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('html_size')
        batch_op.drop_column('html')
