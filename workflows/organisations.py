"""Rules for organisations: registration codes by country."""

from __future__ import annotations

import re

from workflows.errors import RuleViolation

__all__ = [
    "norwegian_check_digit",
    "validate_registration_code",
]

_NINE_DIGITS = re.compile(r"^[0-9]{9}$")
_NO_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def norwegian_check_digit(first_eight: str) -> int | None:
    """The mod-11 check digit of a Norwegian organisasjonsnummer, or None where no valid digit exists."""
    remainder = sum(int(d) * w for d, w in zip(first_eight, _NO_WEIGHTS, strict=True)) % 11
    check = (11 - remainder) % 11
    return None if check == 10 else check


def validate_registration_code(country: str, code: str) -> None:
    """Refuse a code whose format is known and broken (LT: 9 digits; NO: 9 digits, mod-11)."""
    field = "registration_code"
    if country == "LT" and not _NINE_DIGITS.match(code):
        raise RuleViolation.one(field, "a Lithuanian company code is exactly 9 digits")
    if country == "NO":
        if not _NINE_DIGITS.match(code):
            raise RuleViolation.one(field, "a Norwegian organisasjonsnummer is exactly 9 digits")
        if norwegian_check_digit(code[:8]) != int(code[8]):
            raise RuleViolation.one(field, "the Norwegian organisasjonsnummer fails its mod-11 check digit")
    if not code.strip():
        raise RuleViolation.one(field, "must not be blank")
