"""Forms of the survey editor. They read and tidy what was posted; the rules (keys, limits,
options) are checked once, on the whole definition, by ``tenants.survey.template``."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from saas_platform.core.tenancy.services import suggest_slug
from saas_platform.core.text import normalise_text, one_line
from tenants.survey.models import TRANSLATION_LANGUAGES
from tenants.survey.template import CHOICE_KINDS, InvalidTemplate

KIND_LABELS = {
    "rating": "ocena w skali 1–5",
    "single_choice": "wybór jednej odpowiedzi",
    "multiple_choice": "wybór wielu odpowiedzi",
    "yes_no": "tak / nie",
    "text": "odpowiedź opisowa",
    "department": "wybór wydziału",
}


# Tidied only: the text policy's check runs on the whole definition (``check_template``), which
# names the field in its message.
def _text(value: str | None) -> str:
    return normalise_text(value or "").strip()


def _line(value: str | None) -> str:
    return one_line(normalise_text(value or ""))


def parse_options(text: str) -> list[dict]:
    """Options from a textarea, one a line: "klucz = Etykieta", or only the label, whose key is
    made from it ("Złożenie wniosku" -> "zlozenie_wniosku")."""
    options = []
    for line in _text(text).split("\n"):
        if not line.strip():
            continue
        key, sep, label = line.partition("=")
        if not sep:
            key, label = suggest_slug(line).replace("-", "_")[:64], line
        options.append({"key": key.strip(), "label": _line(label)})
    return options


def options_text(options: list[dict]) -> str:
    return "\n".join(f"{o['key']} = {o['label']}" for o in options)


def parse_option_labels(text: str) -> dict[str, str]:
    """Translated option labels, one a line: "klucz = label"."""
    labels = {}
    for line in _text(text).split("\n"):
        if not line.strip():
            continue
        key, sep, label = line.partition("=")
        if not sep or not key.strip():
            raise InvalidTemplate(
                f"Tłumaczenie opcji „{line[:60]}” zapisz jako „klucz = tłumaczenie”."
            )
        labels[key.strip()] = _line(label)
    return {k: v for k, v in labels.items() if v}


class _Translated:
    """Per-language fields named ``<language>_<field>`` (e.g. ``en_title``)."""

    translated: tuple[str, ...] = ()

    def translations(self) -> dict:
        found = {}
        for language in TRANSLATION_LANGUAGES:
            texts = {}
            for name in self.translated:
                value = self[f"{language}_{name}"].data
                if name == "options":
                    labels = parse_option_labels(value)
                    if labels:
                        texts["options"] = labels
                elif _text(value):
                    texts[name] = _text(value) if name in ("intro", "description") else _line(value)
            if texts:
                found[language] = texts
        return found

    def fill_translations(self, translations: dict) -> None:
        for language in TRANSLATION_LANGUAGES:
            texts = translations.get(language) or {}
            for name in self.translated:
                value = texts.get(name, {} if name == "options" else "")
                if name == "options":
                    value = "\n".join(f"{k} = {v}" for k, v in value.items())
                self[f"{language}_{name}"].data = value


class GeneralForm(_Translated, FlaskForm):
    translated = ("title", "intro")
    title = StringField("Tytuł ankiety")
    intro = TextAreaField("Wstęp (pod tytułem)")
    en_title = StringField("Tytuł – angielski")
    en_intro = TextAreaField("Wstęp – angielski")
    uk_title = StringField("Tytuł – ukraiński")
    uk_intro = TextAreaField("Wstęp – ukraiński")

    def values(self) -> dict:
        return {
            "title": _line(self.title.data),
            "intro": _text(self.intro.data),
            "translations": self.translations(),
        }


class SectionForm(_Translated, FlaskForm):
    translated = ("title", "description")
    key = StringField("Klucz sekcji (małe litery, cyfry, podkreślnik)")
    title = StringField("Tytuł sekcji")
    description = TextAreaField("Opis (nieobowiązkowy)")
    en_title = StringField("Tytuł – angielski")
    en_description = TextAreaField("Opis – angielski")
    uk_title = StringField("Tytuł – ukraiński")
    uk_description = TextAreaField("Opis – ukraiński")

    def values(self) -> dict:
        return {
            "key": _line(self.key.data),
            "title": _line(self.title.data),
            "description": _text(self.description.data),
            "translations": self.translations(),
        }


class QuestionForm(_Translated, FlaskForm):
    translated = ("text", "help_text", "options")
    key = StringField("Klucz pytania (małe litery, cyfry, podkreślnik)")
    kind = SelectField("Rodzaj odpowiedzi", choices=list(KIND_LABELS.items()))
    section = SelectField("Sekcja", choices=[])
    text = StringField("Treść pytania")
    help_text = TextAreaField("Podpowiedź (nieobowiązkowa)")
    required = BooleanField("Odpowiedź wymagana")
    not_applicable = BooleanField("Można odpowiedzieć „nie dotyczy” (tylko ocena 1–5)")
    options = TextAreaField("Opcje odpowiedzi (pytania wyboru), jedna w wierszu: klucz = etykieta")
    en_text = StringField("Treść – angielski")
    en_help_text = TextAreaField("Podpowiedź – angielski")
    en_options = TextAreaField("Opcje – angielski, jedna w wierszu: klucz = tłumaczenie")
    uk_text = StringField("Treść – ukraiński")
    uk_help_text = TextAreaField("Podpowiedź – ukraiński")
    uk_options = TextAreaField("Opcje – ukraiński, jedna w wierszu: klucz = tłumaczenie")

    def values(self) -> dict:
        kind = self.kind.data
        translations = self.translations()
        if kind not in CHOICE_KINDS:  # options left over from another kind are dropped
            for texts in translations.values():
                texts.pop("options", None)
            translations = {language: texts for language, texts in translations.items() if texts}
        return {
            "key": _line(self.key.data),
            "kind": kind,
            "text": _line(self.text.data),
            "help_text": _text(self.help_text.data),
            "required": bool(self.required.data),
            "not_applicable": kind == "rating" and bool(self.not_applicable.data),
            "options": parse_options(self.options.data) if kind in CHOICE_KINDS else [],
            "translations": translations,
        }

    def fill(self, question: dict) -> None:
        for name in ("key", "kind", "text", "help_text", "required", "not_applicable"):
            self[name].data = question.get(name)
        self.options.data = options_text(question.get("options", []))
        self.fill_translations(question.get("translations") or {})
