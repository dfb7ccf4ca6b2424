"""The tenant registry: offices and the custom domains they are reached at."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from saas_platform.core.db import Model, TenantScoped, UTCDateTime, utcnow

TENANT_STATUSES = ("active", "suspended")
# The accessibility statement's compliance status (the law's three) and how it was assessed;
# "" until the office says.
A11Y_STATUSES = ("", "full", "partial", "none")
# The comment appendix of the office's reports: none (a report that may be published), the
# number of comments per triage topic only, or the newest comments (up to the report's limit).
REPORT_COMMENT_CHOICES = ("none", "topics", "newest")
A11Y_ASSESSMENTS = ("", "self", "external")


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar day of ``moment`` in ``timezone`` (an office's)."""
    return moment.astimezone(ZoneInfo(timezone)).date()


class Tenant(Model):
    """A municipal office ("Urząd"). The registry itself is not tenant-scoped."""

    __tablename__ = "tenants"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {TENANT_STATUSES!r}", name="status"),
        sa.CheckConstraint("length(brand_colour) = 7", name="brand_colour_length"),
        sa.CheckConstraint("length(slug) BETWEEN 2 AND 63", name="slug_length"),
        sa.CheckConstraint("score_threshold BETWEEN 0 AND 100", name="score_threshold_range"),
        sa.CheckConstraint(
            "retention_years IS NULL OR retention_years BETWEEN 1 AND 20",
            name="retention_years_range",
        ),
        sa.CheckConstraint(f"a11y_status IN {A11Y_STATUSES!r}", name="a11y_status"),
        sa.CheckConstraint(
            f"report_comments IN {REPORT_COMMENT_CHOICES!r}", name="report_comments"
        ),
        sa.CheckConstraint(f"a11y_assessment IN {A11Y_ASSESSMENTS!r}", name="a11y_assessment"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    municipality: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    teryt: Mapped[str] = mapped_column(sa.String(7), default="", server_default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    brand_colour: Mapped[str] = mapped_column(
        sa.String(7), default="#1d4f91", server_default="#1d4f91"
    )
    # Deferred: the tenant row is read on every request, the logo only by /logo and reports.
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    logo_mime_type: Mapped[str | None] = mapped_column(sa.String(20))
    timezone: Mapped[str] = mapped_column(
        sa.String(64), default="Europe/Warsaw", server_default="Europe/Warsaw"
    )
    status: Mapped[str] = mapped_column(sa.String(16), default="active", server_default="active")
    # Why the operator suspended the office: shown to its staff on every panel page.
    suspension_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # First steps of a new office that no other row shows (posters downloaded, banner placed):
    # step -> when (ISO, UTC). See tenants.office.first_steps.
    first_steps: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict, server_default="{}")
    # Items whose index (0-100) falls under this are flagged on the dashboard and in reports.
    score_threshold: Mapped[int] = mapped_column(default=75, server_default="75")
    report_recipients: Mapped[list[str]] = mapped_column(sa.JSON, default=list, server_default="[]")
    # The public "Wyniki i zmiany" page for residents (tenants.reports.public): opt-in.
    public_results: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The yearly report always comes; an office may add "quarterly" and/or "monthly".
    extra_report_frequencies: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default="[]"
    )
    # Residents' comments in the office's reports (REPORT_COMMENT_CHOICES): none by default,
    # since comments can carry personal data and a report may be published.
    report_comments: Mapped[str] = mapped_column(
        sa.String(10), default="none", server_default="none"
    )
    # Raw responses older than this many years are deleted (their counts stay); None: kept.
    retention_years: Mapped[int | None] = mapped_column()
    # The accessibility statement: what only the office knows (the rest comes from the
    # office's data and the platform). tenants.survey.statement says what is still missing.
    a11y_coordinator: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    a11y_email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    a11y_phone: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    a11y_status: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")
    a11y_shortcomings: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    a11y_assessment: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")
    a11y_auditor: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    a11y_prepared_on: Mapped[date | None] = mapped_column(sa.Date)
    a11y_reviewed_on: Mapped[date | None] = mapped_column(sa.Date)
    a11y_architecture: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The privacy notice: the data controller and its data protection officer (IOD).
    controller_name: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    controller_address: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    iod_contact: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    # Bumped whenever the office's data, departments or survey versions change (see
    # tenants.survey.cache): what the survey page caches is keyed by it.
    survey_revision: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def today(self) -> date:
        """Today in the office's timezone: the day its answers count on now, and what "this
        year" means to its staff (in the hour after its midnight the UTC date is yesterday)."""
        return local_day(utcnow(), self.timezone)

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def has_logo(self) -> bool:
        """Whether a logo is set, without loading the (deferred) image."""
        return self.logo_mime_type is not None

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"


class TenantDomain(TenantScoped, Model):
    """A custom domain (e.g. ankieta.wolomin.pl) that serves one office.

    The platform subdomain ``<slug>.<PLATFORM_DOMAIN>`` needs no row: it follows the slug, so
    the same database serves ``wolomin.localhost`` in development and the real domain in
    production.
    """

    __tablename__ = "tenant_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(253), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
