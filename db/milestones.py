"""SQL for milestones, deliveries, payments and the IP results register.

Every write here runs in a transaction that holds the engagement row lock.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from db.rows import JsonColumns, typed, typed_all, typed_or_none
from db.types import Connection
from workflows import Advisory, ComponentInput, MilestoneInput, MilestoneState, ResultEntry


class MilestoneRow(msgspec.Struct, frozen=True, kw_only=True):
    engagement_id: UUID
    key: str
    position: int
    revision: int
    title: str
    due_date: date
    fee: Decimal
    acceptance_days: int
    state: MilestoneState
    submitted_at: datetime | None
    deliveries_since_start: int
    paid_total: Decimal
    created_at: datetime
    updated_at: datetime


class DeliveryRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    engagement_id: UUID
    milestone_key: str
    artifact_uri: str
    checksum: str
    notes: str | None
    components: tuple[ComponentInput, ...]
    advisories: tuple[Advisory, ...]
    needs_approval: tuple[str, ...]
    approved_at: datetime | None
    created_at: datetime


class PaymentRow(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    milestone_key: str
    amount: Decimal
    paid_on: date
    reference: str
    created_at: datetime


_MILESTONE = """engagement_id, key, position, revision, title, due_date, fee, acceptance_days, state,
    submitted_at, deliveries_since_start, paid_total, created_at, updated_at"""
_DELIVERY = """id, engagement_id, milestone_key, artifact_uri, checksum, notes, components::text as components,
    advisories::text as advisories, needs_approval, approved_at, created_at"""
_DELIVERY_JSON: JsonColumns = {
    "components": msgspec.json.Decoder(tuple[ComponentInput, ...]),
    "advisories": msgspec.json.Decoder(tuple[Advisory, ...]),
}
_PAYMENT = "id, milestone_key, amount, paid_on, reference, created_at"
_ENTRY = msgspec.json.Decoder(ResultEntry)

# Milestone columns a decision may set (a fixed whitelist; values are bound parameters).
_UPDATABLE = frozenset({"state", "submitted_at", "deliveries_since_start"})


async def create_all(
    conn: Connection, engagement_id: UUID, revision: int, milestones: tuple[MilestoneInput, ...]
) -> None:
    await conn.executemany(
        """insert into milestones (engagement_id, key, position, revision, title, due_date, fee, acceptance_days)
           values ($1, $2, $3, $4, $5, $6, $7, $8)""",
        [
            (engagement_id, m.key, i, revision, m.title, m.due_date, m.fee, m.acceptance_days)
            for i, m in enumerate(milestones)
        ],
    )


async def all_for(conn: Connection, engagement_id: UUID) -> list[MilestoneRow]:
    records = await conn.fetch(
        f"select {_MILESTONE} from milestones where engagement_id = $1 order by position",  # noqa: S608
        engagement_id,
    )
    return typed_all(MilestoneRow, records)


async def get(conn: Connection, engagement_id: UUID, key: str) -> MilestoneRow | None:
    record = await conn.fetchrow(
        f"select {_MILESTONE} from milestones where engagement_id = $1 and key = $2",  # noqa: S608
        engagement_id,
        key,
    )
    return typed_or_none(MilestoneRow, record)


async def update(conn: Connection, engagement_id: UUID, key: str, changes: dict[str, Any]) -> None:
    """Apply a decision's column changes to one milestone; the caller holds the engagement row lock."""
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets = [f"{column} = ${i}" for i, column in enumerate(changes, start=3)]
    await conn.execute(
        f"""update milestones set {", ".join([*sets, "updated_at = clock_timestamp()"])}
             where engagement_id = $1 and key = $2""",  # noqa: S608 (whitelisted columns, bound values)
        engagement_id,
        key,
        *changes.values(),
    )


