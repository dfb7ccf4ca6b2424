"""Editing a survey definition (the shape of ``default_template.toml``): pure functions on a
copy of the draft's document, and the comparison of a draft with the live version.

Every edit returns a new document that the caller checks with ``check_template`` before it is
stored, so a draft is always well formed except possibly empty.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from tenants.survey.template import InvalidTemplate

FIELD_LABELS = {
    "kind": "rodzaj",
    "text": "treść",
    "help_text": "podpowiedź",
    "required": "wymagalność",
    "not_applicable": "„nie dotyczy”",
    "options": "opcje odpowiedzi",
    "section": "sekcja",
    "translations": "tłumaczenia",
    "title": "tytuł",
    "description": "opis",
    "intro": "wstęp",
    "position": "kolejność",
}


def _questions(data: dict):
    for section in data.get("sections", []):
        yield from ((section, question) for question in section.get("questions", []))


def find_section(data: dict, key: str) -> dict:
    """The section with this key, or ``InvalidTemplate``."""
    for section in data.get("sections", []):
        if section["key"] == key:
            return section
    raise InvalidTemplate(f"W szkicu nie ma sekcji {key!r}.")


def find_question(data: dict, key: str) -> tuple[dict, dict]:
    """(section, question) of the question with this key, or ``InvalidTemplate``."""
    for section, question in _questions(data):
        if question["key"] == key:
            return section, question
    raise InvalidTemplate(f"W szkicu nie ma pytania {key!r}.")


def set_general(data: dict, values: dict) -> dict:
    """The survey's title, intro and their translations."""
    data = copy.deepcopy(data)
    data.update(values)
    return data


def add_section(data: dict, values: dict) -> dict:
    """A new, empty section at the end."""
    data = copy.deepcopy(data)
    if any(s["key"] == values["key"] for s in data.get("sections", [])):
        raise InvalidTemplate(f"Klucz sekcji {values['key']!r} powtarza się.")
    data.setdefault("sections", []).append({**values, "questions": []})
    return data


def update_section(data: dict, key: str, values: dict) -> dict:
    """New key, title, description or translations of a section; its questions stay."""
    data = copy.deepcopy(data)
    find_section(data, key).update(values)
    return data


def remove_section(data: dict, key: str) -> dict:
    """Drop a section with all its questions."""
    data = copy.deepcopy(data)
    data["sections"] = [s for s in data.get("sections", []) if s["key"] != key]
    return data


def _move(items: list, index: int, step: int) -> bool:
    target = index + step
    if step not in (-1, 1) or not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    return True


def move_section(data: dict, key: str, step: int) -> dict:
    """Move a section one place up (-1) or down (+1)."""
    data = copy.deepcopy(data)
    sections = data["sections"]
    _move(sections, sections.index(find_section(data, key)), step)
    return data


def add_question(data: dict, section_key: str, values: dict) -> dict:
    """A new question at the end of a section."""
    data = copy.deepcopy(data)
    find_section(data, section_key)["questions"].append(values)
    return data


def update_question(data: dict, key: str, values: dict, section_key: str | None = None) -> dict:
    """New values of a question; with ``section_key`` it moves to the end of that section."""
    data = copy.deepcopy(data)
    section, question = find_question(data, key)
    question.clear()
    question.update(values)
    if section_key is not None and section_key != section["key"]:
        target = find_section(data, section_key)
        section["questions"].remove(question)
        target["questions"].append(question)
    return data


def remove_question(data: dict, key: str) -> dict:
    """Drop a question."""
    data = copy.deepcopy(data)
    section, question = find_question(data, key)
    section["questions"].remove(question)
    return data


def move_question(data: dict, key: str, step: int) -> dict:
    """Move a question one place up or down; past a section's edge it joins the neighbour."""
    data = copy.deepcopy(data)
    section, question = find_question(data, key)
    questions = section["questions"]
    index = questions.index(question)
    if _move(questions, index, step):
        return data
    sections = data["sections"]
    neighbour = sections.index(section) + step
    if 0 <= neighbour < len(sections):
        questions.remove(question)
        target = sections[neighbour]["questions"]
        if step < 0:
            target.append(question)
        else:
            target.insert(0, question)
    return data


# -- what a draft changes --------------------------------------------------------------------


@dataclass
class Change:
    key: str
    text: str
    fields: list[str] = field(default_factory=list)


@dataclass
class DraftDiff:
    """What publishing the draft would add, change and remove, by key."""

    survey_fields: list[str] = field(default_factory=list)
    sections_added: list[Change] = field(default_factory=list)
    sections_changed: list[Change] = field(default_factory=list)
    sections_removed: list[Change] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(
            (
                self.survey_fields,
                self.sections_added,
                self.sections_changed,
                self.sections_removed,
                self.added,
                self.changed,
                self.removed,
            )
        )

    def summary(self) -> dict:
        """Keys by kind of change, for the audit log."""
        return {
            "added": [c.key for c in self.added],
            "changed": [c.key for c in self.changed],
            "removed": [c.key for c in self.removed],
        }


