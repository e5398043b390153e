from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import msgspec

from workflows import Advisory, Availability, ComponentInput, MilestoneState


class Delivery(msgspec.Struct, kw_only=True):
    id: UUID
    milestone_key: str
    artifact_uri: str
    checksum: str
    notes: str | None
    components: list[ComponentInput]
    advisories: list[Advisory]
    needs_approval: list[str]
    approved_at: datetime | None
    created_at: datetime


class Payment(msgspec.Struct, kw_only=True):
    id: UUID
    milestone_key: str
    amount: Decimal
    paid_on: date
    reference: str
    created_at: datetime


class Milestone(msgspec.Struct, kw_only=True):
    key: str
    position: int
    title: str
    due_date: date
    fee: Decimal
    acceptance_days: int
    state: MilestoneState
    submitted_at: datetime | None
    paid_total: Decimal
    deliveries: list[Delivery]
    payments: list[Payment]
    available_actions: list[Availability]
