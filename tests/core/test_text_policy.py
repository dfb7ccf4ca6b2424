"""The platform's one text policy as pure functions (security review, finding 1); the pages
that use it are tested in their areas."""

from __future__ import annotations

import pytest

from saas_platform.core.text import (
    RefusedCharacter,
    clean_text,
    refusal_message,
    refused_character,
    search_text,
    xml_safe,
)

NONCHARACTERS = ["\ufdd0", "\ufdef", "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff"]
CONTROLS = ["\x00", "\x07", "\x0b", "\x0c", "\x1c", "\x1f", "\x7f", "\x85", "\x9f"]
SURROGATES = ["\ud800", "\udfff"]


@pytest.mark.parametrize("character", NONCHARACTERS + CONTROLS + SURROGATES)
def test_noncharacters_controls_and_lone_surrogates_are_refused_in_every_field_kind(character):
    for single_line in (False, True):
        with pytest.raises(RefusedCharacter) as refused:
            clean_text(f"Dobra {character}obsługa", single_line=single_line)
        assert refused.value.character == character


@pytest.mark.parametrize("character", ["\ufdcf", "\ufdf0", "\ufffd", "\U0001fffd", "\u00a0"])
def test_the_neighbours_of_noncharacters_are_text(character):
    assert refused_character(f"a{character}b") is None


def test_tab_and_line_breaks_are_kept_and_a_browsers_crlf_becomes_a_newline():
    assert clean_text("  Pierwsza\r\ndruga\rtrzecia\tczwarta\n ") == (
        "Pierwsza\ndruga\ntrzecia\tczwarta"
    )


def test_a_single_line_collapses_whitespace_and_refuses_invisible_format_characters():
    assert clean_text(" Wydział\t Podatków \r\n i Opłat ", single_line=True) == (
        "Wydział Podatków i Opłat"
    )
    for character in ("\u202e", "\u200b", "\ufeff"):  # a bidi override, zero width, a BOM
        with pytest.raises(RefusedCharacter):
            clean_text(f"Wydział{character}", single_line=True)
        assert clean_text(f"Komentarz{character}") == f"Komentarz{character}"


def test_text_is_stored_in_nfc():
    decomposed = "Z\u0307o\u0301\u0142w"  # Ż, ó typed as letter + combining mark
    assert clean_text(decomposed) == "Żółw"
    assert clean_text(decomposed, single_line=True) == "Żółw"


def test_the_message_names_the_field_and_the_character_in_polish():
    message = refusal_message("Nazwa urzędu", "\ufffe")
    assert message.startswith("Nazwa urzędu zawiera niedozwolone znaki sterujące lub specjalne")
    assert "(U+FFFE)" in message and "Usuń je i spróbuj ponownie." in message


def test_xml_safe_drops_exactly_what_xml_1_0_forbids():
    assert xml_safe("a\x00b\x08\x0b\x1f\ufffe\uffff\ud800c") == "abc"
    kept = "\t\n\r Zażółć \ufdd0\U0001fffe\U0010fffd"
    assert xml_safe(kept) == kept


def test_a_search_query_drops_what_no_stored_text_holds():
    assert search_text("  100%\x00 z\u0307\ufffe ", 200) == "100% ż"
    assert search_text("x" * 300, 200) == "x" * 200
