"""The default template ships complete in Polish, English and Ukrainian."""

from __future__ import annotations

import tomllib

from tenants.survey.definition import version_from_definition
from tenants.survey.template import DEFAULT_TEMPLATE, default_template

LANGUAGES = ("en", "uk")


def _texts(data: dict):
    """(where, Polish text, {language: translation}) of every text of a definition."""

    def translated(item: dict, name: str) -> dict:
        return {
            lang: (item.get("translations", {}).get(lang) or {}).get(name) for lang in LANGUAGES
        }

    for name in ("title", "intro"):
        yield f"survey {name}", data[name], translated(data, name)
    for section in data["sections"]:
        for name in ("title", "description"):
            if section.get(name):
                yield f"{section['key']} {name}", section[name], translated(section, name)
        for question in section["questions"]:
            for name in ("text", "help_text"):
                if question.get(name):
                    yield f"{question['key']} {name}", question[name], translated(question, name)
            for option in question.get("options", []):
                labels = {
                    lang: (question["translations"][lang].get("options") or {}).get(option["key"])
                    for lang in LANGUAGES
                }
                yield f"{question['key']} option {option['key']}", option["label"], labels


def test_every_text_of_the_default_template_is_in_polish_english_and_ukrainian():
    with DEFAULT_TEMPLATE.open("rb") as fh:
        data = tomllib.load(fh)
    texts = list(_texts(data))
    assert len(texts) >= 60  # 32 questions, 8 sections, 17 options, title and intro
    for where, polish, translations in texts:
        assert polish.strip(), where
        for language, text in translations.items():
            assert text and text.strip(), f"{where}: no {language} text"
            assert text != polish, f"{where}: the {language} text is the Polish one"
    ukrainian = " ".join(t["uk"] for _, _, t in texts)
    assert not set("ąćęłńóśźż") & set(ukrainian.lower())  # no Polish left in the Ukrainian


def test_the_default_template_is_complete_in_every_language_residents_can_choose():
    version = version_from_definition(default_template(), 0, 0, 1)
    assert version.languages_complete == {"en", "uk"}
    assert version.missing_texts("en") == [] and version.missing_texts("uk") == []
