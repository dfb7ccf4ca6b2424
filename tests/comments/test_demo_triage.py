"""The demo offices show triage at work: older comments carry topics and a status, the last
two weeks' stay "nowy", and each office's rows are its own."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from saas_platform.core.db import db
from saas_platform.core.tenancy import tenant_scope
from saas_platform.demo import COMMENT_TOPICS, DEMO_UNTRIAGED_DAYS, create_demo_offices
from tenants.comments.models import CommentTopic, CommentTopicLink, CommentTriage
from tenants.comments.services import topic_counts
from tenants.reports.comments import comment_count
from tenants.survey.filters import Filters
from tenants.survey.models import Response


def test_demo_offices_have_older_comments_triaged_and_recent_ones_new(app):
    with app.app_context():
        offices = [tenant for tenant, _ in create_demo_offices(400, seed=3)]
        assert len(offices) >= 2
        for tenant in offices:
            with tenant_scope(tenant):
                today = tenant.today()
                triaged_days = db.session.scalars(
                    select(Response.answered_on).join(
                        CommentTriage, CommentTriage.response_id == Response.id
                    )
                ).all()
                assert triaged_days, tenant.slug
                assert max(triaged_days) < today - timedelta(days=DEMO_UNTRIAGED_DAYS)
                links = db.session.execute(
                    select(CommentTopicLink.tenant_id, CommentTopic.name).join(
                        CommentTopic, CommentTopic.id == CommentTopicLink.topic_id
                    )
                ).all()
                assert {tenant_id for tenant_id, _ in links} == {tenant.id}
                assert {name for _, name in links} <= {
                    n for names in COMMENT_TOPICS.values() for n in names
                }
                counts = topic_counts(Filters(min(triaged_days), today))
                assert sum(t.count for t in counts.topics) >= len(triaged_days) > 0
                # The last two weeks' comments are all still "nowy" (a few, or none, in a
                # small demo: the count is drawn at random).
                recent = Filters(today - timedelta(days=DEMO_UNTRIAGED_DAYS - 1), today)
                recent_comments = comment_count(recent)
                assert topic_counts(recent).by_status["new"] == recent_comments
                assert counts.by_status["new"] >= recent_comments
                assert db.session.scalar(select(func.count()).select_from(CommentTriage)) == len(
                    triaged_days
                )
        db.session.commit()
