"""Contract versions: generation (rendered off the event loop), review, signatures, reads, compare."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from uuid import UUID

import msgspec

from contract_templates import (
    ContractInput,
    clause_texts,
    compare_clauses,
    load_library,
    render_contract,
    render_redline,
)
from db import contracts, organisations, proposals
from db.contracts import ContractRow
from db.engagements import EngagementRow
from db.types import Connection
from service.auth import Caller
from service.metrics import render_timer
from service.pagination import decode_seq_cursor
from service.rendering import render
from service.schemas.common import Page, shaped
from service.schemas.contracts import (
    CitableClause,
    Comparison,
    ContractVersion,
    Review,
    SignatureRecord,
    Signatures,
    SignedRecord,
)
from service.snapshots import party_info, proposal_input, reference
from service.tenancy import visible_engagement
from workflows import (
    NotFound,
    RuleViolation,
)


@cache
def citable_clauses() -> frozenset[str]:
    """What review comments may cite: a clause id (``results_ip.joint``) or a part (``results_ip``)."""
    library = load_library()
    return frozenset(library.clause_ids()) | {part.key for part in library.parts}


async def _contract_input(conn: Connection, row: EngagementRow, revision: int, version: int) -> ContractInput:
    revision_row = await proposals.get(conn, row.id, revision)
    assert revision_row is not None  # the guard required an accepted revision
    vendor = await organisations.get(conn, row.vendor_id)
    startup = await organisations.get(conn, row.startup_id)
    reviewer = await organisations.get(conn, row.reviewer_id) if row.reviewer_id else None
    assert vendor is not None  # parties reference existing organisations
    assert startup is not None
    return ContractInput(
        engagement_id=str(row.id),
        reference=reference(row.id),
        title=row.title,
        summary=row.summary,
        currency=row.currency,  # type: ignore[arg-type]  # the column's check admits EUR and NOK only
        vendor=party_info(vendor),
        startup=party_info(startup),
        reviewer=party_info(reviewer) if reviewer else None,
        funding=row.funding,
        revision=revision,
        contract_version=version,
        proposal=proposal_input(revision_row),
        issued_on=datetime.now(UTC).date(),
        signatories=row.signatories,
    )


@dataclass(frozen=True, slots=True)
class Rendered:
    document: bytes
    sha256: str
    clauses_json: str  # the clause texts as stored (JSON text: megabytes for the largest proposal)


def _render(data: ContractInput) -> Rendered:
    """In a render process: the document, its hash and the clause texts, all the CPU work."""
    document = render_contract(data)
    clauses = json.dumps(clause_texts(data), ensure_ascii=False)
    return Rendered(document, hashlib.sha256(document).hexdigest(), clauses)


async def render_version(conn: Connection, row: EngagementRow, revision: int, version: int) -> Rendered:
    """Contract version ``version`` of the engagement, from proposal ``revision``, rendered off the
    event loop, in the render process pool (seconds of CPU for the largest proposal)."""
    data = await _contract_input(conn, row, revision, version)
    with render_timer("contract"):
        return await render(_render, data)


# --- reads -------------------------------------------------------------------------------------


async def visible_contract(conn: Connection, caller: Caller, contract_id: UUID) -> ContractRow:
    row = await contracts.get(conn, contract_id)
    if row is None:
        raise NotFound(f"contract {contract_id} not found")
    try:
        await visible_engagement(conn, caller, row.engagement_id)
    except NotFound:
        raise NotFound(f"contract {contract_id} not found") from None
    return row


async def list_contracts(
    conn: Connection, caller: Caller, engagement_id: UUID, *, limit: int, cursor: str | None
) -> Page[ContractVersion]:
    await visible_engagement(conn, caller, engagement_id)
    rows = await contracts.page(conn, engagement_id, after=decode_seq_cursor(cursor), limit=limit + 1)
    items = [shaped(r, ContractVersion) for r in rows[:limit]]
    return Page(items=items, next_cursor=str(items[-1].version) if len(rows) > limit else None)


async def get_contract(conn: Connection, caller: Caller, contract_id: UUID) -> ContractVersion:
    return shaped(await visible_contract(conn, caller, contract_id), ContractVersion)


@dataclass(frozen=True, slots=True)
class Download:
    content: bytes
    sha256: str
    filename: str


def contract_filename(row: ContractRow) -> str:
    return f"{reference(row.engagement_id)} contract v{row.version}.docx"


async def contract_document(conn: Connection, caller: Caller, contract_id: UUID) -> Download:
    row = await visible_contract(conn, caller, contract_id)
    content = await contracts.document(conn, contract_id)
    assert content is not None
    return Download(content, row.sha256, contract_filename(row))


def repr_digest(sha256_hex: str) -> str:
    return "sha-256=:" + base64.b64encode(bytes.fromhex(sha256_hex)).decode() + ":"


async def comparable_versions(
    conn: Connection, caller: Caller, from_id: UUID, to_id: UUID
) -> tuple[ContractRow, ContractRow]:
    """Two versions of one engagement the caller sees. A version the caller cannot see is 404; two
    versions of different engagements the caller both sees cannot be compared (422)."""
    old = await visible_contract(conn, caller, from_id)
    new = await contracts.get(conn, to_id)
    if new is not None and new.engagement_id != old.engagement_id:
        await visible_contract(conn, caller, to_id)
        raise RuleViolation.one(
            "other_id",
            f"contract {to_id} is a version of another engagement; compare versions of one engagement",
        )
    if new is None:
        raise NotFound(f"contract {to_id} not found")
    return old, new


async def compare(conn: Connection, caller: Caller, from_id: UUID, to_id: UUID) -> Comparison:
    old, new = await comparable_versions(conn, caller, from_id, to_id)
    changes = compare_clauses(await contracts.clauses(conn, from_id), await contracts.clauses(conn, to_id))
    return Comparison(from_=shaped(old, ContractVersion), to=shaped(new, ContractVersion), changes=changes)


def redline_filename(old: ContractRow, new: ContractRow) -> str:
    return f"{reference(new.engagement_id)} contract v{new.version} redline against v{old.version}.docx"


async def redline(conn: Connection, caller: Caller, from_id: UUID, to_id: UUID) -> Download:
    """Version ``to_id`` with every difference from ``from_id`` as tracked changes, dated when
    ``to_id`` was generated (rendered off the event loop)."""
    old, new = await comparable_versions(conn, caller, from_id, to_id)
    old_document, new_document = (
        await contracts.document(conn, old.id),
        await contracts.document(conn, new.id),
    )
    assert old_document is not None
    assert new_document is not None
    old_clauses, new_clauses = await contracts.clauses(conn, old.id), await contracts.clauses(conn, new.id)
    with render_timer("redline"):
        content = await render(
            render_redline,
            old_document,
            new_document,
            at=new.created_at,
            old_clauses=old_clauses,
            new_clauses=new_clauses,
        )
    return Download(content, hashlib.sha256(content).hexdigest(), redline_filename(old, new))


async def list_reviews(conn: Connection, caller: Caller, contract_id: UUID) -> Page[Review]:
    await visible_contract(conn, caller, contract_id)
    items = [shaped(r, Review) for r in await contracts.reviews(conn, contract_id)]
    return Page(items=items, next_cursor=None)


async def engagement_signatures(conn: Connection, caller: Caller, engagement_id: UUID) -> Signatures:
    await visible_engagement(conn, caller, engagement_id)
    rows = await contracts.signatures(conn, engagement_id)
    return Signatures(
        signatures=[shaped(r, SignatureRecord) for r in rows],
        record=msgspec.convert(await contracts.signature_record(conn, engagement_id), SignedRecord | None),
    )


def clause_catalogue(template: str | None) -> Page[CitableClause]:
    """The parts and clauses of the contract template, which review comments cite by id."""
    library = load_library()
    if template is not None and template != library.template_id:
        raise NotFound(f"template {template!r} not found; this service uses {library.template_id!r}")
    items = [
        CitableClause(
            id=clause_id,
            kind="part" if clause_id == part else "clause",
            part=part,
            heading=heading,
            template_id=library.template_id,
            template_version=library.template_version,
        )
        for clause_id, part, heading in library.headings()
    ]
    return Page(items=items, next_cursor=None)
