from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from service.schemas.common import Input
from service.schemas.events import EventActor


class WebhookCreate(Input, frozen=True, kw_only=True, forbid_unknown_fields=True):
    url: Annotated[str, Meta(min_length=1, max_length=2048, description="http or https; a public address")]
    events: Annotated[
        list[Annotated[str, Meta(max_length=100)]],
        Meta(
            min_length=1,
            max_length=100,
            description='audit event types to receive, or `["*"]` for all; each at most 100 characters',
        ),
    ]


class Webhook(msgspec.Struct, kw_only=True):
    id: UUID
    url: str
    events: list[str]
    created_at: datetime
    previous_secret_until: datetime | None


class WebhookCreated(msgspec.Struct, kw_only=True):
    """The only responses that carry the signing secret: creation and rotation."""

    id: UUID
    url: str
    events: list[str]
    secret: str
    created_at: datetime
    previous_secret_until: datetime | None


class WebhookMessageStatus(StrEnum):
    """`pending`: still to deliver; `parked`: given up on after the last attempt."""

    PENDING = "pending"
    PARKED = "parked"


class WebhookMessage(msgspec.Struct, kw_only=True):
    id: UUID
    engagement_id: UUID
    seq: int
    event_type: str
    status: WebhookMessageStatus
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime


class FeedEvent(msgspec.Struct, kw_only=True):
    """An audit event in the organisation-wide feed: `cursor` resumes after it."""

    cursor: str
    engagement_id: UUID
    seq: int
    type: str
    actor: EventActor | Literal["system"]
    at: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class FeedPage(msgspec.Struct, kw_only=True):
    """`next_cursor` is always set: pass it as `since` to get what comes next."""

    items: list[FeedEvent]
    next_cursor: str
