"""The survey editor in the panel: admins edit the one draft, preview it, compare it with the
live version and publish it; analysts may look."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import refresh
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from saas_platform.core.db import db, is_id
from saas_platform.core.tenancy import current_tenant
from tenants.accounts.services import staff_recipients
from tenants.office import survey_editor as editor
from tenants.panel.blueprint import admin_required, bp
from tenants.panel.survey_forms import KIND_LABELS, GeneralForm, QuestionForm, SectionForm
from tenants.reports.services import pre_change_period
from tenants.reports.tasks import send_report_tasks
from tenants.survey import drafts
from tenants.survey.cache import survey_state
from tenants.survey.languages import DEFAULT_LANGUAGE, LANGUAGES
from tenants.survey.template import LANGUAGE_NAMES, InvalidTemplate

STEPS = {"gora": -1, "dol": 1}


def _draft_or_redirect():
    draft = editor.current_draft(lock=request.method == "POST")
    if draft is None:
        flash("Nie ma szkicu: utwórz go z aktualnej wersji albo z szablonu domyślnego.", "error")
        abort(redirect(url_for("panel.survey_editor")))
    return draft


def _step() -> int:
    step = STEPS.get(request.form.get("kierunek", ""))
    if step is None:
        abort(400)
    return step


def _apply(draft, change, what: str, key: str | None, done: str):
    """Apply an edit and commit; a refused edit goes back to the editor with its reason."""
    try:
        editor.edit_draft(draft, change, what, key)
    except InvalidTemplate as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("panel.survey_editor"))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("panel.survey_editor"))


@bp.get("/ankieta")
def survey_editor():
    """The live version, the draft's outline with its actions, and what it would change."""
    draft = editor.current_draft()
    return render_template(
        "panel/survey_editor.html",
        live=editor.live_version(),
        draft=draft,
        draft_version=editor.draft_preview(draft) if draft else None,
        translation_languages=LANGUAGE_NAMES,
        diff=editor.draft_diff(draft) if draft else None,
        kinds=KIND_LABELS,
        section_form=SectionForm(formdata=None),
    )


DRAFT_STARTED = {
    "live": "Utworzono szkic z aktualnej wersji ankiety.",
    "template": "Utworzono szkic z szablonu domyślnego (ankieta pełna). Opublikuj go, aby "
    "zmienić szablon; przed publikacją powstanie raport „przed zmianą ankiety”.",
    "short": "Utworzono szkic z szablonu „Ankieta krótka”. Opublikuj go, aby zmienić szablon; "
    "przed publikacją powstanie raport „przed zmianą ankiety”.",
}


@bp.post("/ankieta/szkic")
@admin_required
def survey_draft_start():
    """Start (or replace) the draft from the live version, the full (default) template or the
    short one; switching templates is published like any draft, pre-change report first."""
    source = {"aktualna": "live", "szablon": "template", "krotka": "short"}.get(
        request.form.get("zrodlo", "")
    )
    if source is None:
        abort(400)
    try:
        editor.start_draft(source)
    except InvalidTemplate as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("panel.survey_editor"))
    db.session.commit()
    flash(DRAFT_STARTED[source], "success")
    return redirect(url_for("panel.survey_editor"))


@bp.post("/ankieta/szkic/tlumaczenia")
@admin_required
def survey_draft_import_translations():
    """Fill the draft's missing English and Ukrainian texts from the default template."""
    try:
        copied = editor.import_template_translations()
    except InvalidTemplate as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("panel.survey_editor"))
    db.session.commit()
    flash(
        f"Uzupełniono tłumaczenia z szablonu domyślnego (tekstów: {copied}). Zmiana jest w "
        "szkicu: mieszkańcy zobaczą ją po publikacji."
        if copied
        else "Szablon domyślny nie ma tłumaczeń, których brakuje w szkicu (teksty zmienione "
        "przez urząd trzeba przetłumaczyć samodzielnie).",
        "success",
    )
    return redirect(url_for("panel.survey_editor"))


