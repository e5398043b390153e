"""SQL for engagements and the party index that scopes every read to a tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from db.rows import JsonColumns, typed, typed_all, typed_or_none
from db.types import Connection
from workflows import EngagementState, Funding, MilestoneState, Party, Signatories


class EngagementRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    vendor_id: UUID
    startup_id: UUID
    reviewer_id: UUID | None
    title: str
    summary: str
    currency: str
    funding: Funding | None
    state: EngagementState
    disputed_from: EngagementState | None
    version: int
    created_at: datetime
    updated_at: datetime
    latest_contract_sha256: str | None
    approved_sha256: str | None
    signed_parties: frozenset[Party]
    signatories: Signatories


class SnapshotFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What the workflow's guards read about an engagement besides its own row."""

    latest_revision: int | None
    latest_submitted: bool
    milestone_count: int  # in the latest revision
    milestone_states: tuple[MilestoneState, ...]  # of the signed revision, in order


_COLUMNS = """e.id, e.vendor_id, e.startup_id, e.reviewer_id, e.title, e.summary, e.currency,
    e.funding::text as funding, e.state, e.disputed_from, e.version, e.created_at, e.updated_at,
    e.latest_contract_sha256, e.approved_sha256, e.signed_parties, e.signatories::text as signatories"""
_JSON: JsonColumns = {
    "funding": msgspec.json.Decoder(Funding),
    "signatories": msgspec.json.Decoder(Signatories),
}

# Columns a change may set, with the cast each parameter needs. Only these names ever reach
# the SET clause (a fixed whitelist, never caller text); every value is a bound parameter.
_UPDATABLE = {
    "title": "",
    "summary": "",
    "reviewer_id": "::uuid",
    "funding": "::jsonb",
    "state": "",
    "disputed_from": "",
    "latest_contract_sha256": "",
    "approved_sha256": "",
    "signed_parties": "::text[]",
    "signatories": "::jsonb",
}


async def insert(
    conn: Connection,
    *,
    vendor_id: UUID,
    startup_id: UUID,
    reviewer_id: UUID | None,
    title: str,
    summary: str,
    currency: str,
    funding_json: str | None,
) -> EngagementRow:
    # The engagement and its party rows in one round trip (a data-modifying CTE always runs).
    record = await conn.fetchrow(
        f"""with e as (
                insert into engagements (vendor_id, startup_id, reviewer_id, title, summary, currency, funding)
                values ($1, $2, $3, $4, $5, $6, $7::jsonb) returning *),
            p as (
                insert into engagement_parties (organisation_id, engagement_id, party, created_at, updated_at)
                select v.organisation_id, e.id, v.party, e.created_at, e.updated_at
                  from e, lateral (values (e.vendor_id, 'vendor'), (e.startup_id, 'startup'),
                                          (e.reviewer_id, 'reviewer')) v (organisation_id, party)
                 where v.organisation_id is not null)
            select {_COLUMNS} from e""",  # noqa: S608 (constant columns)
        vendor_id,
        startup_id,
        reviewer_id,
        title,
        summary,
        currency,
        funding_json,
    )
    assert record is not None
    return typed(EngagementRow, record, _JSON)


async def _write_parties(conn: Connection, row: EngagementRow) -> None:
    parties = {Party.VENDOR: row.vendor_id, Party.STARTUP: row.startup_id, Party.REVIEWER: row.reviewer_id}
    await conn.execute("delete from engagement_parties where engagement_id = $1", row.id)
    await conn.executemany(
        """insert into engagement_parties (organisation_id, engagement_id, party, created_at, updated_at)
           values ($1, $2, $3, $4, $5)""",
        [
            (org, row.id, party.value, row.created_at, row.updated_at)
            for party, org in parties.items()
            if org is not None
        ],
    )


async def get_for(
    conn: Connection, engagement_id: UUID, organisation_id: UUID, *, lock: bool = False
) -> EngagementRow | None:
    """The engagement if ``organisation_id`` is one of its parties; with ``lock``, row-locked until commit."""
    query = f"""select {_COLUMNS} from engagements e
                 where e.id = $1
                   and exists (select 1 from engagement_parties p
                                where p.engagement_id = e.id and p.organisation_id = $2)"""  # noqa: S608
    record = await conn.fetchrow(query + (" for update of e" if lock else ""), engagement_id, organisation_id)
    return typed_or_none(EngagementRow, record, _JSON)


async def is_party(conn: Connection, engagement_id: UUID, organisation_id: UUID) -> bool:
    return bool(
        await conn.fetchval(
            "select exists (select 1 from engagement_parties where engagement_id = $1 and organisation_id = $2)",
            engagement_id,
            organisation_id,
        )
    )


async def update(conn: Connection, engagement_id: UUID, changes: dict[str, Any]) -> EngagementRow:
    """Apply column changes and bump the version; the caller holds the row lock."""
    unknown = set(changes) - set(_UPDATABLE)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets = [f"{column} = ${i}{_UPDATABLE[column]}" for i, column in enumerate(changes, start=2)]
    sets += ["version = version + 1", "updated_at = clock_timestamp()"]
    record = await conn.fetchrow(
        f"""with e as (update engagements set {", ".join(sets)} where id = $1 returning *)
            select {_COLUMNS} from e""",  # noqa: S608 (whitelisted columns, bound values)
        engagement_id,
        *changes.values(),
    )
    assert record is not None
    row = typed(EngagementRow, record, _JSON)
    if "reviewer_id" in changes:
        await _write_parties(conn, row)
    return row


