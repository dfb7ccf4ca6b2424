"""The accessibility statement's and the privacy notice's parts only the office knows:
coordinator, e-mail and phone, compliance status and shortcomings, assessment method and
auditor, the dates drawn up and reviewed, building accessibility; the data controller and its
data protection officer (IOD). Columns of the office registry, which is not tenant-scoped.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

TEXT_COLUMNS = (
    ('a11y_coordinator', sa.String(length=200)),
    ('a11y_email', sa.String(length=254)),
    ('a11y_phone', sa.String(length=40)),
    ('a11y_status', sa.String(length=10)),
    ('a11y_shortcomings', sa.Text()),
    ('a11y_assessment', sa.String(length=10)),
    ('a11y_auditor', sa.String(length=200)),
    ('a11y_architecture', sa.Text()),
    ('controller_name', sa.String(length=300)),
    ('controller_address', sa.String(length=300)),
    ('iod_contact', sa.String(length=300)),
)


def upgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        for name, type_ in TEXT_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, server_default='', nullable=False))
        batch_op.add_column(sa.Column('a11y_prepared_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('a11y_reviewed_on', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_tenants_a11y_status'),
            "a11y_status IN ('', 'full', 'partial', 'none')",
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_tenants_a11y_assessment'),
            "a11y_assessment IN ('', 'self', 'external')",
        )


def downgrade():
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_tenants_a11y_assessment'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_tenants_a11y_status'), type_='check')
        batch_op.drop_column('a11y_reviewed_on')
        batch_op.drop_column('a11y_prepared_on')
        for name, _ in reversed(TEXT_COLUMNS):
            batch_op.drop_column(name)
