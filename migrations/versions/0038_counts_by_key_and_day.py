"""An index of the daily counts by (office, question key, day).

An action's effect windows, a drill-down page and the comment total read a few keys over some
days; the (office, day) index made them read every key's rows of those days (about 7,500 a day
in an office of a million responses) to keep a few hundred. The index holds no counted column,
so a resident's answer, which only adds to existing rows, can still update them heap-only.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-04 21:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        op.f('ix_response_counts_tenant_id_question_key_day'), 'response_counts',
        ['tenant_id', 'question_key', 'day'], unique=False,
    )


def downgrade():
    op.drop_index(op.f('ix_response_counts_tenant_id_question_key_day'), 'response_counts')
