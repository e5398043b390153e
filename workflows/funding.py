"""Grant co-funding of an engagement (SPEC section 3, Funding): the one type, and its rules.

The API takes it on the engagement, the contract renders it; both use this Struct.

In the Norway Grants "Business Development, Innovation and SMEs" programme in Lithuania the
applicant and project promoter must be established in Lithuania; a Norwegian company can only be
a project partner. In an engagement that makes the (Lithuanian) vendor the promoter and the
(Norwegian) start-up the partner, which ``funding_errors`` enforces.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, TypeAlias

import msgspec
from msgspec import Meta

from workflows.errors import FieldError
from workflows.limits import RATE_PLACES
from workflows.terms import amount_errors, decimal_places

__all__ = [
    "DEFAULT_PROGRAMME_OPERATOR",
    "PROMOTER_COUNTRY",
    "Funding",
    "GrantBounds",
    "funding_errors",
]

#: The programme operator when the engagement names none (SPEC section 3).
DEFAULT_PROGRAMME_OPERATOR = "MITA"
#: Where the project promoter must be established.
PROMOTER_COUNTRY = "LT"

Scheme: TypeAlias = Literal["standard", "small_grant"]
AidBasis: TypeAlias = Literal["de_minimis", "block_exemption"]


# The call's minimum and maximum grant for the chosen scheme, as the call states them.
# (No docstring: a Struct's docstring becomes its description in the OpenAPI document.)
class GrantBounds(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    minimum: Decimal
    maximum: Decimal


class Funding(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Co-funding data, e.g. Norway Grants via MITA / Innovation Norway."""

    programme: Annotated[str, Meta(min_length=1, max_length=300)]
    call_code: Annotated[str, Meta(min_length=1, max_length=100)]
    scheme: Scheme
    # Required but nullable: null only on records migrated from before the bounds were recorded;
    # a create or a change must state them (funding_errors).
    grant_bounds: GrantBounds | None
    grant_amount: Decimal  # >= 0, 2 decimals: checked with the other rules, naming the field
    cofinancing_rate: Decimal  # 0..1
    aid_basis: AidBasis
    programme_operator: Annotated[str, Meta(min_length=1, max_length=300)] = DEFAULT_PROGRAMME_OPERATOR
    promoter: Literal["vendor", "startup"] = "vendor"
    # Whether this agreement is also the partnership agreement between promoter and partner.
    partnership_agreement: bool = False


def _bounds_errors(funding: Funding, at: str) -> list[FieldError]:
    bounds = funding.grant_bounds
    if bounds is None:
        return [FieldError(f"{at}.grant_bounds", "is required: the call's minimum and maximum grant")]
    errors = amount_errors(bounds.minimum, f"{at}.grant_bounds.minimum", allow_zero=True)
    errors += amount_errors(bounds.maximum, f"{at}.grant_bounds.maximum", allow_zero=True)
    if errors:
        return errors
    if bounds.minimum > bounds.maximum:
        return [FieldError(f"{at}.grant_bounds", "minimum must not exceed maximum")]
    amount = funding.grant_amount
    if amount.is_finite() and not bounds.minimum <= amount <= bounds.maximum:
        scheme = funding.scheme.replace("_", " ")
        return [
            FieldError(
                f"{at}.grant_amount",
                f"must lie within the call's bounds for the {scheme} scheme "
                f"({bounds.minimum} to {bounds.maximum})",
            )
        ]
    return []


def _promoter_errors(funding: Funding, vendor_country: str | None, at: str) -> list[FieldError]:
    if funding.promoter != "vendor":
        return [
            FieldError(
                f"{at}.promoter",
                "the project promoter must be established in Lithuania: the vendor is the promoter, "
                "and the start-up can only be the project partner",
            )
        ]
    if vendor_country is not None and vendor_country.upper() != PROMOTER_COUNTRY:
        return [
            FieldError(
                f"{at}.promoter",
                f"the project promoter must be established in Lithuania; the vendor is registered in "
                f"{vendor_country.upper()}",
            )
        ]
    return []


def funding_errors(
    funding: Funding | None, *, vendor_country: str | None = None, at: str = "funding"
) -> list[FieldError]:
    """Every rule a funding being created or changed breaks, each naming its field.

    An exact grant amount of at least 0 within the call's bounds for the scheme, a rate from 0 to
    1 with at most ``RATE_PLACES`` decimals, and the vendor (established in Lithuania: ``vendor_country``, when known) as promoter.
    """
    if funding is None:
        return []
    errors = amount_errors(funding.grant_amount, f"{at}.grant_amount", allow_zero=True)
    if not errors:
        errors += _bounds_errors(funding, at)
    elif funding.grant_bounds is None:
        errors.append(FieldError(f"{at}.grant_bounds", "is required: the call's minimum and maximum grant"))
    rate = funding.cofinancing_rate
    if not (rate.is_finite() and 0 <= rate <= 1):
        errors.append(FieldError(f"{at}.cofinancing_rate", "must be a number from 0 to 1"))
    elif decimal_places(rate) > RATE_PLACES:
        # Exact or refused: a rate is never rounded to fit.
        errors.append(FieldError(f"{at}.cofinancing_rate", f"must have at most {RATE_PLACES} decimals"))
    if not funding.programme.strip():
        errors.append(FieldError(f"{at}.programme", "must not be blank"))
    if not funding.call_code.strip():
        errors.append(FieldError(f"{at}.call_code", "must not be blank"))
    if not funding.programme_operator.strip():
        errors.append(FieldError(f"{at}.programme_operator", "must not be blank"))
    errors += _promoter_errors(funding, vendor_country, at)
    return errors
