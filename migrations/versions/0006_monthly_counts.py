"""Monthly roll-up of the running counts, kept by the database itself.

``response_counts_monthly`` holds, per (version, question key, department, channel, month,
value), the sum of ``response_counts`` over the days of that month. Triggers on
``response_counts`` keep it current for every write (the resident's one-statement insert, paper
forms, exclusions and restores, merges, bulk loads), so no code path can forget it. Dashboards
and reports read whole months from here and only the days at the edges of a period from
``response_counts``: a year costs 12 rows per key instead of 365.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 17:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

from saas_platform.db import tenant_rls_statements


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

KEY = "tenant_id, version_id, question_key, department_id, channel, month, value"

# PostgreSQL: statement-level triggers with transition tables, one aggregated upsert per
# statement (not one per row). Rows are upserted in key order, like the daily counts, so
# concurrent submissions take their locks in the same order and cannot deadlock.
POSTGRESQL_TRIGGERS = [
    f"""
    CREATE FUNCTION response_counts_monthly_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO response_counts_monthly ({KEY}, count)
        SELECT tenant_id, version_id, question_key, department_id, channel,
               date_trunc('month', day)::date AS month, value, sum(count)
        FROM new_rows
        GROUP BY tenant_id, version_id, question_key, department_id, channel, month, value
        ORDER BY tenant_id, version_id, question_key, department_id, channel, month, value
        ON CONFLICT ({KEY})
        DO UPDATE SET count = response_counts_monthly.count + EXCLUDED.count;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION response_counts_monthly_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- The key of a count row never changes, only its count: pair old and new by key.
        UPDATE response_counts_monthly AS m
        SET count = m.count + d.delta
        FROM (SELECT n.tenant_id, n.version_id, n.question_key, n.department_id, n.channel,
                     date_trunc('month', n.day)::date AS month, n.value,
                     sum(n.count - o.count) AS delta
              FROM new_rows AS n
              JOIN old_rows AS o USING (tenant_id, version_id, question_key, department_id,
                                        channel, day, value)
              GROUP BY 1, 2, 3, 4, 5, 6, 7
              ORDER BY 1, 2, 3, 4, 5, 6, 7) AS d
        WHERE (m.tenant_id, m.version_id, m.question_key, m.department_id, m.channel, m.month,
               m.value)
            = (d.tenant_id, d.version_id, d.question_key, d.department_id, d.channel, d.month,
               d.value)
          AND d.delta <> 0;
        DELETE FROM response_counts_monthly AS m
        USING (SELECT DISTINCT tenant_id, version_id, question_key, department_id, channel,
                      date_trunc('month', day)::date AS month, value FROM new_rows) AS d
        WHERE (m.tenant_id, m.version_id, m.question_key, m.department_id, m.channel, m.month,
               m.value)
            = (d.tenant_id, d.version_id, d.question_key, d.department_id, d.channel, d.month,
               d.value)
          AND m.count = 0;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION response_counts_monthly_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE response_counts_monthly AS m
        SET count = m.count - d.total
        FROM (SELECT tenant_id, version_id, question_key, department_id, channel,
                     date_trunc('month', day)::date AS month, value, sum(count) AS total
              FROM old_rows
              GROUP BY 1, 2, 3, 4, 5, 6, 7
              ORDER BY 1, 2, 3, 4, 5, 6, 7) AS d
        WHERE (m.tenant_id, m.version_id, m.question_key, m.department_id, m.channel, m.month,
               m.value)
            = (d.tenant_id, d.version_id, d.question_key, d.department_id, d.channel, d.month,
               d.value);
        DELETE FROM response_counts_monthly AS m
        USING (SELECT DISTINCT tenant_id, version_id, question_key, department_id, channel,
                      date_trunc('month', day)::date AS month, value FROM old_rows) AS d
        WHERE (m.tenant_id, m.version_id, m.question_key, m.department_id, m.channel, m.month,
               m.value)
            = (d.tenant_id, d.version_id, d.question_key, d.department_id, d.channel, d.month,
               d.value)
          AND m.count = 0;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER monthly_add AFTER INSERT ON response_counts "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION response_counts_monthly_add()",
    "CREATE TRIGGER monthly_change AFTER UPDATE ON response_counts "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION response_counts_monthly_change()",
    "CREATE TRIGGER monthly_remove AFTER DELETE ON response_counts "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION response_counts_monthly_remove()",
]