async def insert_delivery(
    conn: Connection,
    *,
    engagement_id: UUID,
    milestone_key: str,
    artifact_uri: str,
    checksum: str,
    notes: str | None,
    components_json: str,
    advisories_json: str,
    needs_approval: list[str],
    created_by_org: UUID | None,
    created_by_key: UUID | None,
) -> DeliveryRow:
    record = await conn.fetchrow(
        f"""insert into deliveries
                (engagement_id, milestone_key, artifact_uri, checksum, notes, components, advisories,
                 needs_approval, created_by_org, created_by_key)
            values ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10)
            returning {_DELIVERY}""",  # noqa: S608 (constant columns)
        engagement_id,
        milestone_key,
        artifact_uri,
        checksum,
        notes,
        components_json,
        advisories_json,
        needs_approval,
        created_by_org,
        created_by_key,
    )
    await conn.execute(
        """update milestones set deliveries_since_start = deliveries_since_start + 1, updated_at = clock_timestamp()
            where engagement_id = $1 and key = $2""",
        engagement_id,
        milestone_key,
    )
    assert record is not None
    return typed(DeliveryRow, record, _DELIVERY_JSON)


async def deliveries(conn: Connection, engagement_id: UUID, key: str) -> list[DeliveryRow]:
    records = await conn.fetch(
        f"""select {_DELIVERY} from deliveries
             where engagement_id = $1 and milestone_key = $2 order by created_at, id""",  # noqa: S608
        engagement_id,
        key,
    )
    return typed_all(DeliveryRow, records, _DELIVERY_JSON)


async def latest_deliveries(conn: Connection, engagement_id: UUID) -> dict[str, DeliveryRow]:
    """The newest delivery of each milestone, by milestone key."""
    records = await conn.fetch(
        f"""select distinct on (milestone_key) {_DELIVERY} from deliveries
             where engagement_id = $1 order by milestone_key, created_at desc, id desc""",  # noqa: S608
        engagement_id,
    )
    return {row.milestone_key: row for row in typed_all(DeliveryRow, records, _DELIVERY_JSON)}


async def approve_delivery(conn: Connection, delivery_id: UUID) -> None:
    await conn.execute("update deliveries set approved_at = clock_timestamp() where id = $1", delivery_id)


async def insert_payment(
    conn: Connection,
    *,
    engagement_id: UUID,
    milestone_key: str,
    amount: Decimal,
    paid_on: date,
    reference: str,
    created_by_org: UUID | None,
    created_by_key: UUID | None,
) -> Decimal:
    """Record the payment and return the milestone's new paid total."""
    await conn.execute(
        """insert into payments (engagement_id, milestone_key, amount, paid_on, reference, created_by_org, created_by_key)
           values ($1, $2, $3, $4, $5, $6, $7)""",
        engagement_id,
        milestone_key,
        amount,
        paid_on,
        reference,
        created_by_org,
        created_by_key,
    )
    total = await conn.fetchval(
        """update milestones set paid_total = paid_total + $3, updated_at = clock_timestamp()
            where engagement_id = $1 and key = $2 returning paid_total""",
        engagement_id,
        milestone_key,
        amount,
    )
    return Decimal(total)


async def payments(conn: Connection, engagement_id: UUID, key: str) -> list[PaymentRow]:
    records = await conn.fetch(
        f"""select {_PAYMENT} from payments
             where engagement_id = $1 and milestone_key = $2 order by created_at, id""",  # noqa: S608
        engagement_id,
        key,
    )
    return typed_all(PaymentRow, records)


async def insert_result(
    conn: Connection,
    engagement_id: UUID,
    milestone_key: str,
    entry_json: str,
    effective_on: date,
    source_event_seq: int,
) -> None:
    await conn.execute(
        """insert into results_register (engagement_id, milestone_key, entry, effective_on, source_event_seq)
           values ($1, $2, $3::jsonb, $4, $5)""",
        engagement_id,
        milestone_key,
        entry_json,
        effective_on,
        source_event_seq,
    )


async def results(conn: Connection, engagement_id: UUID) -> dict[str, ResultEntry]:
    """Vested entries by milestone key."""
    records = await conn.fetch(
        "select milestone_key, entry::text as entry from results_register where engagement_id = $1",
        engagement_id,
    )
    return {r["milestone_key"]: _ENTRY.decode(r["entry"]) for r in records}


async def any_acceptance_due(conn: Connection, engagement_id: UUID, now: datetime) -> bool:
    """A cheap pre-check for reads: is any submitted milestone past its acceptance period?"""
    return bool(
        await conn.fetchval(
            """select exists (
                   select 1 from milestones
                    where engagement_id = $1 and state = 'submitted'
                      and submitted_at + acceptance_days * interval '1 day' <= $2)""",
            engagement_id,
            now,
        )
    )
