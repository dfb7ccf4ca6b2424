"""The staff's response list and exports (issue 17, items 6 and 10): each response's own score
and lowest rating, stored with it and filled in here for the responses already stored; and
exports made in the background, a row per large export with its progress and finished file.

Revision ID: 0031
Revises: 0034
Create Date: 2026-12-04 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

from saas_platform.core.db import tenant_rls_statements


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0034'
branch_labels = None
depends_on = None


# A response's own score: (mean − 1) × 25 of its 1–5 ratings of rating questions, rounded to one
# decimal; its lowest rating. The same as survey.responses.own_score.
_RATINGS = """
    FROM answers a JOIN survey_questions q
      ON q.tenant_id = a.tenant_id AND q.key = a.question_key
    WHERE a.tenant_id = responses.tenant_id AND a.response_id = responses.id
      AND q.version_id = responses.version_id AND q.kind = 'rating'
      AND a.value IN ('1', '2', '3', '4', '5')
"""
_FILL_SCORES = (
    "UPDATE responses SET "
    "score = (SELECT round(25.0 * (sum(CAST(a.value AS INTEGER)) - count(*)) / count(*), 1) "
    + _RATINGS + "), "
    "lowest_rating = (SELECT min(CAST(a.value AS INTEGER)) " + _RATINGS + ") "
    "WHERE tenant_id = :tenant"
)


def _fill_scores():
    connection = op.get_bind()
    postgresql = connection.dialect.name == 'postgresql'
    for (tenant_id,) in connection.execute(sa.text("SELECT id FROM tenants")).all():
        if postgresql:
            # The owner is bound by the forced row-level security too: one office at a time.
            connection.execute(
                sa.text("SELECT set_config('app.tenant_id', :tenant, true)"),
                {"tenant": str(tenant_id)},
            )
        connection.execute(sa.text(_FILL_SCORES), {"tenant": tenant_id})
    if postgresql:
        connection.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('score', sa.Numeric(precision=4, scale=1), nullable=True))
        batch_op.add_column(sa.Column('lowest_rating', sa.SmallInteger(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_responses_score_range'), 'score BETWEEN 0 AND 100'
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_responses_lowest_rating_range'), 'lowest_rating BETWEEN 1 AND 5'
        )
    _fill_scores()

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
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_responses_lowest_rating_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_responses_score_range'), type_='check')
        batch_op.drop_column('lowest_rating')
        batch_op.drop_column('score')
