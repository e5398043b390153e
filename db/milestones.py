"""SQL for milestones, deliveries, payments and the IP results register.

Every write here runs in a transaction that holds the engagement row lock.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from db.types import Connection

_MILESTONE = """engagement_id, key, position, revision, title, due_date, fee, acceptance_days, state,
    submitted_at, deliveries_since_start, paid_total, created_at, updated_at"""
_DELIVERY = """id, engagement_id, milestone_key, artifact_uri, checksum, notes, components::text as components,
    advisories::text as advisories, needs_approval, approved_at, created_at"""
_PAYMENT = "id, milestone_key, amount, paid_on, reference, created_at"


async def create_all(
    conn: Connection, engagement_id: UUID, revision: int, milestones: list[dict[str, Any]]
) -> None:
    await conn.executemany(
        """insert into milestones (engagement_id, key, position, revision, title, due_date, fee, acceptance_days)
           values ($1, $2, $3, $4, $5, $6, $7, $8)""",
        [
            (engagement_id, m["key"], i, revision, m["title"], m["due_date"], m["fee"], m["acceptance_days"])
            for i, m in enumerate(milestones)
        ],
    )


async def all_for(conn: Connection, engagement_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"select {_MILESTONE} from milestones where engagement_id = $1 order by position",  # noqa: S608
        engagement_id,
    )
    return [dict(r) for r in rows]


async def get(conn: Connection, engagement_id: UUID, key: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"select {_MILESTONE} from milestones where engagement_id = $1 and key = $2",  # noqa: S608
        engagement_id,
        key,
    )
    return dict(row) if row else None


async def set_state(
    conn: Connection,
    engagement_id: UUID,
    key: str,
    *,
    state: str,
    submitted_at: datetime | None,
    reset_deliveries: bool,
) -> None:
    await conn.execute(
        """update milestones
              set state = $3,
                  submitted_at = $4,
                  deliveries_since_start = case when $5 then 0 else deliveries_since_start end,
                  updated_at = clock_timestamp()
            where engagement_id = $1 and key = $2""",
        engagement_id,
        key,
        state,
        submitted_at,
        reset_deliveries,
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
) -> dict[str, Any]:
    row = await conn.fetchrow(
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
    assert row is not None
    return dict(row)


async def deliveries(conn: Connection, engagement_id: UUID, key: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""select {_DELIVERY} from deliveries
             where engagement_id = $1 and milestone_key = $2 order by created_at, id""",  # noqa: S608
        engagement_id,
        key,
    )
    return [dict(r) for r in rows]


async def latest_deliveries(conn: Connection, engagement_id: UUID) -> dict[str, dict[str, Any]]:
    """The newest delivery of each milestone, by milestone key."""
    rows = await conn.fetch(
        f"""select distinct on (milestone_key) {_DELIVERY} from deliveries
             where engagement_id = $1 order by milestone_key, created_at desc, id desc""",  # noqa: S608
        engagement_id,
    )
    return {r["milestone_key"]: dict(r) for r in rows}


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


async def payments(conn: Connection, engagement_id: UUID, key: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""select {_PAYMENT} from payments
             where engagement_id = $1 and milestone_key = $2 order by created_at, id""",  # noqa: S608
        engagement_id,
        key,
    )
    return [dict(r) for r in rows]


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


async def results(conn: Connection, engagement_id: UUID) -> dict[str, str]:
    """Vested entries (as JSON text) by milestone key."""
    rows = await conn.fetch(
        "select milestone_key, entry::text as entry from results_register where engagement_id = $1",
        engagement_id,
    )
    return {r["milestone_key"]: r["entry"] for r in rows}


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
