"""A period's comment total from the counts: ``comments`` on the count rows.

The dashboard's and the reports' comment figures (how many comments a period holds, and how
many of them are still new) read every comment answer of the period with its response: at a
million responses, 280 ms of the dashboard's 400. Each count row (daily and monthly) now also
holds ``comments``: on a response's own row (key ``'*'``), how many open-text answers the
responses it counts left; 0 on every other row. A resident's answer writes the rows it wrote
before, with one more number, and a period's total is the sum over its ``'*'`` rows.

The existing ``'*'`` rows are filled from the stored text answers of counted (not excluded)
responses, office by office; days whose raw responses retention has already deleted keep 0.
Then the months from the days; the triggers of 0032 are replaced by ones that carry
``comments`` too, and the months' covering index holds it, so the total is an index-only read.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None

TABLES = ("response_counts", "response_counts_monthly")
BEFORE = ("count", "overall_n", "overall_sum", "overall_squares")  # what 0032's triggers carry
# What 0032's covering index of the months holds besides its key.
INCLUDED = ("version_id", "question_key", "department_id", "channel", "value", *BEFORE)

# As in 0006/0010/0032 (a migration is a snapshot: these are copied, not imported).
KEY = "tenant_id, version_id, question_key, department_id, channel, month, value"
_MONTH_KEY = (
    "tenant_id, version_id, question_key, department_id, channel, "
    "CAST(date_trunc('month', day) AS date) AS month, value"
)
_MATCH = (
    "m.tenant_id = d.tenant_id AND m.version_id = d.version_id "
    "AND m.question_key = d.question_key AND m.department_id = d.department_id "
    "AND m.channel = d.channel AND m.month = d.month AND m.value = d.value"
)


def _rows(sources: tuple[tuple[str, str], ...], columns: tuple[str, ...]) -> str:
    """The changes of a statement, one row per transition-table row: (sign, table) pairs."""
    return " UNION ALL ".join(
        f"SELECT {_MONTH_KEY}, "
        + ", ".join(f"{sign}{column} AS d_{column}" for column in columns)
        + f" FROM {table}{where}"
        for sign, table, where in sources
    )


def _apply_function(name: str, rows_sql: str, columns: tuple[str, ...], one_pass: bool) -> str:
    """0010's trigger function over ``columns`` (``count`` first, then the sums it carries).

    ``delta`` is the change of the count; ``delta_<sum>`` the change of each sum. A key whose
    count grows is an increase, upserted; any other changed key (the count falls, or only the
    sums change) must already have its month, which is locked, updated and removed at zero.
    """
    sums = columns[1:]
    delta = (
        f"SELECT {KEY}, sum(d_count) AS delta"
        + "".join(f", sum(d_{c}) AS delta_{c}" for c in sums)
        + f" FROM ({rows_sql}) AS changes GROUP BY {KEY} HAVING "
        + " OR ".join(f"sum(d_{c}) <> 0" for c in columns)
    )
    deltas = "delta" + "".join(f", delta_{c}" for c in sums)
    added = ", ".join(
        f"{c} = response_counts_monthly.{c} + EXCLUDED.{c}" for c in columns
    )
    changed = ", ".join(
        f"{c} = m.{c} + d.delta" + (f"_{c}" if c != "count" else "") for c in columns
    )
    if one_pass:
        count_decreases = f"""
        WITH d AS MATERIALIZED ({delta}),
        only_increases AS (
            INSERT INTO response_counts_monthly ({KEY}, {", ".join(columns)})
            SELECT {KEY}, {deltas} FROM d
            WHERE NOT EXISTS (SELECT 1 FROM d AS decrease WHERE decrease.delta <= 0)
            ORDER BY {KEY}
            ON CONFLICT ({KEY})
            DO UPDATE SET {added}
        )
        SELECT count(*) INTO decreases FROM d WHERE delta <= 0;
        IF decreases = 0 THEN
            RETURN NULL;  -- every resident's answer: done in one pass
        END IF;"""
    else:
        count_decreases = f"""
        SELECT count(*) INTO decreases FROM ({delta}) AS d WHERE delta <= 0;"""
    return f"""
    CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        decreases integer;
        applied integer;
    BEGIN{count_decreases}
        IF decreases > 0 THEN
            -- Increases and decreases together (an exclusion, a merge): lock the months first.
            PERFORM 1 FROM response_counts_monthly AS m JOIN ({delta}) AS d ON {_MATCH}
            ORDER BY m.tenant_id, m.version_id, m.question_key, m.department_id, m.channel,
                     m.month, m.value
            FOR UPDATE OF m;
        END IF;

        -- Only increases (every resident's response): the ordered upsert locks in key order.
        INSERT INTO response_counts_monthly ({KEY}, {", ".join(columns)})
        SELECT {KEY}, {deltas} FROM ({delta}) AS d WHERE delta > 0
        ORDER BY {KEY}
        ON CONFLICT ({KEY})
        DO UPDATE SET {added};

        IF decreases > 0 THEN
            UPDATE response_counts_monthly AS m SET {changed}
            FROM ({delta}) AS d WHERE {_MATCH} AND d.delta <= 0;
            GET DIAGNOSTICS applied = ROW_COUNT;
            IF applied <> decreases THEN
                RAISE EXCEPTION 'response_counts_monthly: % of % decreased months missing',
                    decreases - applied, decreases;
            END IF;
            DELETE FROM response_counts_monthly AS m USING ({delta}) AS d
            WHERE {_MATCH} AND d.delta <= 0 AND m.count = 0;
        END IF;
        RETURN NULL;
    END $$
    """


def _postgresql_functions(columns: tuple[str, ...]) -> list[str]:
    new = (("", "new_rows", ""),)
    old = (("-", "old_rows", ""),)
    # Deleting an office cascades to its days and, through their own foreign key, to its
    # months: rows of an office that no longer exists are left to that cascade.
    removed = (
        (
            "-",
            "old_rows",
            " WHERE EXISTS (SELECT 1 FROM tenants WHERE tenants.id = old_rows.tenant_id)",
        ),
    )
    return [
        _apply_function("response_counts_monthly_add", _rows(new, columns), columns, True),
        _apply_function(
            "response_counts_monthly_change", _rows(new + old, columns), columns, True
        ),
        _apply_function("response_counts_monthly_remove", _rows(removed, columns), columns, False),
    ]


# SQLite (the embedded mode): 0006's row-level triggers, over ``columns``.
_SQLITE_MATCH = (
    "tenant_id = {r}.tenant_id AND version_id = {r}.version_id "
    "AND question_key = {r}.question_key AND department_id = {r}.department_id "
    "AND channel = {r}.channel AND month = date({r}.day, 'start of month') "
    "AND value = {r}.value"
)


def _sqlite_triggers(columns: tuple[str, ...]) -> list[str]:
    zeros = ", ".join("0" for _ in columns)
    ensure_new_month = f"""
        INSERT INTO response_counts_monthly ({KEY}, {", ".join(columns)})
        SELECT NEW.tenant_id, NEW.version_id, NEW.question_key, NEW.department_id,
               NEW.channel, date(NEW.day, 'start of month'), NEW.value, {zeros}
        WHERE NOT EXISTS (SELECT 1 FROM response_counts_monthly
                          WHERE {_SQLITE_MATCH.format(r='NEW')});"""

    def apply(sign: str, row: str) -> str:
        changes = ", ".join(f"{c} = {c} {sign} {row}.{c}" for c in columns)
        return (
            f"UPDATE response_counts_monthly SET {changes} "
            f"WHERE {_SQLITE_MATCH.format(r=row)};"
        )

    def remove_empty(row: str) -> str:
        return (
            f"DELETE FROM response_counts_monthly WHERE {_SQLITE_MATCH.format(r=row)} "
            "AND count = 0;"
        )

    return [
        f"""
        CREATE TRIGGER monthly_add AFTER INSERT ON response_counts BEGIN
            {ensure_new_month}
            {apply('+', 'NEW')}
        END
        """,
        f"""
        CREATE TRIGGER monthly_change AFTER UPDATE ON response_counts BEGIN
            {apply('-', 'OLD')}
            {ensure_new_month}
            {apply('+', 'NEW')}
            {remove_empty('OLD')}
            {remove_empty('NEW')}
        END
        """,
        f"""
        CREATE TRIGGER monthly_remove AFTER DELETE ON response_counts BEGIN
            {apply('-', 'OLD')}
            {remove_empty('OLD')}
        END
        """,
    ]


def _replace_triggers(columns: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _postgresql_functions(columns):
            op.execute(statement)
        return
    for trigger in ("monthly_add", "monthly_change", "monthly_remove"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for statement in _sqlite_triggers(columns):
        op.execute(statement)


# The comments of each day's '*' key: the text answers of the counted responses it counts.
_DAILY_COMMENTS = """
    SELECT r.tenant_id, r.version_id, COALESCE(r.department_id, 0) AS department_id,
           r.channel, r.answered_on AS day, count(*) AS comments
    FROM responses AS r
    JOIN answers AS a ON a.tenant_id = r.tenant_id AND a.response_id = r.id
    JOIN survey_questions AS q
      ON q.tenant_id = r.tenant_id AND q.version_id = r.version_id
     AND q.key = a.question_key AND q.kind = 'text'
    WHERE r.tenant_id = :tenant AND r.excluded_at IS NULL
    GROUP BY r.tenant_id, r.version_id, COALESCE(r.department_id, 0), r.channel, r.answered_on
"""
_DAILY_MATCH = (
    "rc.tenant_id = s.tenant_id AND rc.version_id = s.version_id "
    "AND rc.question_key = '*' AND rc.department_id = s.department_id "
    "AND rc.channel = s.channel AND rc.day = s.day AND rc.value = ''"
)


def _backfill(postgresql: bool) -> None:
    """The comments of the days from the answers, then of the months from the days, office by
    office: the owner is bound by the forced row-level security too (as in 0015)."""
    connection = op.get_bind()
    month = "CAST(date_trunc('month', day) AS date)" if postgresql else "date(day, 'start of month')"
    monthly = f"""
        SELECT tenant_id, version_id, question_key, department_id, channel, {month} AS month,
               value, sum(comments) AS comments
        FROM response_counts WHERE tenant_id = :tenant AND question_key = '*'
        GROUP BY tenant_id, version_id, question_key, department_id, channel, {month}, value
        HAVING sum(comments) > 0
    """
    statements = [
        f"UPDATE response_counts AS rc SET comments = s.comments FROM ({_DAILY_COMMENTS}) AS s "
        f"WHERE {_DAILY_MATCH}",
        f"UPDATE response_counts_monthly AS m SET comments = d.comments "
        f"FROM ({monthly}) AS d WHERE {_MATCH}",
    ]
    for (tenant_id,) in connection.execute(sa.text("SELECT id FROM tenants ORDER BY id")).all():
        if postgresql:
            connection.execute(
                sa.text("SELECT set_config('app.tenant_id', :tenant, true)"),
                {"tenant": str(tenant_id)},
            )
        for statement in statements:
            connection.execute(sa.text(statement), {"tenant": tenant_id})
    if postgresql:
        connection.execute(sa.text("SELECT set_config('app.tenant_id', '', true)"))


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('comments', sa.Integer(), server_default='0', nullable=False)
            )
    # 0032's triggers see an UPDATE that leaves count and sums as they were, and do nothing:
    # the months are filled from the days below, in one statement.
    _backfill(postgresql)
    if postgresql:
        for table in TABLES:
            op.create_check_constraint(
                op.f(f'ck_{table}_comments_not_negative'), table, 'comments >= 0'
            )
        # The covering index of the months carries the comments too (index-only reads).
        _covering_index((*INCLUDED, "comments"))
    _replace_triggers((*BEFORE, "comments"))


def _covering_index(included: tuple[str, ...]) -> None:
    op.drop_index('ix_response_counts_monthly_tenant_id_month', 'response_counts_monthly')
    op.create_index(
        'ix_response_counts_monthly_tenant_id_month', 'response_counts_monthly',
        ['tenant_id', 'month'], unique=False, postgresql_include=list(included),
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _covering_index(INCLUDED)
        for table in TABLES:
            op.drop_constraint(op.f(f'ck_{table}_comments_not_negative'), table, type_='check')
    # On SQLite dropping a column copies the table, which drops its triggers: they are made
    # again below.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('comments')
    _replace_triggers(BEFORE)
