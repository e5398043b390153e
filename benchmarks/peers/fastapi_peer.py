"""A peer built the common way: FastAPI + SQLAlchemy 2 (async, asyncpg) + pydantic.

It serves the same ``GET /api/v1/engagements/{id}`` as jointip, from the same database: Bearer-key
authentication by the key's SHA-256, the tenant check through ``engagement_parties``, the
engagement as JSON with the caller's available actions. It is a benchmark reference only.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel
from sqlalchemy import ARRAY, DateTime, ForeignKey, Integer, LargeBinary, String, Text, exists, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from workflows import Actor, EngagementSnapshot, EngagementState, Party, available_actions


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True), primary_key=True)
    organisation_id: Mapped[UUID | None] = mapped_column(PgUUID(as_uuid=True))
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Engagement(Base):
    __tablename__ = "engagements"
    id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True), primary_key=True)
    vendor_id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True))
    startup_id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True))
    reviewer_id: Mapped[UUID | None] = mapped_column(PgUUID(as_uuid=True))
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    funding: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signed_parties: Mapped[list[str]] = mapped_column(ARRAY(Text))


class EngagementParty(Base):
    __tablename__ = "engagement_parties"
    organisation_id: Mapped[UUID] = mapped_column(PgUUID(as_uuid=True), primary_key=True)
    engagement_id: Mapped[UUID] = mapped_column(
        PgUUID(as_uuid=True), ForeignKey("engagements.id"), primary_key=True
    )
    party: Mapped[str] = mapped_column(Text, primary_key=True)


class ActionOut(BaseModel):
    action: str
    enabled: bool
    reason: str | None = None
    requires: list[str] = []


class EngagementOut(BaseModel):
    id: UUID
    vendor_id: UUID
    startup_id: UUID
    reviewer_id: UUID | None
    title: str
    summary: str
    currency: str
    funding: dict[str, Any] | None
    state: str
    version: int
    created_at: datetime
    updated_at: datetime
    available_actions: list[ActionOut]


def _asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


engine = create_async_engine(_asyncpg_url(os.environ["DATABASE_URL"]), pool_size=20)
sessions = async_sessionmaker(engine, expire_on_commit=False)


async def session() -> AsyncIterator[AsyncSession]:
    async with sessions() as s:
        yield s


Session = Annotated[AsyncSession, Depends(session)]


async def caller(s: Session, authorization: Annotated[str, Header()] = "") -> ApiKey:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "missing bearer key")
    key = await s.scalar(
        select(ApiKey).where(
            ApiKey.secret_hash == hashlib.sha256(token.encode()).digest(), ApiKey.revoked_at.is_(None)
        )
    )
    if key is None:
        raise HTTPException(401, "invalid key")
    return key


app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/api/v1/engagements/{engagement_id}", response_model=EngagementOut)
async def get_engagement(
    engagement_id: UUID, s: Session, key: Annotated[ApiKey, Depends(caller)]
) -> EngagementOut:
    visible = exists().where(
        EngagementParty.engagement_id == Engagement.id, EngagementParty.organisation_id == key.organisation_id
    )
    row = await s.scalar(select(Engagement).where(Engagement.id == engagement_id, visible))
    if row is None:
        raise HTTPException(404, "engagement not found")
    columns = {Party.VENDOR: row.vendor_id, Party.STARTUP: row.startup_id, Party.REVIEWER: row.reviewer_id}
    actor = Actor(
        parties=frozenset(p for p, org in columns.items() if org == key.organisation_id),
        organisation_id=str(key.organisation_id),
        key_id=str(key.id),
    )
    snapshot = EngagementSnapshot(
        state=EngagementState(row.state),
        version=row.version,
        signed_parties=frozenset(Party(p) for p in row.signed_parties),
    )
    return EngagementOut.model_validate(
        {
            **{c: getattr(row, c) for c in EngagementOut.model_fields if c != "available_actions"},
            "available_actions": [
                {"action": a.action, "enabled": a.enabled, "reason": a.reason, "requires": list(a.requires)}
                for a in available_actions(snapshot, actor)
            ],
        }
    )


def create_app() -> FastAPI:
    return app
