"""The renderer's input: a frozen snapshot of everything the contract states.

The shell builds a ``ContractInput`` from the engagement, its organisations and the accepted
proposal revision; the renderer reads nothing else (no clock, no database). ``issued_on`` is the
date the document carries, passed in so that rendering the same input is reproducible.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, TypeAlias

import msgspec

from workflows import Funding, ProposalInput, Signatories

Currency: TypeAlias = Literal["EUR", "NOK"]


class PartyInfo(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """An organisation as the contract names it."""

    organisation_id: str
    name: str
    country: str  # ISO 3166-1 alpha-2
    registration_code: str
    vat_code: str | None = None
    address: str | None = None


class ContractInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Everything one contract version is rendered from."""

    engagement_id: str
    reference: str  # short human reference, e.g. "JT-1a2b3c4d"
    title: str
    summary: str
    currency: Currency
    vendor: PartyInfo
    startup: PartyInfo
    reviewer: PartyInfo | None
    funding: Funding | None  # grant co-financing, as the engagement states it
    revision: int  # the accepted proposal revision
    contract_version: int  # n of this contract version
    proposal: ProposalInput
    issued_on: date
    # The signatories the parties named in advance; the signature blocks show them.
    signatories: Signatories = Signatories()