# SQLite (the embedded mode): row-level triggers. ``date(day, 'start of month')`` gives the
# ISO date SQLAlchemy stores for a Date.
_SQLITE_MATCH = (
    "tenant_id = {r}.tenant_id AND version_id = {r}.version_id "
    "AND question_key = {r}.question_key AND department_id = {r}.department_id "
    "AND channel = {r}.channel AND month = date({r}.day, 'start of month') "
    "AND value = {r}.value"
)
SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER monthly_add AFTER INSERT ON response_counts BEGIN
        INSERT OR IGNORE INTO response_counts_monthly ({KEY}, count)
        VALUES (NEW.tenant_id, NEW.version_id, NEW.question_key, NEW.department_id,
                NEW.channel, date(NEW.day, 'start of month'), NEW.value, 0);
        UPDATE response_counts_monthly SET count = count + NEW.count
        WHERE {_SQLITE_MATCH.format(r='NEW')};
    END
    """,
    f"""
    CREATE TRIGGER monthly_change AFTER UPDATE OF count ON response_counts BEGIN
        UPDATE response_counts_monthly SET count = count + NEW.count - OLD.count
        WHERE {_SQLITE_MATCH.format(r='NEW')};
        DELETE FROM response_counts_monthly WHERE {_SQLITE_MATCH.format(r='NEW')} AND count = 0;
    END
    """,
    f"""
    CREATE TRIGGER monthly_remove AFTER DELETE ON response_counts BEGIN
        UPDATE response_counts_monthly SET count = count - OLD.count
        WHERE {_SQLITE_MATCH.format(r='OLD')};
        DELETE FROM response_counts_monthly WHERE {_SQLITE_MATCH.format(r='OLD')} AND count = 0;
    END
    """,
]


def upgrade():
    op.create_table('response_counts_monthly',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=64), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_response_counts_monthly_count_not_negative')),
    sa.ForeignKeyConstraint(['tenant_id', 'version_id'], ['survey_versions.tenant_id', 'survey_versions.id'], name=op.f('fk_response_counts_monthly_tenant_id_version_id_survey_versions')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_response_counts_monthly_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'version_id', 'question_key', 'department_id', 'channel', 'month', 'value', name=op.f('pk_response_counts_monthly'))
    )
    with op.batch_alter_table('response_counts_monthly', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_counts_monthly_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_counts_monthly_tenant_id_month'), ['tenant_id', 'month'], unique=False)

    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    # Offices that already have counts get their months now.
    op.execute(
        f"INSERT INTO response_counts_monthly ({KEY}, count) "
        "SELECT tenant_id, version_id, question_key, department_id, channel, "
        + ("date_trunc('month', day)::date" if postgresql else "date(day, 'start of month')")
        + " AS month, value, sum(count) FROM response_counts "
        "GROUP BY tenant_id, version_id, question_key, department_id, channel, month, value"
    )
    if postgresql:
        for statement in tenant_rls_statements("response_counts_monthly"):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for trigger in ("monthly_add", "monthly_change", "monthly_remove"):
            op.execute(f"DROP TRIGGER {trigger} ON response_counts")
        for function in ("add", "change", "remove"):
            op.execute(f"DROP FUNCTION response_counts_monthly_{function}()")
    else:
        for trigger in ("monthly_add", "monthly_change", "monthly_remove"):
            op.execute(f"DROP TRIGGER {trigger}")
    with op.batch_alter_table('response_counts_monthly', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_counts_monthly_tenant_id_month'))
        batch_op.drop_index(batch_op.f('ix_response_counts_monthly_tenant_id'))
    op.drop_table('response_counts_monthly')
