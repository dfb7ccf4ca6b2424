"""Fewer writes per resident answer: drop the single-column tenant_id indexes that another
index on the same table already leads with, and the answers' own foreign key to tenants (an
answer's office is its response's, which the composite foreign key to responses checks).

Every survey answer inserts a response, about thirty answers and updates about thirty daily and
thirty monthly counts (the monthly updates cannot be HOT: the covering index holds the count).
Each dropped index was one more index entry per row; the foreign key one more lookup per answer.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# (table, the index dropped) - each table keeps an index led by tenant_id
REDUNDANT_INDEXES = [
    ("answers", "ix_answers_tenant_id"),  # ix_answers_tenant_id_response_id
    ("responses", "ix_responses_tenant_id"),  # uq_responses_tenant_id_id
    ("response_counts", "ix_response_counts_tenant_id"),  # pk_response_counts
    ("response_counts_monthly", "ix_response_counts_monthly_tenant_id"),  # its primary key
]


def upgrade():
    for table, index in REDUNDANT_INDEXES:
        op.drop_index(index, table_name=table)
    with op.batch_alter_table("answers") as batch:
        batch.drop_constraint("fk_answers_tenant_id_tenants", type_="foreignkey")


def downgrade():
    with op.batch_alter_table("answers") as batch:
        batch.create_foreign_key(
            "fk_answers_tenant_id_tenants", "tenants", ["tenant_id"], ["id"], ondelete="CASCADE"
        )
    for table, index in REDUNDANT_INDEXES:
        op.create_index(index, table, ["tenant_id"])
