"""Grant co-funding of an engagement (SPEC section 3, Funding): the one type, and its rules.

The API takes it on the engagement, the contract renders it; both use this Struct.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import Meta

from workflows.errors import FieldError
from workflows.terms import amount_errors

__all__ = [
    "Funding",
    "funding_errors",
]


class Funding(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Co-funding data, e.g. Norway Grants via MITA / Innovation Norway."""

    programme: Annotated[str, Meta(min_length=1, max_length=300)]
    call_code: Annotated[str, Meta(min_length=1, max_length=100)]
    grant_amount: Decimal  # >= 0, 2 decimals: checked with the other rules, naming the field
    cofinancing_rate: Decimal  # 0..1
    de_minimis: bool


def funding_errors(funding: Funding | None, at: str = "funding") -> list[FieldError]:
    """Every rule the funding breaks: an exact grant amount of at least 0, a rate from 0 to 1."""
    if funding is None:
        return []
    errors = amount_errors(funding.grant_amount, f"{at}.grant_amount", allow_zero=True)
    if not (funding.cofinancing_rate.is_finite() and 0 <= funding.cofinancing_rate <= 1):
        errors.append(FieldError(f"{at}.cofinancing_rate", "must be a number from 0 to 1"))
    return errors
