"""The one policy for text people type in, and the one way stored text is made safe for XML.

Every field that accepts free text (survey answers, the survey editor, the office's data, the
operator console) reads its input through ``clean_text`` (or ``refused_character`` where a
whole definition is checked at once), so a character refused in one place is refused in all.
Refused: control characters other than tab and newline, surrogates (never text on their own)
and the noncharacters U+FDD0–U+FDEF and U+xFFFE/U+xFFFF of every plane. Accepted text is in
Unicode NFC, so "ż" typed as "z" + combining dot is stored, counted and searched as "ż".

A one-line text (a name, an address) collapses its whitespace and also refuses the invisible
format characters (bidirectional overrides, zero-width spaces, a byte-order mark): a name has
no use for them, and they can make it read differently from what it is.

Exports written as XML (XLSX) pass stored text through ``xml_safe``: rows stored before this
policy, or by a path that bypassed it, must not make an export fail.
"""

from __future__ import annotations

import re
import unicodedata

# A browser sends a textarea's line breaks as CRLF; they become "\n" before the check.
LINE_BREAK = re.compile(r"\r\n?")
ALLOWED_CONTROLS = frozenset("\t\n")
# Whitespace, but for the control characters the policy refuses: ``str.split`` would turn those
# into spaces and hide them from the check.
WHITESPACE_RUN = re.compile(r"[^\S\x0b\x0c\x1c-\x1f\x85]+")
# The complement of XML 1.0's Char production: what no XML document may contain.
XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class RefusedCharacter(ValueError):
    """Text holds a character the policy refuses; ``character`` is the first one."""

    def __init__(self, character: str) -> None:
        super().__init__(f"refused character {code_point(character)}")
        self.character = character


def code_point(character: str) -> str:
    """The character's name as people look it up: "U+FFFE"."""
    return f"U+{ord(character):04X}"


def is_noncharacter(character: str) -> bool:
    """Whether Unicode reserves the code point as a noncharacter (never to be interchanged)."""
    point = ord(character)
    return 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE


def _refused(character: str, single_line: bool) -> bool:
    category = unicodedata.category(character)
    if category == "Cc":
        return character not in ALLOWED_CONTROLS
    if category == "Cs" or (single_line and category == "Cf"):
        return True
    return is_noncharacter(character)


def refused_character(value: str, *, single_line: bool = False) -> str | None:
    """The first character of ``value`` the policy refuses, or None. Line breaks count as
    "\\n" (CRLF and a lone CR included); ``single_line`` also refuses format characters."""
    for character in LINE_BREAK.sub("\n", value):
        if _refused(character, single_line):
            return character
    return None


def normalise_text(value: str) -> str:
    """``value`` with its line breaks as "\\n", in NFC; nothing is refused or trimmed."""
    return unicodedata.normalize("NFC", LINE_BREAK.sub("\n", value))


def one_line(value: str) -> str:
    """``value`` with every run of whitespace (line breaks and tabs included) as one space,
    trimmed; characters the policy refuses stay where they are for the check to find."""
    return WHITESPACE_RUN.sub(" ", value).strip(" ")


def clean_text(value: str, *, single_line: bool = False) -> str:
    """Typed text as it is stored: checked, in NFC, trimmed; a ``single_line`` text also has
    every run of whitespace (line breaks and tabs included) as one space. Raises
    ``RefusedCharacter`` for the first character the policy refuses."""
    refused = refused_character(value, single_line=single_line)
    if refused is not None:
        raise RefusedCharacter(refused)
    value = normalise_text(value)
    return one_line(value) if single_line else value.strip()


def search_text(value: str, limit: int) -> str:
    """A search query: what no stored text holds (a NUL, which PostgreSQL refuses even in a
    query) dropped, in NFC like the text it searches, trimmed to at most ``limit`` characters."""
    kept = "".join(ch for ch in LINE_BREAK.sub("\n", value) if not _refused(ch, False))
    return normalise_text(kept).strip()[:limit].strip()


def refusal_message(what: str, character: str) -> str:
    """The Polish message for a refused character in the field called ``what``."""
    return (
        f"{what} zawiera niedozwolone znaki sterujące lub specjalne ({code_point(character)}), "
        "zwykle niewidoczne i wklejone razem z tekstem. Usuń je i spróbuj ponownie."
    )


def xml_safe(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids (for stored text written to XML)."""
    return XML_FORBIDDEN.sub("", value)
