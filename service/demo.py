"""`jointip demo`: seed fictional organisations and walk one engagement to a signed contract.

It goes through the same service functions the API handlers call (so every rule, audit event
and document is real) and prints each step. Registration codes are fresh on every run, so the
demo can be run again on the same database.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from contract_templates.samples import sample_funding, sample_proposal, sample_signatories
from db.types import Connection
from service import audit, contracts, engagement_actions, organisations, proposals
from service.auth import Caller
from service.engagements import create_engagement, get_engagement, patch_engagement
from service.schemas.api_keys import ApiKeyCreate
from service.schemas.engagements import EngagementCreate, EngagementPatch
from service.schemas.organisations import OrganisationCreate
from service.snapshots import reference
from workflows import ActionInput, SignatoriesPatch, norwegian_check_digit

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
                funding=sample_funding(),
            ),
        )
    eid = engagement.id
    say(f"Created engagement {reference(eid)} ({eid}) with Norway Grants co-funding.")

    async def act(who: Caller, action: str, **fields: Any) -> str:
        async with conn.transaction():
            result = await engagement_actions.fire_action(
                conn, who, eid, action, ActionInput(**fields), None, now
            )
        return result.state

    async with conn.transaction():
        first = await proposals.create_proposal(
            conn, vendor, eid, sample_proposal(date.today(), shares=(50, 50))
        )
    say(f"Vendor wrote revision {first.revision}: joint ownership 50/50, total fee EUR {first.total_fee}.")
    say(f"  submit_proposal -> {await act(vendor, 'submit_proposal')}")
    say(
        f"  request_changes (start-up wants 40/60) -> {await act(startup, 'request_changes', comment='We would like 40/60 in our favour.')}"
    )
    async with conn.transaction():
        second = await proposals.create_proposal(
            conn, vendor, eid, sample_proposal(date.today(), shares=(40, 60))
        )
    say(f"Vendor wrote revision {second.revision}: joint ownership 40/60.")
    say(f"  submit_proposal -> {await act(vendor, 'submit_proposal')}")
    say(f"  accept_proposal -> {await act(startup, 'accept_proposal', revision=second.revision)}")
    for who, party, signatory in (
        (vendor, "vendor", sample_signatories().vendor),
        (startup, "startup", sample_signatories().startup),
    ):
        async with conn.transaction():
            current = await get_engagement(conn, who, eid)
            await patch_engagement(
                conn,
                who,
                eid,
                EngagementPatch(signatories=SignatoriesPatch(**{party: signatory})),
                f'"{current.version}"',
            )
        assert signatory is not None
        say(f"  {party} names its signatory: {signatory.name}, {signatory.title}")
    say(f"  generate_contract -> {await act(vendor, 'generate_contract')}")
    latest = (await contracts.list_contracts(conn, vendor, eid, limit=100, cursor=None)).items[-1]
    sha, contract_id = latest.sha256, latest.id
    say(f"  contract version 1: sha256 {sha}")
    say(f"  submit_for_review -> {await act(startup, 'submit_for_review')}")
    say(f"  approve (reviewer) -> {await act(reviewer, 'approve', document_sha256=sha)}")
    say(f"  sign (vendor, its named signatory) -> {await act(vendor, 'sign', document_sha256=sha)}")
    say(f"  sign (start-up, its named signatory) -> {await act(startup, 'sign', document_sha256=sha)}")
    verdict = await audit.verify_events(conn, vendor, eid)
    say(f"Audit trail: {verdict.count} events, chain valid: {verdict.valid}, head {verdict.head_hash}.")
    say(f"Download the signed contract: GET /api/v1/contracts/{contract_id}/document")
    return eid
