"""The resident's language: Polish always; English and Ukrainian where every text of the
office's live survey version is translated. Chosen with ``?lang=`` and remembered in the
session. The staff panel and the operator console stay Polish (they never set a language).

Interface texts come from the Flask-Babel catalogues in ``translations/`` (message ids are the
Polish texts); the survey's own texts come from the version's translations.
"""

from __future__ import annotations

from flask import g, request, session
from flask_babel import refresh

from tenants.survey.definition import VersionDef

LANGUAGES = {"pl": "Polski", "en": "English", "uk": "Українська"}
DEFAULT_LANGUAGE = "pl"
SESSION_KEY = "lang"


def requested_language() -> str:
    """The language the resident asked for (``?lang=`` now, or earlier in this session)."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        if asked == DEFAULT_LANGUAGE:
            session.pop(SESSION_KEY, None)
        else:
            session[SESSION_KEY] = asked
        return asked
    remembered = session.get(SESSION_KEY, DEFAULT_LANGUAGE)
    return remembered if remembered in LANGUAGES else DEFAULT_LANGUAGE


def offered_languages(version: VersionDef | None) -> list[str]:
    """Polish, then the languages every text of this version is translated into: a resident
    never gets a form half in one language and half in another."""
    complete = version.languages_complete if version is not None else frozenset()
    return [code for code in LANGUAGES if code == DEFAULT_LANGUAGE or code in complete]


def use_language(version: VersionDef | None = None) -> str:
    """Set the language of this request: the one asked for if ``version`` is offered in it
    (any, without a version), else Polish. Returns it."""
    language = requested_language()
    if version is not None and language not in offered_languages(version):
        language = DEFAULT_LANGUAGE
    g.language = language
    refresh()  # Flask-Babel caches the locale per request
    return language


def current_language() -> str:
    """The language of this request's page (Polish unless a resident page chose another)."""
    return g.get("language", DEFAULT_LANGUAGE)
