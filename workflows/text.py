"""Detect text that cannot go into a DOCX: python-docx (lxml) refuses XML 1.0-illegal characters.

We refuse such input with a 422 naming the field rather than stripping it, so nothing a party
typed is silently changed in a contract.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import msgspec

from workflows.errors import FieldError

__all__ = [
    "xml_illegal_fields",
]

# XML 1.0 Char excludes C0 controls other than tab/LF/CR, surrogates (a lone one can reach a
# Python str from JSON "\\ud800") and the non-characters U+FFFE/U+FFFF.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _join(path: str, part: str | int) -> str:
    return f"{path}.{part}" if path else str(part)


def xml_illegal_fields(obj: Any, path: str = "") -> list[FieldError]:
    """Every string inside ``obj`` (Struct, mapping, list/tuple, str) holding an XML-illegal character.

    Each error names its dotted path, list items by index: ``milestones.0.title``.
    """
    match obj:
        case str():
            found = _ILLEGAL.search(obj)
            if found is None:
                return []
            char = f"U+{ord(found.group()):04X}"
            return [
                FieldError(
                    path or "body",
                    f"contains a character not allowed in a document ({char} at position {found.start()})",
                )
            ]
        case msgspec.Struct():
            # The class attributes, not msgspec.structs.fields(): that one resolves annotations per call.
            kind = type(obj)
            return [
                error
                for name, encoded in zip(kind.__struct_fields__, kind.__struct_encode_fields__, strict=True)
                for error in xml_illegal_fields(getattr(obj, name), _join(path, encoded))
            ]
        case Mapping():
            errors = []
            for key, value in obj.items():
                errors += xml_illegal_fields(key, path)  # a key becomes text too (e.g. a heading)
                errors += xml_illegal_fields(value, _join(path, str(key)))
            return errors
        case list() | tuple():
            return [error for i, item in enumerate(obj) for error in xml_illegal_fields(item, _join(path, i))]
        case _:
            return []
