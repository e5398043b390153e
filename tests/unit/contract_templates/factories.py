"""Factories for renderer input; tests change one thing with ``msgspec.structs.replace``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from msgspec.structs import replace

from contract_templates import ContractInput, PartyInfo
from tests.unit.workflows.factories import MODELS, milestone, proposal
from workflows import Funding, GrantBounds, IpTerms, MilestoneInput

VENDOR_NAME = "UAB Šviesūs Žiedai"
STARTUP_NAME = "Fjordgrønn Ærlig Økonomi AS"


def vendor(**changes: Any) -> PartyInfo:
    base = PartyInfo(
        organisation_id="org-vendor",
        name=VENDOR_NAME,
        country="LT",
        registration_code="304512678",
        vat_code="LT100011223314",
        address="Gedimino pr. 9, LT-01103 Vilnius",
    )
    return replace(base, **changes)


def startup(**changes: Any) -> PartyInfo:
    base = PartyInfo(
        organisation_id="org-startup",
        name=STARTUP_NAME,
        country="NO",
        registration_code="923609016",
        vat_code=None,
        address="Storgata 1, 0155 Oslo",
    )
    return replace(base, **changes)


def reviewer() -> PartyInfo:
    return PartyInfo(
        organisation_id="org-legal",
        name="Advokatfirma Lov & Rett AS",
        country="NO",
        registration_code="987654321",
    )


def funding(**changes: Any) -> Funding:
    base = Funding(
        programme="Norway Grants Business Development, Innovation and SMEs",
        call_code="NOR-LT-2025-07",
        scheme="standard",
        grant_bounds=GrantBounds(minimum=Decimal("10000.00"), maximum=Decimal("200000.00")),
        grant_amount=Decimal("50000.00"),
        cofinancing_rate=Decimal("0.5"),
        aid_basis="de_minimis",
    )
    return replace(base, **changes)


def terms(model: str = "joint", **changes: Any) -> IpTerms:
    return MODELS[model](**changes)


def milestones(count: int) -> tuple[MilestoneInput, ...]:
    return tuple(
        milestone(
            i,
            title=f"Milestone {i + 1}: feature set {i + 1}",
            fee=Decimal("12500.00") + i,
            due_date=date(2026, 3 + i // 28, 1 + i % 28),
            acceptance_criteria=f"Acceptance test suite {i + 1} passes in the staging environment",
        )
        for i in range(count)
    )


def contract(
    ip_terms: IpTerms | None = None,
    milestone_count: int = 2,
    ms: tuple[MilestoneInput, ...] | None = None,
    **changes: Any,
) -> ContractInput:
    base = ContractInput(
        engagement_id="6f1c2a9e-0b7d-4c1e-9a55-1a2b3c4d5e6f",
        reference="JT-1a2b3c4d",
        title="Fjordpay MVP",
        summary="A mobile wallet for cross-border payments between Norway and Lithuania.",
        currency="EUR",
        vendor=vendor(),
        startup=startup(),
        reviewer=reviewer(),
        funding=None,
        revision=3,
        contract_version=2,
        proposal=proposal(
            ip_terms=terms() if ip_terms is None else ip_terms,
            milestones=milestones(milestone_count) if ms is None else ms,
        ),
        issued_on=date(2026, 2, 10),
    )
    return replace(base, **changes)
