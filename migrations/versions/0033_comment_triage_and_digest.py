"""Comment triage (the office's topic list, each comment's status and topics) and the alerts
digest (members' subscriptions and the windows claimed before mailing); every office gets the
starting topic list; the report's comment appendix may be "topics" (topic counts only).

Revision ID: 0033
Revises: 0035
Create Date: 2026-12-04 17:10:00.000000

"""

from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

from saas_platform.core.db import tenant_rls_statements


# revision identifiers, used by Alembic.
revision = "0033"
down_revision = "0035"
branch_labels = None
depends_on = None

TABLES = (
    "comment_topics",
    "comment_triage",
    "comment_topic_links",
    "digest_subscriptions",
    "digest_windows",
)
DEFAULT_TOPICS = (
    "czas oczekiwania",
    "parking",
    "uprzejmość",
    "informacja",
    "formularze",
    "godziny otwarcia",
    "inne",
)


def upgrade():
    topics = op.create_table(
        "comment_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("name <> ''", name=op.f("ck_comment_topics_name_not_empty")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_comment_topics_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_topics")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_comment_topics_tenant_id_id")),
    )
    with op.batch_alter_table("comment_topics", schema=None) as batch_op:
        batch_op.create_index(
            "uq_comment_topics_tenant_id_lower_name",
            ["tenant_id", sa.literal_column("lower(name)")],
            unique=True,
        )

    op.create_table(
        "comment_triage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('new', 'read', 'forwarded', 'resolved')",
            name=op.f("ck_comment_triage_status"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "response_id"],
            ["responses.tenant_id", "responses.id"],
            name=op.f("fk_comment_triage_tenant_id_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "updated_by_id"],
            ["staff_users.tenant_id", "staff_users.id"],
            name=op.f("fk_comment_triage_tenant_id_updated_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_comment_triage_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_triage")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_comment_triage_tenant_id_id")),
        sa.UniqueConstraint(
            "tenant_id",
            "response_id",
            "question_key",
            name=op.f("uq_comment_triage_tenant_id_response_id_question_key"),
        ),
    )
    with op.batch_alter_table("comment_triage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comment_triage_tenant_id_status"), ["tenant_id", "status"], unique=False
        )

    op.create_table(
        "comment_topic_links",
        sa.Column("triage_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "topic_id"],
            ["comment_topics.tenant_id", "comment_topics.id"],
            name=op.f("fk_comment_topic_links_tenant_id_topic_id_comment_topics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "triage_id"],
            ["comment_triage.tenant_id", "comment_triage.id"],
            name=op.f("fk_comment_topic_links_tenant_id_triage_id_comment_triage"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_comment_topic_links_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "triage_id", "topic_id", name=op.f("pk_comment_topic_links")
        ),
    )
    with op.batch_alter_table("comment_topic_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comment_topic_links_tenant_id_topic_id"),
            ["tenant_id", "topic_id"],
            unique=False,
        )

    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "frequency IN ('daily', 'weekly')", name=op.f("ck_digest_subscriptions_frequency")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["staff_users.tenant_id", "staff_users.id"],
            name=op.f("fk_digest_subscriptions_tenant_id_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_digest_subscriptions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_subscriptions")),
        sa.UniqueConstraint(
            "tenant_id", "user_id", name=op.f("uq_digest_subscriptions_tenant_id_user_id")
        ),
    )

    op.create_table(
        "digest_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=8), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "frequency IN ('daily', 'weekly')", name=op.f("ck_digest_windows_frequency")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'empty')",
            name=op.f("ck_digest_windows_status"),
        ),
        sa.CheckConstraint("first_day <= last_day", name=op.f("ck_digest_windows_days_order")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["staff_users.tenant_id", "staff_users.id"],
            name=op.f("fk_digest_windows_tenant_id_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_digest_windows_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_windows")),
        sa.UniqueConstraint(
            "tenant_id",
            "user_id",
            "last_day",
            name=op.f("uq_digest_windows_tenant_id_user_id_last_day"),
        ),
    )

    # Every existing office gets the starting list; before the policies, which would refuse
    # the owner's rows for offices it has not set.
    office_ids = op.get_bind().execute(sa.text("SELECT id FROM tenants")).scalars().all()
    now = datetime.now(UTC)
    op.bulk_insert(
        topics,
        [
            {"tenant_id": office_id, "name": name, "position": position, "created_at": now}
            for office_id in office_ids
            for position, name in enumerate(DEFAULT_TOPICS, start=1)
        ],
    )

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_tenants_report_comments"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_tenants_report_comments"),
            "report_comments IN ('none', 'topics', 'newest')",
        )

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            for statement in tenant_rls_statements(table):
                op.execute(statement)


def downgrade():
    op.execute("UPDATE tenants SET report_comments = 'none' WHERE report_comments = 'topics'")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_tenants_report_comments"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_tenants_report_comments"), "report_comments IN ('none', 'newest')"
        )
    for table in (
        "digest_windows",
        "digest_subscriptions",
        "comment_topic_links",
        "comment_triage",
        "comment_topics",
    ):
        op.drop_table(table)