def _question_values(question: dict) -> dict:
    kind = question.get("kind", "rating")
    return {
        "kind": kind,
        "text": question["text"],
        "help_text": question.get("help_text", ""),
        "required": bool(question.get("required", False)),
        "not_applicable": kind == "rating" and bool(question.get("not_applicable", True)),
        "options": [(o["key"], o["label"]) for o in question.get("options", [])],
        "translations": question.get("translations") or {},
    }


def _index(data: dict | None) -> tuple[dict, dict]:
    sections, questions = {}, {}
    for position, section in enumerate((data or {}).get("sections", [])):
        sections[section["key"]] = (position, section)
    for position, (section, question) in enumerate(_questions(data or {})):
        questions[question["key"]] = (position, section["key"], question)
    return sections, questions


def diff_definitions(live: dict | None, draft: dict) -> DraftDiff:
    """Compare a draft with the live definition (None: nothing is live)."""
    diff = DraftDiff()
    for name in ("title", "intro", "translations"):
        if live is not None and (live.get(name) or "") != (draft.get(name) or ""):
            diff.survey_fields.append(FIELD_LABELS[name])
    live_sections, live_questions = _index(live)
    draft_sections, draft_questions = _index(draft)
    for key, (position, section) in draft_sections.items():
        if key not in live_sections:
            diff.sections_added.append(Change(key, section["title"]))
            continue
        old_position, old = live_sections[key]
        fields = [
            FIELD_LABELS[name]
            for name in ("title", "description", "translations")
            if (old.get(name) or "") != (section.get(name) or "")
        ]
        if old_position != position:
            fields.append(FIELD_LABELS["position"])
        if fields:
            diff.sections_changed.append(Change(key, section["title"], fields))
    for key, (_, section) in live_sections.items():
        if key not in draft_sections:
            diff.sections_removed.append(Change(key, section["title"]))
    for key, (position, section_key, question) in draft_questions.items():
        if key not in live_questions:
            diff.added.append(Change(key, question["text"]))
            continue
        old_position, old_section_key, old = live_questions[key]
        new_values, old_values = _question_values(question), _question_values(old)
        fields = [FIELD_LABELS[n] for n in new_values if new_values[n] != old_values[n]]
        if old_section_key != section_key:
            fields.append(FIELD_LABELS["section"])
        elif old_position != position:
            fields.append(FIELD_LABELS["position"])
        if fields:
            diff.changed.append(Change(key, question["text"], fields))
    for key, (_, _, question) in live_questions.items():
        if key not in draft_questions:
            diff.removed.append(Change(key, question["text"]))
    return diff


# -- translations from the template ----------------------------------------------------------


def _fill(target: dict, source: dict, names: tuple[str, ...]) -> int:
    """Copy into ``target`` the translations of ``source`` that ``target`` lacks, for each text
    in ``names`` whose Polish is the same in both (so the translation still fits). Counted."""
    copied = 0
    for name in names:
        if not target.get(name) or target.get(name) != source.get(name):
            continue
        for language, texts in (source.get("translations") or {}).items():
            if not texts.get(name):
                continue
            own = target.setdefault("translations", {}).setdefault(language, {})
            if not own.get(name):
                own[name] = texts[name]
                copied += 1
    return copied


def _fill_options(target: dict, source: dict) -> int:
    labels = {o["key"]: o["label"] for o in source.get("options", [])}
    copied = 0
    for language, texts in (source.get("translations") or {}).items():
        for option in target.get("options", []):
            translated = (texts.get("options") or {}).get(option["key"])
            if not translated or labels.get(option["key"]) != option["label"]:
                continue
            own = target.setdefault("translations", {}).setdefault(language, {})
            own_options = own.setdefault("options", {})
            if not own_options.get(option["key"]):
                own_options[option["key"]] = translated
                copied += 1
    return copied


def import_translations(data: dict, template: dict) -> tuple[dict, int]:
    """The draft with the template's English and Ukrainian added where a text of the draft has
    none and its Polish is still the template's (matched by key): an office's own wording is
    never given a translation of another text. Returns the new document and how many texts
    it gained."""
    data = copy.deepcopy(data)
    copied = _fill(data, template, ("title", "intro"))
    template_sections = {s["key"]: s for s in template.get("sections", [])}
    template_questions = {q["key"]: q for _, q in _questions(template)}
    for section in data.get("sections", []):
        if section["key"] in template_sections:
            copied += _fill(section, template_sections[section["key"]], ("title", "description"))
        for question in section.get("questions", []):
            source = template_questions.get(question["key"])
            if source is not None:
                copied += _fill(question, source, ("text", "help_text"))
                copied += _fill_options(question, source)
    return data, copied
