"""XML-illegal text is found, with its dotted path; every legal script passes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.unit.workflows.factories import milestone, proposal
from workflows import FieldError, xml_illegal_fields

LEGAL = [
    "Ąžuolas Čiurlionis: ėęįšųūž ĄČĘĖĮŠŲŪŽ",
    "Blåbærsyltetøy fra Tromsø — ÆØÅ æøå",
    "שלום עולם",  # Hebrew, right to left
    "مرحبا بالعالم",  # Arabic, right to left
    "emoji 🚀 and CJK 契約",
    "tab\tnewline\ncarriage return\r",
    "DEL \x7f and NEL \x85 are legal XML 1.0",
    "",
]
ILLEGAL = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\ufffe", "\uffff", "\ud800", "\udfff"]


@pytest.mark.parametrize("text", LEGAL)
def test_legal_text_passes(text: str) -> None:
    assert xml_illegal_fields(text, "comment") == []


@pytest.mark.parametrize("char", ILLEGAL, ids=lambda c: f"U+{ord(c):04X}")
def test_illegal_character_is_reported_with_its_position(char: str) -> None:
    errors = xml_illegal_fields(f"ab{char}cd", "comment")
    assert [e.field for e in errors] == ["comment"]
    assert f"U+{ord(char):04X} at position 2" in errors[0].message


def test_struct_paths_use_field_names_and_list_indices() -> None:
    p = proposal(milestones=(milestone(0), milestone(1, title="bad\x02", description="also\x1b bad")))
    assert [e.field for e in xml_illegal_fields(p)] == ["milestones.1.title", "milestones.1.description"]


def test_mappings_lists_and_keys_are_walked() -> None:
    data = {"a": [{"b": "fine"}, {"b": "x\x00"}], "c\x01": "fine"}
    assert xml_illegal_fields(data, "body") == [
        FieldError("body.a.1.b", "contains a character not allowed in a document (U+0000 at position 1)"),
        FieldError("body", "contains a character not allowed in a document (U+0001 at position 1)"),
    ]


def test_top_level_string_without_a_path_is_called_body() -> None:
    assert [e.field for e in xml_illegal_fields("\x00")] == ["body"]


def test_non_text_leaves_are_ignored() -> None:
    assert (
        xml_illegal_fields(
            {"n": 1, "d": Decimal("1.5"), "when": date(2025, 1, 1), "none": None, "flag": True}
        )
        == []
    )
