"""A realistic, fictional engagement for the demo and the benchmarks (never for real contracts).

A Lithuanian vendor and a Norwegian start-up build a payments MVP under joint ownership, with
Norway Grants co-funding. Everything is a plain value: nothing here reads a clock or a database.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from contract_templates.model import ContractInput, PartyInfo
from workflows import (
    Asset,
    BackgroundIp,
    Funding,
    GrantBounds,
    Joint,
    MilestoneInput,
    OpenSourcePolicy,
    PartyBackgroundIp,
    ProposalInput,
    Shares,
    Signatories,
    Signatory,
)

_PHASES = (
    ("Discovery and design", Decimal("8000.00")),
    ("Core payments flow", Decimal("21500.00")),
    ("Pilot release", Decimal("12500.00")),
)


def sample_funding() -> Funding:
    return Funding(
        programme="Norway Grants: Business Development, Innovation and SMEs",
        call_code="LT-INNO-2026-01",
        scheme="small_grant",
        grant_bounds=GrantBounds(minimum=Decimal("10000.00"), maximum=Decimal("200000.00")),
        grant_amount=Decimal("30000.00"),
        cofinancing_rate=Decimal("0.7"),
        aid_basis="de_minimis",
    )


def sample_signatories() -> Signatories:
    return Signatories(
        vendor=Signatory(
            name="Rūta Jonaitė",
            title="Director",
            authority="Head of the company under its articles of association",
        ),
        startup=Signatory(
            name="Ola Nordmann",
            title="Daglig leder (CEO)",
            authority="Signature right (signaturrett) under the articles",
        ),
    )


def _milestone(i: int, start: date) -> MilestoneInput:
    title, fee = _PHASES[i] if i < len(_PHASES) else (f"Feature set {i + 1}", Decimal("12500.00"))
    return MilestoneInput(
        key=f"m{i + 1}",
        title=title,
        description=f"{title} of the Nordlys payments MVP",
        due_date=start + timedelta(weeks=4 * (i + 1)),
        fee=fee,
        acceptance_criteria="All agreed acceptance tests pass on the staging environment",
        acceptance_days=14,
    )


def sample_proposal(start: date, *, shares: tuple[int, int] = (50, 50), milestones: int = 3) -> ProposalInput:
    """Joint ownership with ``shares`` (vendor, start-up) percent, milestones due every four weeks."""
    background = BackgroundIp(
        vendor=PartyBackgroundIp(
            assets=(Asset(title="Šiaurė UI kit", description="React component library"),),
            licence="non-exclusive, royalty-free, for using the Results",
        ),
        startup=PartyBackgroundIp(
            assets=(Asset(title="Nordlys risk model", description="Credit-risk scoring model"),),
            licence="non-exclusive, for the project only",
        ),
    )
    terms = Joint(
        background_ip=background,
        open_source_policy=OpenSourcePolicy(
            allowed_licences=("MIT", "Apache-2.0", "BSD-3-Clause"), copyleft_requires_approval=True
        ),
        confidentiality_years=5,
        warranty_days=90,
        liability_cap_multiple=Decimal("1.5"),
        source_code_escrow=True,
        governing_law="NO",
        forum="courts",
        shares=Shares(vendor=Decimal(shares[0]), startup=Decimal(shares[1])),
        managing_party="startup",
        third_party_licensing="notice",
        notice_days=30,
        revenue_share="pro_rata",
    )
    return ProposalInput(
        scope="A card-less payments MVP for Nordic small businesses.",
        milestones=tuple(_milestone(i, start) for i in range(milestones)),
        ip_terms=terms,
    )


def _party(organisation_id: str, name: str, country: str, code: str, address: str | None = None) -> PartyInfo:
    return PartyInfo(
        organisation_id=organisation_id, name=name, country=country, registration_code=code, address=address
    )


def sample_contract(milestones: int = 10) -> ContractInput:
    """A whole contract version's input, funded, with a reviewer."""
    issued = date(2026, 2, 10)
    return ContractInput(
        engagement_id="6f1c2a9e-0b7d-4c1e-9a55-1a2b3c4d5e6f",
        reference="JT-6F1C2A9E",
        title="Nordlys payments MVP",
        summary="Card-less payments for Nordic small businesses, co-funded by Norway Grants.",
        currency="EUR",
        vendor=_party("org-vendor", "Šiaurės Kodas UAB", "LT", "304151376", "Gedimino pr. 20, Vilnius"),
        startup=_party("org-startup", "Nordlys Fintech AS", "NO", "923609016", "Karl Johans gate 5, Oslo"),
        reviewer=_party("org-legal", "Teisė ir Partneriai UAB", "LT", "304999999"),
        funding=sample_funding(),
        proposal=sample_proposal(issued, shares=(40, 60), milestones=milestones),
        revision=2,
        contract_version=1,
        issued_on=issued,
        signatories=sample_signatories(),
    )