@bp.post("/ankieta/szkic/usun")
@admin_required
def survey_draft_discard():
    """Throw the draft away."""
    editor.discard_draft(_draft_or_redirect())
    db.session.commit()
    flash("Usunięto szkic. Ankieta w aktualnej wersji działa bez zmian.", "success")
    return redirect(url_for("panel.survey_editor"))


@bp.route("/ankieta/szkic/ogolne", methods=["GET", "POST"])
@admin_required
def survey_draft_general():
    """The survey's title and intro, with their translations."""
    draft = _draft_or_redirect()
    form = GeneralForm()
    if form.validate_on_submit():
        try:
            values = form.values()
            editor.edit_draft(draft, lambda d: drafts.set_general(d, values), "general")
        except InvalidTemplate as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash("Zapisano tytuł i wstęp szkicu.", "success")
            return redirect(url_for("panel.survey_editor"))
    elif request.method == "GET":
        form.title.data = draft.definition["title"]
        form.intro.data = draft.definition.get("intro", "")
        form.fill_translations(draft.definition.get("translations") or {})
    return _edit_page("panel/survey_general.html", form, "Tytuł i wstęp")


def _edit_page(template: str, form, heading: str, **context):
    status = 422 if (form.errors or form.form_errors) else 200
    return render_template(template, form=form, heading=heading, **context), status


@bp.post("/ankieta/szkic/sekcje")
@admin_required
def survey_section_add():
    """A new, empty section at the end of the draft."""
    draft = _draft_or_redirect()
    form = SectionForm()
    if not form.validate():
        abort(400)
    values = form.values()
    return _apply(
        draft,
        lambda d: drafts.add_section(d, values),
        "section.add",
        values["key"],
        f"Dodano sekcję „{values['title']}”.",
    )


@bp.route("/ankieta/szkic/sekcje/<key>", methods=["GET", "POST"])
@admin_required
def survey_section_edit(key: str):
    """A section's key, title, description and translations."""
    draft = _draft_or_redirect()
    try:
        section = drafts.find_section(draft.definition, key)
    except InvalidTemplate:
        abort(404)
    form = SectionForm()
    if form.validate_on_submit():
        values = form.values()
        try:
            editor.edit_draft(
                draft, lambda d: drafts.update_section(d, key, values), "section.update", key
            )
        except InvalidTemplate as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Zapisano sekcję „{values['title']}”.", "success")
            return redirect(url_for("panel.survey_editor"))
    elif request.method == "GET":
        form.key.data, form.title.data = section["key"], section["title"]
        form.description.data = section.get("description", "")
        form.fill_translations(section.get("translations") or {})
    return _edit_page(
        "panel/survey_section.html", form, f"Sekcja „{section['title']}”", section=section
    )


@bp.post("/ankieta/szkic/sekcje/<key>/przesun")
@admin_required
def survey_section_move(key: str):
    """Move a section one place up or down."""
    draft, step = _draft_or_redirect(), _step()
    return _apply(
        draft, lambda d: drafts.move_section(d, key, step), "section.move", key, "Przesunięto."
    )


@bp.post("/ankieta/szkic/sekcje/<key>/usun")
@admin_required
def survey_section_remove(key: str):
    """Remove a section and its questions from the draft."""
    draft = _draft_or_redirect()
    return _apply(
        draft,
        lambda d: drafts.remove_section(d, key),
        "section.remove",
        key,
        "Usunięto sekcję z jej pytaniami.",
    )


def _question_form(draft, section_key: str | None = None) -> QuestionForm:
    form = QuestionForm()
    form.section.choices = [(s["key"], s["title"]) for s in draft.definition["sections"]]
    if request.method == "GET" and section_key:
        form.section.data = section_key
    return form


@bp.route("/ankieta/szkic/sekcje/<key>/pytania", methods=["GET", "POST"])
@admin_required
def survey_question_add(key: str):
    """A new question at the end of a section."""
    draft = _draft_or_redirect()
    try:
        drafts.find_section(draft.definition, key)
    except InvalidTemplate:
        abort(404)
    form = _question_form(draft, key)
    if request.method == "GET":
        form.required.data = False
        form.not_applicable.data = True
    elif form.validate_on_submit():
        target = form.section.data
        try:
            values = form.values()
            editor.edit_draft(
                draft,
                lambda d: drafts.add_question(d, target, values),
                "question.add",
                values["key"],
            )
        except InvalidTemplate as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Dodano pytanie „{values['text']}”.", "success")
            return redirect(url_for("panel.survey_editor"))
    return _edit_page("panel/survey_question.html", form, "Nowe pytanie")


