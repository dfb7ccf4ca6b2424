"""Survey editor: drafts, translations of versions, sections and questions, and a database
guard that keeps published versions unchanged.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from saas_platform.core.db import tenant_rls_statements


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# A published version, its sections and questions never change. Deleting a whole office
# cascades through them from a foreign-key trigger (pg_trigger_depth() > 1): that is allowed.
GUARD_FUNCTION = """
CREATE FUNCTION refuse_published_survey_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    published timestamptz;
BEGIN
    IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
        RETURN OLD;
    END IF;
    IF TG_TABLE_NAME = 'survey_versions' THEN
        IF OLD.published_at IS NOT NULL THEN
            RAISE EXCEPTION 'survey version % is published and cannot change', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN
            SELECT published_at INTO published FROM survey_versions WHERE id = OLD.version_id;
            IF published IS NOT NULL THEN
                RAISE EXCEPTION 'survey version % is published and cannot change', OLD.version_id
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            SELECT published_at INTO published FROM survey_versions WHERE id = NEW.version_id;
            IF published IS NOT NULL THEN
                RAISE EXCEPTION 'survey version % is published and cannot change', NEW.version_id
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$
"""
GUARDED = {
    'survey_versions': 'UPDATE OR DELETE',
    'survey_sections': 'INSERT OR UPDATE OR DELETE',
    'survey_questions': 'INSERT OR UPDATE OR DELETE',
}


def upgrade():
    op.create_table('survey_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('based_on_id', sa.Integer(), nullable=True),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('revision > 0', name=op.f('ck_survey_drafts_revision_positive')),
    sa.ForeignKeyConstraint(['tenant_id', 'based_on_id'], ['survey_versions.tenant_id', 'survey_versions.id'], name=op.f('fk_survey_drafts_tenant_id_based_on_id_survey_versions')),
    sa.ForeignKeyConstraint(['tenant_id', 'survey_id'], ['surveys.tenant_id', 'surveys.id'], name=op.f('fk_survey_drafts_tenant_id_survey_id_surveys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_survey_drafts_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_drafts')),
    sa.UniqueConstraint('survey_id', name=op.f('uq_survey_drafts_survey_id'))
    )
    with op.batch_alter_table('survey_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_drafts_tenant_id'), ['tenant_id'], unique=False)

    for table in GUARDED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('translations', sa.JSON(), server_default='{}', nullable=False))

    if op.get_bind().dialect.name == "postgresql":
        for statement in tenant_rls_statements("survey_drafts"):
            op.execute(statement)
        op.execute(GUARD_FUNCTION)
        for table, events in GUARDED.items():
            op.execute(
                f"CREATE TRIGGER published_survey_unchanged BEFORE {events} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_published_survey_change()"
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in GUARDED:
            op.execute(f"DROP TRIGGER published_survey_unchanged ON {table}")
        op.execute("DROP FUNCTION refuse_published_survey_change()")
    for table in GUARDED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('translations')
    with op.batch_alter_table('survey_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_drafts_tenant_id'))
    op.drop_table('survey_drafts')
