"""Corrective and improvement actions (§4): the register and its progress notes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

from saas_platform.core.db import tenant_rls_statements


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('item_keys', sa.JSON(), nullable=False),
    sa.Column('department_ids', sa.JSON(), nullable=False),
    sa.Column('responsible_user_id', sa.Integer(), nullable=True),
    sa.Column('responsible_text', sa.String(length=200), server_default='', nullable=False),
    sa.Column('planned_start', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('implemented_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('abandon_reason', sa.Text(), server_default='', nullable=False),
    sa.Column('effect_window_days', sa.Integer(), server_default='90', nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('corrective', 'improvement')", name=op.f('ck_actions_kind')),
    sa.CheckConstraint("status IN ('planned', 'in_progress', 'done', 'abandoned')", name=op.f('ck_actions_status')),
    sa.CheckConstraint('planned_start IS NULL OR due_date IS NULL OR planned_start <= due_date', name=op.f('ck_actions_dates_order')),
    sa.CheckConstraint("status <> 'abandoned' OR abandon_reason <> ''", name=op.f('ck_actions_abandon_reason')),
    sa.CheckConstraint("(status = 'done') = (implemented_on IS NOT NULL)", name=op.f('ck_actions_implemented_when_done')),
    sa.CheckConstraint('effect_window_days BETWEEN 7 AND 365', name=op.f('ck_actions_effect_window_range')),
    sa.ForeignKeyConstraint(['tenant_id', 'created_by_id'], ['staff_users.tenant_id', 'staff_users.id'], name=op.f('fk_actions_tenant_id_created_by_id_staff_users')),
    sa.ForeignKeyConstraint(['tenant_id', 'responsible_user_id'], ['staff_users.tenant_id', 'staff_users.id'], name=op.f('fk_actions_tenant_id_responsible_user_id_staff_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_actions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actions')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_actions_tenant_id_id'))
    )
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actions_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_actions_tenant_id_status_due_date'), ['tenant_id', 'status', 'due_date'], unique=False)

    op.create_table('action_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'action_id'], ['actions.tenant_id', 'actions.id'], name=op.f('fk_action_notes_tenant_id_action_id_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'author_id'], ['staff_users.tenant_id', 'staff_users.id'], name=op.f('fk_action_notes_tenant_id_author_id_staff_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_action_notes_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_notes'))
    )
    with op.batch_alter_table('action_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_notes_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_notes_tenant_id_action_id_created_at'), ['tenant_id', 'action_id', 'created_at'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in ("actions", "action_notes"):
            for statement in tenant_rls_statements(table):
                op.execute(statement)


def downgrade():
    with op.batch_alter_table('action_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_notes_tenant_id_action_id_created_at'))
        batch_op.drop_index(batch_op.f('ix_action_notes_tenant_id'))
    op.drop_table('action_notes')
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actions_tenant_id_status_due_date'))
        batch_op.drop_index(batch_op.f('ix_actions_tenant_id'))
    op.drop_table('actions')
