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

from saas_platform.core.db import tenant_rls_statements


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

KEY = "tenant_id, version_id, question_key, department_id, channel, month, value"

# PostgreSQL: statement-level triggers with transition tables, one aggregated change per
# statement (not one per row). Each works out the change per month key (``delta``), then:
# locks the month rows it touches in key order when some decrease (so concurrent writers, a
# resident today and a paper form typed in for yesterday, cannot deadlock; an upsert of
# increases alone locks in key order by itself), adds the increases with an ordered upsert, applies the decreases to rows that must exist (refusing to go on when one does not:
# the months would no longer equal the days), and removes the rows that reach zero. An UPDATE
# is its new rows minus its old ones, so even a change of key (moving counts to another
# department) keeps the months right.
_MONTH_KEY = (
    "tenant_id, version_id, question_key, department_id, channel, "
    "CAST(date_trunc('month', day) AS date) AS month, value"
)
_MATCH = (
    "m.tenant_id = d.tenant_id AND m.version_id = d.version_id "
    "AND m.question_key = d.question_key AND m.department_id = d.department_id "
    "AND m.channel = d.channel AND m.month = d.month AND m.value = d.value"
)


def _delta(rows_sql: str) -> str:
    return (
        f"SELECT {KEY}, sum(change) AS delta FROM ({rows_sql}) AS changes "
        f"GROUP BY {KEY} HAVING sum(change) <> 0"
    )


def _apply_function(name: str, rows_sql: str) -> str:
    delta = _delta(rows_sql)
    return f"""
    CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        decreases integer;
        applied integer;
    BEGIN
        SELECT count(*) INTO decreases FROM ({delta}) AS d WHERE delta < 0;
        IF decreases > 0 THEN
            -- Increases and decreases together (an exclusion, a merge): lock the months first.
            PERFORM 1 FROM response_counts_monthly AS m JOIN ({delta}) AS d ON {_MATCH}
            ORDER BY m.tenant_id, m.version_id, m.question_key, m.department_id, m.channel,
                     m.month, m.value
            FOR UPDATE OF m;
        END IF;

        -- Only increases (every resident's response): the ordered upsert locks in key order.
        INSERT INTO response_counts_monthly ({KEY}, count)
        SELECT {KEY}, delta FROM ({delta}) AS d WHERE delta > 0
        ORDER BY {KEY}
        ON CONFLICT ({KEY})
        DO UPDATE SET count = response_counts_monthly.count + EXCLUDED.count;

        IF decreases > 0 THEN
            UPDATE response_counts_monthly AS m SET count = m.count + d.delta
            FROM ({delta}) AS d WHERE {_MATCH} AND d.delta < 0;
            GET DIAGNOSTICS applied = ROW_COUNT;
            IF applied <> decreases THEN
                RAISE EXCEPTION 'response_counts_monthly: % of % decreased months missing',
                    decreases - applied, decreases;
            END IF;
            DELETE FROM response_counts_monthly AS m USING ({delta}) AS d
            WHERE {_MATCH} AND d.delta < 0 AND m.count = 0;
        END IF;
        RETURN NULL;
    END $$
    """


POSTGRESQL_TRIGGERS = [
    _apply_function(
        "response_counts_monthly_add", f"SELECT {_MONTH_KEY}, count AS change FROM new_rows"
    ),
    _apply_function(
        "response_counts_monthly_change",
        f"SELECT {_MONTH_KEY}, count AS change FROM new_rows "
        f"UNION ALL SELECT {_MONTH_KEY}, -count FROM old_rows",
    ),
    # Deleting an office cascades to its days and, through their own foreign key, to its
    # months: rows of an office that no longer exists are left to that cascade.
    _apply_function(
        "response_counts_monthly_remove",
        f"SELECT {_MONTH_KEY}, -count AS change FROM old_rows "
        "WHERE EXISTS (SELECT 1 FROM tenants WHERE tenants.id = old_rows.tenant_id)",
    ),
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
# Not INSERT OR IGNORE: inside a trigger the outer statement's conflict handling (the upsert's
# ABORT) would override it.
_SQLITE_ENSURE_NEW_MONTH = f"""
        INSERT INTO response_counts_monthly ({KEY}, count)
        SELECT NEW.tenant_id, NEW.version_id, NEW.question_key, NEW.department_id,
               NEW.channel, date(NEW.day, 'start of month'), NEW.value, 0
        WHERE NOT EXISTS (SELECT 1 FROM response_counts_monthly
                          WHERE {_SQLITE_MATCH.format(r='NEW')});"""
SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER monthly_add AFTER INSERT ON response_counts BEGIN
        {_SQLITE_ENSURE_NEW_MONTH}
        UPDATE response_counts_monthly SET count = count + NEW.count
        WHERE {_SQLITE_MATCH.format(r='NEW')};
    END
    """,
    f"""
    CREATE TRIGGER monthly_change AFTER UPDATE ON response_counts BEGIN
        UPDATE response_counts_monthly SET count = count - OLD.count
        WHERE {_SQLITE_MATCH.format(r='OLD')};
        {_SQLITE_ENSURE_NEW_MONTH}
        UPDATE response_counts_monthly SET count = count + NEW.count
        WHERE {_SQLITE_MATCH.format(r='NEW')};
        DELETE FROM response_counts_monthly WHERE {_SQLITE_MATCH.format(r='OLD')} AND count = 0;
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
        # Covering on PostgreSQL: a period's months are read by an index-only scan, not from
        # heap pages that hold rows of many offices.
        batch_op.create_index(batch_op.f('ix_response_counts_monthly_tenant_id_month'), ['tenant_id', 'month'], unique=False, postgresql_include=['version_id', 'question_key', 'department_id', 'channel', 'value', 'count'])

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
