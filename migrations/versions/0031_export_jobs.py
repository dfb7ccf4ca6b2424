"""Exports made in the background: a row per large export, its progress and the finished file.

Revision ID: 0031
Revises: 0021
Create Date: 2026-12-04 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

from saas_platform.core.db import tenant_rls_statements


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), server_default='0', nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), server_default='', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('content_size', sa.Integer(), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=True),
    sa.Column('email_status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("format IN ('csv', 'xlsx')", name=op.f('ck_export_jobs_format')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_export_jobs_status')),
    sa.CheckConstraint("email_status IN ('none', 'pending', 'sent', 'failed')", name=op.f('ck_export_jobs_email_status')),
    sa.CheckConstraint('rows_done >= 0', name=op.f('ck_export_jobs_rows_done_positive')),
    sa.CheckConstraint("status <> 'done' OR content IS NOT NULL", name=op.f('ck_export_jobs_done_has_file')),
    sa.ForeignKeyConstraint(['tenant_id', 'requested_by_id'], ['staff_users.tenant_id', 'staff_users.id'], name=op.f('fk_export_jobs_tenant_id_requested_by_id_staff_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_export_jobs_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs')),
    sa.UniqueConstraint('tenant_id', 'id', name=op.f('uq_export_jobs_tenant_id_id'))
    )
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_jobs_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_jobs_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_jobs_tenant_id_created_at'), ['tenant_id', 'created_at'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        for statement in tenant_rls_statements('export_jobs'):
            op.execute(statement)


def downgrade():
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_jobs_tenant_id_created_at'))
        batch_op.drop_index(batch_op.f('ix_export_jobs_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_export_jobs_status'))

    op.drop_table('export_jobs')