@bp.route("/ankieta/szkic/pytania/<key>", methods=["GET", "POST"])
@admin_required
def survey_question_edit(key: str):
    """Everything about one question: key, kind, texts, options, translations, section."""
    draft = _draft_or_redirect()
    try:
        section, question = drafts.find_question(draft.definition, key)
    except InvalidTemplate:
        abort(404)
    form = _question_form(draft)
    if form.validate_on_submit():
        target = form.section.data
        try:
            values = form.values()
            editor.edit_draft(
                draft,
                lambda d: drafts.update_question(d, key, values, target),
                "question.update",
                key,
            )
        except InvalidTemplate as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Zapisano pytanie „{values['text']}”.", "success")
            return redirect(url_for("panel.survey_editor"))
    elif request.method == "GET":
        form.fill(question)
        form.section.data = section["key"]
    return _edit_page(
        "panel/survey_question.html", form, f"Pytanie „{question['text']}”", question=question
    )


@bp.post("/ankieta/szkic/pytania/<key>/przesun")
@admin_required
def survey_question_move(key: str):
    """Move a question one place up or down (into the neighbouring section at an edge)."""
    draft, step = _draft_or_redirect(), _step()
    return _apply(
        draft, lambda d: drafts.move_question(d, key, step), "question.move", key, "Przesunięto."
    )


@bp.post("/ankieta/szkic/pytania/<key>/usun")
@admin_required
def survey_question_remove(key: str):
    """Remove a question from the draft (its results so far stay in dashboards and reports)."""
    draft = _draft_or_redirect()
    return _apply(
        draft,
        lambda d: drafts.remove_question(d, key),
        "question.remove",
        key,
        "Usunięto pytanie ze szkicu.",
    )


@bp.get("/ankieta/podglad")
def survey_preview():
    """The draft exactly as residents will see it (it cannot be sent)."""
    draft = editor.current_draft()
    if draft is None:
        return redirect(url_for("panel.survey_editor"))
    language = request.args.get("lang", DEFAULT_LANGUAGE)
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    version = editor.draft_preview(draft).localized(language)
    g.language = version.language  # the interface texts too, as the resident would see them
    refresh()
    return render_template(
        "panel/survey_preview.html",
        version=version,
        departments=survey_state().departments,
        values=MultiDict(),
        errors=[],
        language=language,
    )


@bp.route("/ankieta/publikuj", methods=["GET", "POST"])
@admin_required
def survey_publish():
    """Confirm, then: the pre-change report, and the draft as the new live version."""
    draft = editor.current_draft()
    if request.method == "POST":
        revision = request.form.get("wersja_szkicu", "")
        if not is_id(revision):
            abort(400)
        try:
            published = editor.publish_draft(
                int(revision),
                current_tenant.today(),
                current_user.id,
                staff_recipients(),
            )
        except editor.PublishConflict as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("panel.survey_editor")), 303
        except InvalidTemplate as exc:
            db.session.rollback()
            flash(f"Nie można opublikować szkicu: {exc}", "error")
            return redirect(url_for("panel.survey_editor")), 303
        db.session.commit()
        send_report_tasks(published.report)
        flash(
            f"Opublikowano wersję {published.version.number} ankiety. Raport wyników "
            "poprzedniej wersji jest przygotowywany i pojawi się na liście raportów.",
            "success",
        )
        return redirect(url_for("panel.survey_editor"))
    if draft is None:
        return redirect(url_for("panel.survey_editor"))
    live = editor.live_version()
    return render_template(
        "panel/survey_publish.html",
        draft=draft,
        live=live,
        diff=editor.draft_diff(draft),
        period=pre_change_period(current_tenant.today()),
    )