async def bump_version(conn: Connection, engagement_id: UUID) -> EngagementRow:
    return await update(conn, engagement_id, {})


#: The list orders: the keyset each walks on the caller's party rows (an index for each).
ORDERS = {"created_at": ("created_at", ""), "-updated_at": ("updated_at", " desc")}


def _page_sql(order: str) -> str:
    column, direction = ORDERS[order]
    newer = "<" if direction else ">"
    return f"""select {_COLUMNS}
      from engagement_parties p
      join engagements e on e.id = p.engagement_id
     where p.organisation_id = $1
       and ($2::timestamptz is null or (p.{column}, p.engagement_id) {newer} ($2::timestamptz, $3::uuid))
       and ($4::text is null or e.state = $4)
       and ($5::uuid is null or exists (
               select 1 from engagement_parties c
                where c.engagement_id = p.engagement_id and c.organisation_id = $5
                  and c.organisation_id <> $1))
       and ($7::timestamptz is null or p.updated_at >= $7)
     order by p.{column}{direction}, p.engagement_id{direction}
     limit $6"""  # noqa: S608 (constant columns)


_PAGE_SQL = {order: _page_sql(order) for order in ORDERS}


def _page_args(
    organisation_id: UUID,
    state: str | None,
    counterparty_id: UUID | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
    updated_since: datetime | None,
) -> tuple[Any, ...]:
    return (
        organisation_id,
        after[0] if after else None,
        after[1] if after else None,
        state,
        counterparty_id,
        limit,
        updated_since,
    )


async def page_for(
    conn: Connection,
    organisation_id: UUID,
    *,
    state: str | None,
    counterparty_id: UUID | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
    order: str = "created_at",
    updated_since: datetime | None = None,
) -> list[EngagementRow]:
    """One keyset page walking the caller's party index: ``created_at`` ascending (the default) or
    ``-updated_at`` (most recently changed first), each with the engagement id as tie-breaker;
    ``after`` is the last row's (created_at or updated_at, id). ``updated_since``: only engagements
    changed at or after it.

    Vendor, start-up and reviewer are organisations of different kinds, so an organisation
    has at most one party row per engagement and a page never repeats one.
    """
    args = _page_args(organisation_id, state, counterparty_id, after, limit, updated_since)
    records = await conn.fetch(_PAGE_SQL[order], *args)
    return typed_all(EngagementRow, records, _JSON)


async def explain_page(
    conn: Connection,
    organisation_id: UUID,
    *,
    state: str | None = None,
    counterparty_id: UUID | None = None,
    after: tuple[datetime, UUID] | None = None,
    limit: int = 8,
    order: str = "created_at",
    updated_since: datetime | None = None,
) -> str:
    """EXPLAIN of the very query page_for runs, for the test that keeps it on the index."""
    args = _page_args(organisation_id, state, counterparty_id, after, limit, updated_since)
    records = await conn.fetch("explain " + _PAGE_SQL[order], *args)
    return "\n".join(r[0] for r in records)


# What the guards read besides the engagement row (``SnapshotFacts``), joined to an ``e`` with an ``id``.
_FACT_COLUMNS = """r.revision as latest_revision, coalesce(r.submitted, false) as latest_submitted,
    coalesce(r.milestone_count, 0) as milestone_count, coalesce(m.states, '{}') as milestone_states"""
_FACT_JOINS = """left join lateral (
         select revision, submitted_at is not null as submitted,
                jsonb_array_length(milestones) as milestone_count
           from proposal_revisions p where p.engagement_id = e.id
          order by revision desc limit 1) r on true
    left join lateral (
         select array_agg(state order by position) as states
           from milestones where engagement_id = e.id) m on true"""


async def snapshot_facts(conn: Connection, engagement_ids: list[UUID]) -> dict[UUID, SnapshotFacts]:
    """The latest revision's summary and the milestone states of each engagement, in one query."""
    records = await conn.fetch(
        f"select e.id, {_FACT_COLUMNS} from unnest($1::uuid[]) as e (id) {_FACT_JOINS}",  # noqa: S608
        engagement_ids,
    )
    return {r["id"]: typed(SnapshotFacts, r) for r in records}


async def get_with_facts(
    conn: Connection, engagement_id: UUID, organisation_id: UUID
) -> tuple[EngagementRow, SnapshotFacts] | None:
    """``get_for`` and ``snapshot_facts`` in one statement: a read costs one round trip."""
    record = await conn.fetchrow(
        f"""select {_COLUMNS}, {_FACT_COLUMNS} from engagements e {_FACT_JOINS}
             where e.id = $1
               and exists (select 1 from engagement_parties p
                            where p.engagement_id = e.id and p.organisation_id = $2)""",  # noqa: S608
        engagement_id,
        organisation_id,
    )
    if record is None:
        return None
    return typed(EngagementRow, record, _JSON), typed(SnapshotFacts, record)
