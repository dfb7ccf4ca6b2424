"""Reading a posted survey: every field checked on the server, nothing trusted from the form.

The form is dynamic (its questions come from the published version), so it is validated here
rather than through a WTForms class; CSRF is still Flask-WTF's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import is_id
from saas_platform.core.text import RefusedCharacter, clean_text, code_point
from tenants.survey.definition import VersionDef

# The "Oceń Urząd" button on an office's website (tenants.outreach.widget): the survey it opens
# in a new tab, or in a dialog on the office's page (a frame; see survey.views._embeddable).
WIDGET_CHANNEL = "widget"
RESIDENT_CHANNELS = ("web", "banner", "qr", "kiosk", WIDGET_CHANNEL)
# The query parameter that opens the survey with a department chosen (a department's QR code).
DEPARTMENT_PARAM = "wydzial"
SERVICE_FIELDS = frozenset(
    {"csrf_token", "submission", "version", "kanal", "website", "started", "kiosk"}
)
SUBMISSION_KEY = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


@dataclass
class FieldError:
    message: str
    field_name: str | None = None  # the input the error summary links to; None: whole form


@dataclass
class SurveySubmission:
    """A checked submission: what ``submit_response`` stores."""

    submission_key: str
    channel: str
    department_id: int | None
    answers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SubmissionCheck:
    submission: SurveySubmission | None
    errors: list[FieldError]


def _refused_message(character: str) -> str:
    # The wording of saas_platform.core.text.refusal_message, in the resident's language.
    return _(
        "Komentarz zawiera niedozwolone znaki sterujące lub specjalne (%(code)s), zwykle "
        "niewidoczne i wklejone razem z tekstem. Usuń je i spróbuj ponownie.",
        code=code_point(character),
    )


def check_submission(
    version: VersionDef,
    form: MultiDict,
    active_department_ids: frozenset[int],
    text_limit: int,
    allowed_channels: tuple[str, ...] = RESIDENT_CHANNELS,
) -> SubmissionCheck:
    """Check a posted form against the published version; collect every problem at once.

    ``allowed_channels`` are the channels the form may name in ``kanal``; the first is the
    default. Residents choose among theirs; staff typing in a paper form pass ``("paper",)``.
    """
    errors: list[FieldError] = []
    fields_by_name = {q.field_name: q for q in version.questions.values()}

    unknown = [name for name in form if name not in SERVICE_FIELDS and name not in fields_by_name]
    if unknown:
        errors.append(FieldError(_("Formularz zawiera pola, których nie ma w tej ankiecie.")))
    for name in SERVICE_FIELDS - {"csrf_token"}:
        if len(form.getlist(name)) > 1:
            errors.append(FieldError(_("Formularz został wysłany w niepoprawnej postaci.")))
            break

    submission_key = form.get("submission", "")
    if not SUBMISSION_KEY.match(submission_key):
        errors.append(
            FieldError(_("Formularz jest niekompletny. Odśwież stronę i spróbuj ponownie."))
        )
    channel = form.get("kanal", allowed_channels[0])
    if channel not in allowed_channels:
        errors.append(FieldError(_("Nieznany sposób wypełnienia ankiety.")))

    answers: list[tuple[str, str]] = []
    department_id: int | None = None
    for question in version.questions.values():
        # Untrimmed: the text policy checks a comment's edges too (strip() would drop a \x0b).
        posted = [v for v in form.getlist(question.field_name) if v.strip()]
        values = [v.strip() for v in posted]
        name = question.field_name
        if not values:
            if question.required:
                errors.append(
                    FieldError(_("Odpowiedz na pytanie: %(text)s", text=question.text), name)
                )
            continue
        if question.kind != "multiple_choice" and len(values) > 1:
            errors.append(
                FieldError(_("Pytanie „%(text)s” ma jedną odpowiedź.", text=question.text), name)
            )
            continue
        if question.kind == "text":
            try:
                text = clean_text(posted[0])
            except RefusedCharacter as refused:
                errors.append(FieldError(_refused_message(refused.character), name))
                continue
            if len(text) > text_limit:
                errors.append(
                    FieldError(
                        _(
                            "Komentarz może mieć najwyżej %(limit)d znaków (wpisano %(length)d).",
                            limit=text_limit,
                            length=len(text),
                        ),
                        name,
                    )
                )
            else:
                answers.append((question.key, text))
        elif question.kind == "department":
            chosen = int(values[0]) if is_id(values[0]) else None
            if chosen not in active_department_ids:
                errors.append(FieldError(_("Wybierz wydział z listy."), name))
            else:
                department_id = chosen
        else:
            if len(set(values)) != len(values) or not set(values) <= question.allowed_values:
                errors.append(
                    FieldError(_("Wybierz odpowiedź z listy: %(text)s", text=question.text), name)
                )
            else:
                answers.extend((question.key, value) for value in values)

    if errors:
        return SubmissionCheck(None, errors)
    return SubmissionCheck(SurveySubmission(submission_key, channel, department_id, answers), [])
