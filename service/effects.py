"""What a workflow decision needs done besides moving the state: one handler per named effect.

Each handler runs inside the action's transaction (engagement row locked) and returns the
engagement columns it changes and what it adds to the audit event's payload.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from db import proposals
from db.types import Connection
from service.auth import Caller
from workflows.engagement import ActionInput, Decision, EngagementSnapshot


@dataclass(frozen=True, slots=True)
class EffectContext:
    conn: Connection
    caller: Caller
    row: dict[str, Any]  # the engagement, as locked
    snapshot: EngagementSnapshot
    decision: Decision
    data: ActionInput


@dataclass(slots=True)
class EffectResult:
    changes: dict[str, Any] = field(default_factory=dict)  # engagement columns
    payload: dict[str, Any] = field(default_factory=dict)  # merged into the audit event


Effect = Callable[[EffectContext], Awaitable[EffectResult]]


async def mark_revision_submitted(ctx: EffectContext) -> EffectResult:
    assert ctx.snapshot.latest_revision is not None  # the guard made sure
    await proposals.mark_submitted(ctx.conn, ctx.row["id"], ctx.snapshot.latest_revision)
    return EffectResult()


async def mark_revision_accepted(ctx: EffectContext) -> EffectResult:
    assert ctx.snapshot.latest_revision is not None
    await proposals.mark_accepted(ctx.conn, ctx.row["id"], ctx.snapshot.latest_revision)
    return EffectResult()


async def remember_disputed_from(ctx: EffectContext) -> EffectResult:
    return EffectResult(changes={"disputed_from": ctx.decision.from_state.value})


async def clear_disputed_from(ctx: EffectContext) -> EffectResult:
    return EffectResult(changes={"disputed_from": None})
