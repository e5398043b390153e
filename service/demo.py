"""`jointip demo`: seed fictional organisations and walk one engagement to a signed contract.

It goes through the same service functions the API handlers call (so every rule, audit event
and document is real) and prints each step. Registration codes are fresh on every run, so the
demo can be run again on the same database.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from db.types import Connection
from service import actions, audit, organisations, proposals
from service.auth import Caller
from service.contracts import reference
from service.engagements import create_engagement
from service.schemas.api_keys import ApiKeyCreate
from service.schemas.engagements import EngagementCreate, Funding
from service.schemas.organisations import OrganisationCreate
from workflows.engagement import ActionInput
from workflows.organisations import norwegian_check_digit
from workflows.terms import (
    Asset,
    BackgroundIp,
    Joint,
    MilestoneInput,
    OpenSourcePolicy,
    PartyBackgroundIp,
    ProposalInput,
    Shares,
)

OPERATOR = Caller(None, "demo operator", "operator", None)


def _lithuanian_code() -> str:
    return "30" + "".join(secrets.choice("0123456789") for _ in range(7))


def _norwegian_code() -> str:
    while True:
        first = "9" + "".join(secrets.choice("0123456789") for _ in range(7))
        check = norwegian_check_digit(first)
        if check is not None:
            return first + str(check)


async def _organisation(
    conn: Connection, kind: str, name: str, country: str, code: str, address: str
) -> Caller:
    org = await organisations.create_organisation(
        conn,
        OPERATOR,
        OrganisationCreate(name=name, kind=kind, country=country, registration_code=code, address=address),  # type: ignore[arg-type]
    )
    key = await organisations.create_api_key(
        conn, OPERATOR, org.id, ApiKeyCreate(name=f"{name} admin", role="admin")
    )
    return Caller(key.id, key.name, "admin", org.id, kind)


def _proposal(shares: tuple[int, int]) -> ProposalInput:
    start = date.today()
    milestones = tuple(
        MilestoneInput(
            key=f"m{i + 1}",
            title=title,
            description=f"{title} of the Nordlys payments MVP",
            due_date=start + timedelta(weeks=4 * (i + 1)),
            fee=fee,
            acceptance_criteria="All agreed acceptance tests pass on the staging environment",
            acceptance_days=14,
        )
        for i, (title, fee) in enumerate(
            (
                ("Discovery and design", Decimal("8000.00")),
                ("Core payments flow", Decimal("21500.00")),
                ("Pilot release", Decimal("12500.00")),
            )
        )
    )
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
        scope="A card-less payments MVP for Nordic small businesses.", milestones=milestones, ip_terms=terms
    )


async def run_demo(conn: Connection, say: Callable[[str], Any] = print) -> UUID:
    """Walk one engagement from proposal to signatures; returns its id."""
    now = datetime.now(UTC)
    async with conn.transaction():
        vendor = await _organisation(
            conn, "vendor", "Šiaurės Kodas UAB", "LT", _lithuanian_code(), "Gedimino pr. 20, Vilnius"
        )
        startup = await _organisation(
            conn, "startup", "Nordlys Fintech AS", "NO", _norwegian_code(), "Karl Johans gate 5, Oslo"
        )
        reviewer = await _organisation(
            conn, "legal", "Teisė ir Partneriai UAB", "LT", _lithuanian_code(), "Konstitucijos pr. 7, Vilnius"
        )
    say(
        "Admitted three fictional organisations: a Lithuanian vendor, a Norwegian start-up, a Lithuanian law firm."
    )

    async with conn.transaction():
        funding = Funding(
            programme="Norway Grants: Business Development, Innovation and SMEs",
            call_code="LT-INNO-2026-01",
            grant_amount=Decimal("30000.00"),
            cofinancing_rate=Decimal("0.7"),
            de_minimis=True,
        )
        engagement = await create_engagement(
            conn,
            vendor,
            EngagementCreate(
                vendor_id=vendor.organisation_id,  # type: ignore[arg-type]
                startup_id=startup.organisation_id,  # type: ignore[arg-type]
                reviewer_id=reviewer.organisation_id,
                title="Nordlys payments MVP",
                summary="Card-less payments for Nordic small businesses, co-funded by Norway Grants.",
                currency="EUR",
                funding=funding,
            ),
        )
    eid = engagement.id
    say(f"Created engagement {reference(eid)} ({eid}) with Norway Grants co-funding.")

    async def act(who: Caller, action: str, **fields: Any) -> str:
        async with conn.transaction():
            result = await actions.fire_action(conn, who, eid, action, ActionInput(**fields), None, now)
        return result.state

    async with conn.transaction():
        first = await proposals.create_proposal(conn, vendor, eid, _proposal((50, 50)))
    say(f"Vendor wrote revision {first.revision}: joint ownership 50/50, total fee EUR {first.total_fee}.")
    say(f"  submit_proposal -> {await act(vendor, 'submit_proposal')}")
    say(
        f"  request_changes (start-up wants 40/60) -> {await act(startup, 'request_changes', comment='We would like 40/60 in our favour.')}"
    )
    async with conn.transaction():
        second = await proposals.create_proposal(conn, vendor, eid, _proposal((40, 60)))
    say(f"Vendor wrote revision {second.revision}: joint ownership 40/60.")
    say(f"  submit_proposal -> {await act(vendor, 'submit_proposal')}")
    say(f"  accept_proposal -> {await act(startup, 'accept_proposal', revision=second.revision)}")
    say(f"  generate_contract -> {await act(vendor, 'generate_contract')}")
    sha = await conn.fetchval("select latest_contract_sha256 from engagements where id = $1", eid)
    contract_id = await conn.fetchval(
        "select id from contract_versions where engagement_id = $1 order by version desc limit 1", eid
    )
    say(f"  contract version 1: sha256 {sha}")
    say(f"  submit_for_review -> {await act(startup, 'submit_for_review')}")
    say(f"  approve (reviewer) -> {await act(reviewer, 'approve', document_sha256=sha)}")
    say(
        f"  sign (vendor) -> {await act(vendor, 'sign', document_sha256=sha, signer_name='Rūta Jonaitė', signer_title='CEO')}"
    )
    say(
        f"  sign (start-up) -> {await act(startup, 'sign', document_sha256=sha, signer_name='Ola Nordmann', signer_title='Daglig leder')}"
    )
    verdict = await audit.verify(conn, eid)
    say(f"Audit trail: {verdict.count} events, chain valid: {verdict.valid}, head {verdict.head_hash}.")
    say(f"Download the signed contract: GET /api/v1/contracts/{contract_id}/document")
    return eid
