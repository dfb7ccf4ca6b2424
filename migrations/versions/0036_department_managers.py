"""The department manager role ("kierownik wydziału") and the departments each one leads.

``staff_users.role`` may be 'manager'; ``staff_departments`` links a manager to the
departments whose results they read, with composite foreign keys inside the office and the
same row-level security as every tenant table.

Revision ID: 0036
Revises: 0032
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from saas_platform.core.db import tenant_rls_statements


# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_departments",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "department_id"],
            ["departments.tenant_id", "departments.id"],
            name=op.f("fk_staff_departments_tenant_id_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["staff_users.tenant_id", "staff_users.id"],
            name=op.f("fk_staff_departments_tenant_id_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_staff_departments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "user_id", "department_id", name=op.f("pk_staff_departments")
        ),
    )
    with op.batch_alter_table("staff_departments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_departments_tenant_id_department_id"),
            ["tenant_id", "department_id"],
            unique=False,
        )
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_staff_users_role"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_staff_users_role"), "role IN ('admin', 'analyst', 'manager')"
        )
    if op.get_bind().dialect.name == "postgresql":
        for statement in tenant_rls_statements("staff_departments"):
            op.execute(statement)


def downgrade():
    op.drop_table("staff_departments")
    # A manager becomes an analyst, who reads the whole office: the nearest role there was.
    op.execute("UPDATE staff_users SET role = 'analyst' WHERE role = 'manager'")
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_staff_users_role"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_staff_users_role"), "role IN ('admin', 'analyst')"
        )
