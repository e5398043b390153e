"""Contract versions: generation (rendered off the event loop), review, signatures, reads, compare."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from uuid import UUID

import msgspec

from contract_templates import (
    TEMPLATE_ID,
    TEMPLATE_VERSION,
    ContractInput,
    FundingInfo,
    PartyInfo,
    clause_texts,
    compare_clauses,
    load_library,
    render_contract,
)
from db import audit, contracts, organisations, proposals
from db.types import Connection
from service.auth import Caller
from service.effects import EffectContext, EffectResult
from service.engagements import proposal_input
from service.pagination import decode_seq_cursor
from service.responses import json_text
from service.schemas.common import Page
from service.schemas.contracts import Comparison, ContractVersion, Review, SignatureRecord, Signatures
from service.tenancy import visible_engagement
from workflows.audit import GENESIS_HASH
from workflows.engagement import ClauseComment
from workflows.errors import FieldError, NotFound


def reference(engagement_id: UUID) -> str:
    return "JT-" + engagement_id.hex[:8].upper()


def party_info(row: dict[str, Any]) -> PartyInfo:
    """An organisation row as the documents name it."""
    return PartyInfo(
        organisation_id=str(row["id"]),
        name=row["name"],
        country=row["country"],
        registration_code=row["registration_code"],
        vat_code=row["vat_code"],
        address=row["address"],
    )


async def _contract_input(
    conn: Connection, row: dict[str, Any], revision: int, version: int
) -> ContractInput:
    revision_row = await proposals.get(conn, row["id"], revision)
    assert revision_row is not None  # the guard required an accepted revision
    orgs = {
        column: await organisations.get(conn, row[column])
        for column in ("vendor_id", "startup_id", "reviewer_id")
        if row[column] is not None
    }
    funding = msgspec.json.decode(row["funding"], type=FundingInfo) if row["funding"] else None
    reviewer = orgs.get("reviewer_id")
    return ContractInput(
        engagement_id=str(row["id"]),
        reference=reference(row["id"]),
        title=row["title"],
        summary=row["summary"],
        currency=row["currency"],
        vendor=party_info(orgs["vendor_id"]),  # type: ignore[arg-type]
        startup=party_info(orgs["startup_id"]),  # type: ignore[arg-type]
        reviewer=party_info(reviewer) if reviewer else None,
        funding=funding,
        revision=revision,
        contract_version=version,
        proposal=proposal_input(revision_row),
        issued_on=datetime.now(UTC).date(),
    )


@dataclass(frozen=True, slots=True)
class Rendered:
    document: bytes
    sha256: str
    clauses: dict[str, str]


def _render(data: ContractInput) -> Rendered:
    document = render_contract(data)
    return Rendered(document, hashlib.sha256(document).hexdigest(), clause_texts(data))


@cache
def _citable() -> frozenset[str]:
    library = load_library()
    return frozenset(library.clause_ids()) | {part.key for part in library.parts}


def clause_reference_errors(comments: tuple[ClauseComment, ...] | None) -> list[FieldError]:
    """Comments may cite a clause id (``results_ip.joint``) or a whole part (``results_ip``)."""
    return [
        FieldError(f"clause_comments.{i}.clause_id", f"{c.clause_id!r} is not a clause of {TEMPLATE_ID}")
        for i, c in enumerate(comments or ())
        if c.clause_id.strip() not in _citable()
    ]


# --- effects (inside the action's transaction) -------------------------------------------------


async def create_contract_version(ctx: EffectContext) -> EffectResult:
    engagement_id = ctx.row["id"]
    assert ctx.snapshot.latest_revision is not None
    version = await contracts.next_version(ctx.conn, engagement_id)
    data = await _contract_input(ctx.conn, ctx.row, ctx.snapshot.latest_revision, version)
    # Rendering is CPU work (tens of ms): keep it off the event loop.
    rendered = await asyncio.to_thread(_render, data)
    stored = await contracts.insert_version(
        ctx.conn,
        engagement_id=engagement_id,
        version=version,
        revision=data.revision,
        template_id=TEMPLATE_ID,
        template_version=TEMPLATE_VERSION,
        sha256=rendered.sha256,
        document=rendered.document,
        clauses_json=json.dumps(rendered.clauses, ensure_ascii=False),
        created_by_org=ctx.caller.organisation_id,
        created_by_key=ctx.caller.key_id,
    )
    return EffectResult(
        changes={"latest_contract_sha256": rendered.sha256, "approved_sha256": None, "signed_parties": []},
        payload={
            "contract_id": str(stored["id"]),
            "contract_version": version,
            "document_sha256": rendered.sha256,
            "size": stored["size"],
            "template_id": TEMPLATE_ID,
            "template_version": TEMPLATE_VERSION,
        },
    )


async def _latest(ctx: EffectContext) -> dict[str, Any]:
    latest = await contracts.latest(ctx.conn, ctx.row["id"])
    assert latest is not None  # guards require a contract version
    return latest


async def mark_contract_in_review(ctx: EffectContext) -> EffectResult:
    latest = await _latest(ctx)
    await contracts.set_status(ctx.conn, latest["id"], "in_review")
    return EffectResult(payload={"contract_id": str(latest["id"])})


async def record_review(ctx: EffectContext) -> EffectResult:
    latest = await _latest(ctx)
    decision = ctx.decision.action  # approve | request_revision
    assert ctx.caller.organisation_id is not None
    await contracts.insert_review(
        ctx.conn,
        contract_id=latest["id"],
        engagement_id=ctx.row["id"],
        organisation_id=ctx.caller.organisation_id,
        key_id=ctx.caller.key_id,
        decision=decision,
        comment=ctx.data.comment,
        clause_comments_json=json_text(ctx.data.clause_comments or ()),
        document_sha256=latest["sha256"],
    )
    await contracts.set_status(
        ctx.conn, latest["id"], "approved" if decision == "approve" else "changes_requested"
    )
    return EffectResult(payload={"contract_id": str(latest["id"])})


async def mark_contract_approved(ctx: EffectContext) -> EffectResult:
    latest = await _latest(ctx)
    return EffectResult(changes={"approved_sha256": latest["sha256"]})


async def record_signature(ctx: EffectContext) -> EffectResult:
    latest = await _latest(ctx)
    assert ctx.caller.organisation_id is not None
    assert ctx.data.signer_name  # the guard required signer name and title
    assert ctx.data.signer_title
    for party in ctx.decision.event_payload["parties"]:
        await contracts.insert_signature(
            ctx.conn,
            contract_id=latest["id"],
            engagement_id=ctx.row["id"],
            party=party,
            organisation_id=ctx.caller.organisation_id,
            key_id=ctx.caller.key_id,
            signer_name=ctx.data.signer_name.strip(),
            signer_title=ctx.data.signer_title.strip(),
            document_sha256=latest["sha256"],
        )
    return EffectResult(
        changes={"signed_parties": list(ctx.decision.event_payload["signed_by"])},
        payload={"contract_id": str(latest["id"])},
    )


async def create_signature_record(ctx: EffectContext) -> EffectResult:
    """Both have signed: who, when, the document hash, and the audit-chain head it follows."""
    latest = await _latest(ctx)
    head = await audit.head(ctx.conn, ctx.row["id"])
    signers = [
        {
            "party": s["party"],
            "organisation_id": str(s["organisation_id"]),
            "signer_name": s["signer_name"],
            "signer_title": s["signer_title"],
            "signed_at": s["signed_at"].astimezone(UTC).isoformat(),
            "document_sha256": s["document_sha256"],
        }
        for s in await contracts.signatures(ctx.conn, ctx.row["id"])
        if s["contract_id"] == latest["id"]
    ]
    record = {
        "engagement_id": str(ctx.row["id"]),
        "contract_id": str(latest["id"]),
        "contract_version": latest["version"],
        "document_sha256": latest["sha256"],
        "signers": signers,
        "audit_chain_head": head[1] if head else GENESIS_HASH,
    }
    await contracts.insert_signature_record(ctx.conn, ctx.row["id"], latest["id"], json.dumps(record))
    await contracts.set_status(ctx.conn, latest["id"], "signed")
    return EffectResult(payload={"signature_record": record})


# --- reads -------------------------------------------------------------------------------------


async def visible_contract(conn: Connection, caller: Caller, contract_id: UUID) -> dict[str, Any]:
    row = await contracts.get(conn, contract_id)
    if row is None:
        raise NotFound(f"contract {contract_id} not found")
    try:
        await visible_engagement(conn, caller, row["engagement_id"])
    except NotFound:
        raise NotFound(f"contract {contract_id} not found") from None
    return row


async def list_contracts(
    conn: Connection, caller: Caller, engagement_id: UUID, *, limit: int, cursor: str | None
) -> Page[ContractVersion]:
    await visible_engagement(conn, caller, engagement_id)
    rows = await contracts.page(conn, engagement_id, after=decode_seq_cursor(cursor), limit=limit + 1)
    items = [msgspec.convert(r, ContractVersion) for r in rows[:limit]]
    return Page(items=items, next_cursor=str(items[-1].version) if len(rows) > limit else None)


async def get_contract(conn: Connection, caller: Caller, contract_id: UUID) -> ContractVersion:
    return msgspec.convert(await visible_contract(conn, caller, contract_id), ContractVersion)


@dataclass(frozen=True, slots=True)
class Download:
    content: bytes
    sha256: str
    filename: str


async def contract_document(conn: Connection, caller: Caller, contract_id: UUID) -> Download:
    row = await visible_contract(conn, caller, contract_id)
    content = await contracts.document(conn, contract_id)
    assert content is not None
    return Download(
        content, row["sha256"], f"{reference(row['engagement_id'])} contract v{row['version']}.docx"
    )


def repr_digest(sha256_hex: str) -> str:
    return "sha-256=:" + base64.b64encode(bytes.fromhex(sha256_hex)).decode() + ":"


async def compare(conn: Connection, caller: Caller, from_id: UUID, to_id: UUID) -> Comparison:
    old = await visible_contract(conn, caller, from_id)
    new = await contracts.get(conn, to_id)
    if new is None or new["engagement_id"] != old["engagement_id"]:
        raise NotFound(f"contract {to_id} is not a version of the same engagement")
    old_texts = json.loads(await contracts.clauses(conn, from_id) or "{}")
    new_texts = json.loads(await contracts.clauses(conn, to_id) or "{}")
    changes = compare_clauses(old_texts, new_texts)
    return Comparison(
        from_=msgspec.convert(old, ContractVersion),
        to=msgspec.convert(new, ContractVersion),
        changes=changes,
    )


async def list_reviews(conn: Connection, caller: Caller, contract_id: UUID) -> Page[Review]:
    await visible_contract(conn, caller, contract_id)
    rows = await contracts.reviews(conn, contract_id)
    items = [
        msgspec.convert({**r, "clause_comments": json.loads(r["clause_comments"])}, Review) for r in rows
    ]
    return Page(items=items, next_cursor=None)


async def engagement_signatures(conn: Connection, caller: Caller, engagement_id: UUID) -> Signatures:
    await visible_engagement(conn, caller, engagement_id)
    rows = await contracts.signatures(conn, engagement_id)
    record = await contracts.signature_record(conn, engagement_id)
    return Signatures(
        signatures=[msgspec.convert(r, SignatureRecord) for r in rows],
        record=json.loads(record) if record else None,
    )
