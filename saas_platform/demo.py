"""Demo offices with a living history, so a newcomer's ``make run`` shows a real product.

The responses are random but reproducible (seeded), shaped like real ones: weekdays and office
hours, a few weak areas per office, "nie dotyczy" where it is plausible, some comments.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from saas_platform.core.db import db, utcnow
from saas_platform.core.security import hash_password
from saas_platform.core.tenancy import tenant_scope
from saas_platform.core.tenancy.models import Tenant, local_day
from saas_platform.onboarding import create_tenant
from saas_platform.operator.models import PlatformOperator
from tenants.accounts.models import MANAGER, StaffDepartment, StaffUser
from tenants.actions.models import Action
from tenants.comments.models import CommentTopic, CommentTopicLink, CommentTriage
from tenants.survey.counts import CountKey, Tally, add_counts, response_increments
from tenants.survey.definition import (
    NOT_APPLICABLE,
    OVERALL_QUESTION_KEY,
    RATING_VALUES,
    live_version_id,
    published_version,
)
from tenants.survey.departments import active_departments
from tenants.survey.models import Answer, Department, Response
from tenants.survey.responses import own_score
from tenants.survey.retention import EXACT_TIME_KEPT, date_only

DEMO_OFFICES = [
    {
        "slug": "wolomin",
        "name": "Urząd Miejski w Wołominie",
        "municipality": "Wołomin",
        "teryt": "1434034",
        "address": "ul. Ogrodowa 4, 05-200 Wołomin",
        "contact_email": "urzad@wolomin.example",
        "brand_colour": "#1d4f91",
        "departments": [
            "Biuro Obsługi Interesantów",
            "Urząd Stanu Cywilnego",
            "Wydział Podatków i Opłat Lokalnych",
            "Wydział Architektury i Budownictwa",
            "Wydział Gospodarki Nieruchomościami",
            "Wydział Ochrony Środowiska i Gospodarki Odpadami",
            "Wydział Spraw Obywatelskich",
        ],
        # Wołomin asks the short survey, Sierpc the full one: `make run` shows both.
        "template": "short",
        "weak": {"terminowosc_ogolnie": -1.2, "wizerunek_ogolnie": -0.8, "podejscie_ogolnie": -0.5},
        # Wołomin has filled in its legal pages; Sierpc has not, so its pages say what is
        # missing and its admins see the reminder.
        "a11y_coordinator": "Koordynator ds. dostępności (demo)",
        "a11y_phone": "+48 22 000 00 00",
        "a11y_status": "full",
        "a11y_assessment": "self",
        "a11y_prepared_on": date(2026, 1, 15),
        "controller_name": "Burmistrz Wołomina (demo)",
        "controller_address": "ul. Ogrodowa 4, 05-200 Wołomin",
        "iod_contact": "iod@wolomin.example",
        # Wołomin publishes "Wyniki i zmiany" (/wyniki) with its implemented action; Sierpc
        # keeps the page off, as every office does until it opts in.
        "public_results": True,
    },
    {
        "slug": "sierpc",
        "name": "Urząd Miejski w Sierpcu",
        "municipality": "Sierpc",
        "teryt": "1427011",
        "address": "ul. Piastowska 11a, 09-200 Sierpc",
        "contact_email": "urzad@sierpc.example",
        "brand_colour": "#7a1f2b",
        "departments": [
            "Referat Obsługi Mieszkańców",
            "Urząd Stanu Cywilnego",
            "Referat Finansowy i Podatków",
            "Referat Inwestycji i Rozwoju",
            "Referat Gospodarki Komunalnej",
        ],
        "template": "full",
        "weak": {"strona_internetowa": -1.1, "informacja_o_terminie": -0.8},
    },
]

# Each demo comment with the topics staff would give it (tenants.comments' starting list).
COMMENT_TOPICS = {
    "Bardzo miła obsługa, sprawę załatwiłam od ręki.": ["uprzejmość"],
    "Za mało miejsc parkingowych przy urzędzie.": ["parking"],
    "Długo czekałem w kolejce, przydałby się system numerków online.": ["czas oczekiwania"],
    "Formularze są trudne do zrozumienia dla starszych osób.": ["formularze"],
    "Pani w okienku wszystko cierpliwie wyjaśniła. Dziękuję!": ["uprzejmość", "informacja"],
    "Strona internetowa jest nieczytelna, trudno znaleźć druki.": ["informacja", "formularze"],
    "Sprawnie i kompetentnie.": ["inne"],
    "Proszę o dłuższe godziny pracy w czwartki.": ["godziny otwarcia"],
    "Brak informacji, ile potrwa załatwienie sprawy.": ["informacja", "czas oczekiwania"],
    "Czysto, przyjemnie, dobre oznakowanie pokoi.": ["inne"],
}
COMMENTS = list(COMMENT_TOPICS)
# Comments answered within this many days stay "nowy" in the demo; older ones are triaged.
DEMO_UNTRIAGED_DAYS = 14


# Demo logins, embedded mode only (the command refuses to run in production): known to anyone
# who reads this file, which is the point of a demo and the reason they never go further.
DEMO_PASSWORD = "demo-satysfakcja"
DEMO_STAFF = (("admin", "Administrator (demo)"), ("analyst", "Analityk (demo)"))
# A department manager's demo login, at the offices named here, leading these departments.
DEMO_MANAGER_NAME = "Kierownik wydziału (demo)"
DEMO_MANAGER_DEPARTMENTS = {
    "wolomin": ("Biuro Obsługi Interesantów", "Wydział Podatków i Opłat Lokalnych"),
}
DEMO_OPERATOR_EMAIL = "operator@demo.example"
DEMO_TOTP_SECRET = "DEMODEMODEMODEMODEMODEMODEMODEMO"  # base32; any authenticator app takes it


def demo_staff_email(role: str, slug: str) -> str:
    """The demo login of ``role`` at the demo office ``slug``."""
    return f"{role}@{slug}.example"


def demo_roles(slug: str) -> list[str]:
    """The roles with a demo login at the demo office ``slug``."""
    roles = [role for role, _ in DEMO_STAFF]
    return roles + ([MANAGER] if slug in DEMO_MANAGER_DEPARTMENTS else [])


def ensure_demo_logins(tenant: Tenant) -> None:
    """The demo office's admin and analyst (and manager, at the offices that have one), with
    ``DEMO_PASSWORD``, unless they exist."""
    with tenant_scope(tenant):
        _ensure_demo_manager(tenant)
        for role, name in DEMO_STAFF:
            email = demo_staff_email(role, tenant.slug)
            if db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is None:
                db.session.add(
                    StaffUser(
                        email=email,
                        role=role,
                        name=name,
                        password_hash=hash_password(DEMO_PASSWORD),
                    )
                )
        db.session.flush()


def _ensure_demo_manager(tenant: Tenant) -> None:
    names = DEMO_MANAGER_DEPARTMENTS.get(tenant.slug)
    email = demo_staff_email(MANAGER, tenant.slug)
    if not names or db.session.scalar(select(StaffUser.id).where(StaffUser.email == email)):
        return
    departments = db.session.scalars(select(Department.id).where(Department.name.in_(names)))
    manager = StaffUser(
        email=email,
        role=MANAGER,
        name=DEMO_MANAGER_NAME,
        password_hash=hash_password(DEMO_PASSWORD),
    )
    manager.department_links = [StaffDepartment(department_id=d) for d in departments]
    db.session.add(manager)


def ensure_demo_operator() -> PlatformOperator:
    """The demo operator, enrolled with ``DEMO_PASSWORD`` and ``DEMO_TOTP_SECRET``."""
    operator = db.session.scalar(
        select(PlatformOperator).where(PlatformOperator.email == DEMO_OPERATOR_EMAIL)
    )
    if operator is None:
        operator = PlatformOperator(
            email=DEMO_OPERATOR_EMAIL,
            password_hash=hash_password(DEMO_PASSWORD),
            totp_secret=DEMO_TOTP_SECRET,
        )
        db.session.add(operator)
        db.session.flush()
    return operator


def create_demo_offices(responses_per_office: int, seed: int) -> Iterator[tuple[Tenant, bool]]:
    """Create each demo office that does not exist yet and fill it with responses; commits."""
    for spec in DEMO_OFFICES:
        existing = db.session.scalar(select(Tenant).where(Tenant.slug == spec["slug"]))
        if existing is not None:
            ensure_demo_logins(existing)
            db.session.commit()
            yield existing, False
            continue
        details = {k: v for k, v in spec.items() if k not in ("slug", "name", "weak")}
        tenant = create_tenant(spec["slug"], spec["name"], **details)
        with tenant_scope(tenant):
            _add_demo_responses(
                tenant, spec["weak"], responses_per_office, _seeded(seed, tenant, "responses")
            )
            _add_demo_actions(tenant, list(spec["weak"]), publish_done=tenant.public_results)
            _add_demo_triage(tenant, _seeded(seed, tenant, "triage"))
        ensure_demo_logins(tenant)
        db.session.commit()
        yield tenant, True


def _seeded(seed: int, tenant: Tenant, part: str) -> random.Random:
    """A generator for one part of an office's demo data, from the seed and the office's slug
    (not its id, which depends on what the database held before): the same demo every time."""
    return random.Random(f"{seed}:{tenant.slug}:{part}")


def _add_demo_triage(tenant: Tenant, rng: random.Random) -> None:
    """Comments older than two weeks with their topics and a status, as staff would leave
    them; the recent ones stay "nowy"."""
    topics = {t.name: t.id for t in db.session.scalars(select(CommentTopic))}
    rows = db.session.execute(
        select(Answer.response_id, Answer.question_key, Answer.value)
        .join(Response, Response.id == Answer.response_id)
        .where(
            Answer.value.in_(COMMENTS),
            Response.answered_on < tenant.today() - timedelta(days=DEMO_UNTRIAGED_DAYS),
        )
    ).all()
    if not rows:
        return
    statuses = ("read", "forwarded", "resolved")
    triage_ids = db.session.scalars(
        insert(CommentTriage).returning(CommentTriage.id, sort_by_parameter_order=True),
        [
            {
                "tenant_id": tenant.id,
                "response_id": response_id,
                "question_key": key,
                "status": rng.choice(statuses),
                "updated_at": utcnow(),
            }
            for response_id, key, _ in rows
        ],
    ).all()
    db.session.execute(
        insert(CommentTopicLink),
        [
            {"tenant_id": tenant.id, "triage_id": triage_id, "topic_id": topics[name]}
            for triage_id, (_, _, text) in zip(triage_ids, rows, strict=True)
            for name in COMMENT_TOPICS[text]
            if name in topics
        ],
    )


def _add_demo_actions(tenant: Tenant, weak_keys: list[str], publish_done: bool) -> None:
    """A small action register about the office's weak items: one in progress, one overdue,
    one implemented two months ago (so its effect shows), published on the office's
    "Wyniki i zmiany" page when ``publish_done``."""
    today = tenant.today()
    first, second = weak_keys[0], weak_keys[-1]
    db.session.add_all(
        [
            Action(
                title="Drugie stanowisko obsługi w godzinach szczytu",
                description="Od 8:00 do 11:00 sprawy przyjmują dwie osoby.",
                kind="corrective",
                item_keys=[first],
                department_ids=[],
                responsible_text="Sekretarz",
                planned_start=today - timedelta(days=20),
                due_date=today + timedelta(days=40),
                status="in_progress",
            ),
            Action(
                title="Nowe oznakowanie wejścia i pomieszczeń",
                kind="improvement",
                item_keys=[first],
                department_ids=[],
                responsible_text="Referat Administracyjny",
                due_date=today - timedelta(days=10),
                status="planned",
            ),
            Action(
                title="Prostszy formularz wniosku",
                description="Wniosek mieści się na jednej stronie, a obok leży wzór wypełnienia.",
                kind="corrective",
                item_keys=[second],
                department_ids=[],
                responsible_text="Referat Organizacyjny",
                due_date=today - timedelta(days=70),
                implemented_on=today - timedelta(days=60),
                status="done",
                published=publish_done,
            ),
        ]
    )
    db.session.flush()


def _random_moment(rng: random.Random, now: datetime, zone: ZoneInfo) -> datetime:
    while True:
        day = (now - timedelta(days=rng.randrange(730))).astimezone(zone)
        if day.weekday() < 5 or rng.random() < 0.05:
            break
    local = day.replace(
        hour=rng.randrange(8, 16), minute=rng.randrange(60), second=rng.randrange(60)
    )
    return min(local.astimezone(UTC), now)


def _rating(rng: random.Random, centre: float) -> str:
    return str(max(1, min(5, round(rng.gauss(centre, 0.9)))))


def _overall_following_items(
    answers: list[tuple[str, str]], weak: dict[str, float], rng: random.Random
) -> list[tuple[str, str]]:
    """The answers with the overall rating replaced by a weighted mean of the item ratings
    (weak items weigh three times as much) and some noise."""
    weighted = [
        (int(value), 3.0 if key in weak else 1.0)
        for key, value in answers
        if key != OVERALL_QUESTION_KEY and value in RATING_VALUES
    ]
    if not weighted:
        return answers
    mean = sum(v * w for v, w in weighted) / sum(w for _, w in weighted)
    overall = str(max(1, min(5, round(rng.gauss(mean, 0.5)))))
    return [(k, overall if k == OVERALL_QUESTION_KEY else v) for k, v in answers]


def _add_demo_responses(tenant: Tenant, weak: dict[str, float], count: int, rng: random.Random):
    version = published_version(live_version_id())
    # a survey without the department question (the short one) records no department
    departments = [d.id for d in active_departments()] if version.department_question else []
    zone = ZoneInfo(tenant.timezone)
    now = datetime.now(UTC)
    channels = ["web"] * 55 + ["qr"] * 20 + ["banner"] * 15 + ["paper"] * 10
    centre = {key: 4.1 + weak.get(key, 0.0) + rng.uniform(-0.3, 0.3) for key in version.questions}

    # The overall rating follows the items, the weak ones most, so "Priorytety" has a story to
    # tell; its own generator leaves the rest of the demo as it was.
    overall_rng = _seeded(0, tenant, "overall")
    responses, answers_per_response = [], []
    counts: dict[CountKey, Tally] = {}
    for _ in range(count):
        submitted = _random_moment(rng, now, zone)
        department = rng.choice(departments) if departments and rng.random() < 0.8 else None
        channel = rng.choice(channels)
        answers = []
        for question in version.questions.values():
            if question.kind == "rating":
                if question.allow_not_applicable and rng.random() < 0.07:
                    answers.append((question.key, NOT_APPLICABLE))
                elif question.required or rng.random() < 0.93:
                    answers.append((question.key, _rating(rng, centre[question.key])))
            elif question.kind in ("single_choice", "yes_no") and rng.random() < 0.75:
                answers.append((question.key, rng.choice(question.choices)[0]))
            elif question.kind == "multiple_choice" and rng.random() < 0.6:
                picked = rng.sample(question.choices, k=rng.randint(1, 2))
                answers.extend((question.key, value) for value, _ in picked)
            elif question.kind == "text" and rng.random() < 0.12:
                answers.append((question.key, rng.choice(COMMENTS)))
        if version.overall_question is not None:
            answers = _overall_following_items(answers, weak, overall_rng)
        day = local_day(submitted, tenant.timezone)
        responses.append(
            {
                "tenant_id": tenant.id,
                "version_id": version.id,
                "department_id": department,
                "channel": channel,
                "submission_key": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                # as the daily retention task leaves it: older than 48 h, the day only
                "submitted_at": submitted if now - submitted < EXACT_TIME_KEPT else date_only(day),
                "answered_on": day,
                **dict(zip(("score", "lowest_rating"), own_score(version, answers), strict=True)),
            }
        )
        answers_per_response.append(answers)
        for key, tally in response_increments(version, answers, department, channel, day).items():
            counts[key] = counts.get(key, Tally(0)).plus(tally)

    ids = db.session.scalars(
        insert(Response).returning(Response.id, sort_by_parameter_order=True), responses
    ).all()
    answer_rows = [
        {"tenant_id": tenant.id, "response_id": rid, "question_key": key, "value": value}
        for rid, answers in zip(ids, answers_per_response, strict=True)
        for key, value in answers
    ]
    db.session.execute(insert(Answer), answer_rows)
    add_counts(tenant.id, counts)
