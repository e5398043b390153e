from __future__ import annotations

import pytest

from workflows.errors import RuleViolation
from workflows.organisations import norwegian_check_digit, validate_registration_code


@pytest.mark.parametrize("code", ["923609016", "974760673", "985399077", "914778271"])
def test_real_norwegian_numbers_pass(code: str) -> None:
    validate_registration_code("NO", code)


@pytest.mark.parametrize(
    "code", ["923609017", "974760670", "12345678", "1234567890", "98539907X", " 92360901"]
)
def test_broken_norwegian_numbers_fail_on_registration_code(code: str) -> None:
    with pytest.raises(RuleViolation) as err:
        validate_registration_code("NO", code)
    assert [e.field for e in err.value.errors] == ["registration_code"]


def test_check_digit_ten_has_no_valid_number() -> None:
    # weights 3,2,7,6,5,4,3,2 over 10000001 -> 3 + 2 = 5; 11 - 5 = 6 (valid); find one with remainder 1
    prefixes = [f"{n:08d}" for n in range(10_000_000, 10_000_200)]
    tens = [p for p in prefixes if norwegian_check_digit(p) is None]
    assert tens
    for prefix in tens:
        for last in "0123456789":
            with pytest.raises(RuleViolation):
                validate_registration_code("NO", prefix + last)


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("304151376", True),
        ("110053842", True),
        ("30415137", False),
        ("3041513760", False),
        ("30415137a", False),
    ],
)
def test_lithuanian_codes_are_nine_digits(code: str, ok: bool) -> None:
    if ok:
        validate_registration_code("LT", code)
    else:
        with pytest.raises(RuleViolation):
            validate_registration_code("LT", code)


def test_unknown_formats_only_need_text() -> None:
    validate_registration_code("SE", "556677-8899")
    with pytest.raises(RuleViolation):
        validate_registration_code("SE", "   ")
