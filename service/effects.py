"""What each effect of a decision does: one handler per effect type, in one table.

A handler gets one effect value (``workflows.effects``) and the ``EffectContext`` of its
decision, runs inside the decision's transaction (engagement row locked), and returns the
columns it changes and what it adds to the audit event's payload. ``service.decisions``
applies decisions through ``HANDLERS``; an effect missing from it is refused before anything
is written.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, TypeAlias

from contract_templates import TEMPLATE_ID, TEMPLATE_VERSION
from db import audit, contracts, milestones, proposals
from db.contracts import ContractRow
from db.engagements import EngagementRow
from db.milestones import MilestoneRow
from db.types import Connection
from service.auth import Caller
from service.contracts import render_version
from service.responses import json_text
from service.snapshots import load_register, signed_revision, signed_terms
from workflows import GENESIS_HASH, ContractStatus, vested_entry
from workflows import effects as fx


@dataclass(frozen=True, slots=True)
class EffectContext:
    conn: Connection
    engagement: EngagementRow  # as locked
    caller: Caller | None  # None: the system acts (deemed acceptance)
    event_seq: int  # the seq of the audit event this decision writes
    milestone: MilestoneRow | None = None  # for a milestone decision

    @property
    def party(self) -> Caller:
        """The caller, for effects that only ever follow a party's own action."""
        assert self.caller is not None
        return self.caller

    @property
    def milestone_key(self) -> str:
        assert self.milestone is not None  # an effect of a milestone decision
        return self.milestone.key


@dataclass(slots=True)
class EffectResult:
    engagement: dict[str, Any] = field(default_factory=dict)  # engagement columns
    milestone: dict[str, Any] = field(default_factory=dict)  # the decided milestone's columns
    payload: dict[str, Any] = field(default_factory=dict)  # merged into the audit event


Handler: TypeAlias = Callable[[Any, EffectContext], Awaitable[EffectResult]]


# --- proposals and disputes ------------------------------------------------------------------------


async def mark_revision_submitted(effect: fx.MarkRevisionSubmitted, ctx: EffectContext) -> EffectResult:
    await proposals.mark_submitted(ctx.conn, ctx.engagement.id, effect.revision)
    return EffectResult()


async def mark_revision_accepted(effect: fx.MarkRevisionAccepted, ctx: EffectContext) -> EffectResult:
    await proposals.mark_accepted(ctx.conn, ctx.engagement.id, effect.revision)
    return EffectResult()


async def remember_disputed_from(effect: fx.RememberDisputedFrom, _: EffectContext) -> EffectResult:
    return EffectResult(engagement={"disputed_from": effect.state.value})


async def clear_disputed_from(_: fx.ClearDisputedFrom, __: EffectContext) -> EffectResult:
    return EffectResult(engagement={"disputed_from": None})


# --- contracts -------------------------------------------------------------------------------------


async def create_contract_version(effect: fx.CreateContractVersion, ctx: EffectContext) -> EffectResult:
    engagement_id = ctx.engagement.id
    version = await contracts.next_version(ctx.conn, engagement_id)
    rendered = await render_version(ctx.conn, ctx.engagement, effect.revision, version)
    stored = await contracts.insert_version(
        ctx.conn,
        engagement_id=engagement_id,
        version=version,
        revision=effect.revision,
        template_id=TEMPLATE_ID,
        template_version=TEMPLATE_VERSION,
        sha256=rendered.sha256,
        document=rendered.document,
        clauses_json=rendered.clauses_json,
        created_by_org=ctx.party.organisation_id,
        created_by_key=ctx.party.key_id,
    )
    return EffectResult(
        engagement={"latest_contract_sha256": rendered.sha256, "approved_sha256": None, "signed_parties": []},
        payload={
            "contract_id": str(stored.id),
            "contract_version": version,
            "document_sha256": rendered.sha256,
            "size": stored.size,
            "template_id": TEMPLATE_ID,
            "template_version": TEMPLATE_VERSION,
        },
    )


async def _latest_contract(ctx: EffectContext) -> ContractRow:
    latest = await contracts.latest(ctx.conn, ctx.engagement.id)
    assert latest is not None  # guards require a contract version
    return latest


async def mark_contract_in_review(_: fx.MarkContractInReview, ctx: EffectContext) -> EffectResult:
    latest = await _latest_contract(ctx)
    await contracts.set_status(ctx.conn, latest.id, ContractStatus.IN_REVIEW)
    return EffectResult(payload={"contract_id": str(latest.id)})


async def record_review(effect: fx.RecordReview, ctx: EffectContext) -> EffectResult:
    latest = await _latest_contract(ctx)
    assert ctx.party.organisation_id is not None
    await contracts.insert_review(
        ctx.conn,
        contract_id=latest.id,
        engagement_id=ctx.engagement.id,
        organisation_id=ctx.party.organisation_id,
        key_id=ctx.party.key_id,
        decision=effect.decision,
        comment=effect.comment,
        clause_comments_json=json_text(effect.clause_comments),
        document_sha256=latest.sha256,
    )
    await contracts.set_status(ctx.conn, latest.id, effect.contract_status)
    return EffectResult(payload={"contract_id": str(latest.id)})


async def mark_contract_approved(effect: fx.MarkContractApproved, _: EffectContext) -> EffectResult:
    return EffectResult(engagement={"approved_sha256": effect.document_sha256})


async def record_signature(effect: fx.RecordSignature, ctx: EffectContext) -> EffectResult:
    latest = await _latest_contract(ctx)
    assert ctx.party.organisation_id is not None
    for party in effect.parties:
        await contracts.insert_signature(
            ctx.conn,
            contract_id=latest.id,
            engagement_id=ctx.engagement.id,
            party=party,
            organisation_id=ctx.party.organisation_id,
            key_id=ctx.party.key_id,
            signer_name=effect.signer_name,
            signer_title=effect.signer_title,
            signer_authority=effect.signer_authority,
            document_sha256=latest.sha256,
        )
    return EffectResult(
        engagement={"signed_parties": list(effect.signed_by)}, payload={"contract_id": str(latest.id)}
    )


async def create_signature_record(_: fx.CreateSignatureRecord, ctx: EffectContext) -> EffectResult:
    """Both have signed: who, when, the document hash, and the audit-chain head it follows."""
    latest = await _latest_contract(ctx)
    head = await audit.head(ctx.conn, ctx.engagement.id)
    signers = [
        {
            "party": s.party,
            "organisation_id": str(s.organisation_id),
            "signer_name": s.signer_name,
            "signer_title": s.signer_title,
            "signer_authority": s.signer_authority,
            "signed_at": s.signed_at.astimezone(UTC).isoformat(),
            "document_sha256": s.document_sha256,
        }
        for s in await contracts.signatures(ctx.conn, ctx.engagement.id)
        if s.contract_id == latest.id
    ]
    record = {
        "engagement_id": str(ctx.engagement.id),
        "contract_id": str(latest.id),
        "contract_version": latest.version,
        "document_sha256": latest.sha256,
        "signers": signers,
        "audit_chain_head": head[1] if head else GENESIS_HASH,
    }
    await contracts.insert_signature_record(ctx.conn, ctx.engagement.id, latest.id, json.dumps(record))
    await contracts.set_status(ctx.conn, latest.id, ContractStatus.SIGNED)
    return EffectResult(payload={"signature_record": record})


# --- milestones ------------------------------------------------------------------------------------


async def create_milestones(_: fx.CreateMilestones, ctx: EffectContext) -> EffectResult:
    revision = await signed_revision(ctx.conn, ctx.engagement.id)
    await milestones.create_all(ctx.conn, ctx.engagement.id, revision.revision, revision.milestones)
    return EffectResult(
        payload={"milestones": [m.key for m in revision.milestones], "revision": revision.revision}
    )


async def reset_delivery_count(_: fx.ResetDeliveryCount, __: EffectContext) -> EffectResult:
    # A (re)start voids what came before it: earlier deliveries and any earlier submission.
    return EffectResult(milestone={"deliveries_since_start": 0, "submitted_at": None})


async def record_submission(effect: fx.RecordSubmission, _: EffectContext) -> EffectResult:
    return EffectResult(milestone={"submitted_at": effect.submitted_at})


async def record_approvals(_: fx.RecordApprovals, ctx: EffectContext) -> EffectResult:
    latest = (await milestones.latest_deliveries(ctx.conn, ctx.engagement.id)).get(ctx.milestone_key)
    assert latest is not None  # approvals are pending on a delivery
    await milestones.approve_delivery(ctx.conn, latest.id)
    return EffectResult()


async def record_payment(effect: fx.RecordPayment, ctx: EffectContext) -> EffectResult:
    await milestones.insert_payment(
        ctx.conn,
        engagement_id=ctx.engagement.id,
        milestone_key=ctx.milestone_key,
        amount=effect.amount,
        paid_on=effect.paid_on,
        reference=effect.reference,
        created_by_org=ctx.party.organisation_id,
        created_by_key=ctx.party.key_id,
    )
    return EffectResult()


# --- the results register --------------------------------------------------------------------------


async def vest_results(effect: fx.VestResults, ctx: EffectContext) -> EffectResult:
    entry = vested_entry(
        await signed_terms(ctx.conn, ctx.engagement.id),
        milestone_key=ctx.milestone_key,
        delivery_checksum=effect.delivery_checksum,
        vendor_id=str(ctx.engagement.vendor_id),
        startup_id=str(ctx.engagement.startup_id),
        effective_on=effect.effective_on,
        source_event_seq=ctx.event_seq,
    )
    await milestones.insert_result(
        ctx.conn, ctx.engagement.id, ctx.milestone_key, json_text(entry), effect.effective_on, ctx.event_seq
    )
    return EffectResult()


async def finalise_results_register(_: fx.FinaliseResultsRegister, ctx: EffectContext) -> EffectResult:
    entries = await load_register(ctx.conn, ctx.engagement, terminated=False)
    return EffectResult(payload={"results": [e.milestone_key for e in entries if e.status == "vested"]})


async def record_unvested_results(_: fx.RecordUnvestedResults, ctx: EffectContext) -> EffectResult:
    if not await milestones.all_for(ctx.conn, ctx.engagement.id):
        return EffectResult(payload={"unvested": []})
    entries = await load_register(ctx.conn, ctx.engagement, terminated=True)
    unvested = [
        {"milestone_key": e.milestone_key, "reason": e.reason} for e in entries if e.status == "unvested"
    ]
    return EffectResult(payload={"unvested": unvested})


#: Every effect this build can apply, by type.
HANDLERS: dict[type[fx.Effect], Handler] = {
    fx.MarkRevisionSubmitted: mark_revision_submitted,
    fx.MarkRevisionAccepted: mark_revision_accepted,
    fx.RememberDisputedFrom: remember_disputed_from,
    fx.ClearDisputedFrom: clear_disputed_from,
    fx.CreateContractVersion: create_contract_version,
    fx.MarkContractInReview: mark_contract_in_review,
    fx.RecordReview: record_review,
    fx.MarkContractApproved: mark_contract_approved,
    fx.RecordSignature: record_signature,
    fx.CreateSignatureRecord: create_signature_record,
    fx.CreateMilestones: create_milestones,
    fx.ResetDeliveryCount: reset_delivery_count,
    fx.RecordSubmission: record_submission,
    fx.RecordApprovals: record_approvals,
    fx.RecordPayment: record_payment,
    fx.VestResults: vest_results,
    fx.FinaliseResultsRegister: finalise_results_register,
    fx.RecordUnvestedResults: record_unvested_results,
}

#: Effects that write neither proposal revisions nor milestones, so the facts the guards read under
#: the row lock (``db.engagements.SnapshotFacts``) still hold after them and an action's answer can
#: reuse them (``service.engagement_actions``). An effect missing here makes the answer read them
#: again: a new effect is safe until someone checks what it writes and adds it.
KEEPS_FACTS: frozenset[type[fx.Effect]] = frozenset(
    {
        fx.MarkRevisionAccepted,  # sets accepted_at, which the facts do not read
        fx.RememberDisputedFrom,
        fx.ClearDisputedFrom,
        fx.CreateContractVersion,
        fx.MarkContractInReview,
        fx.RecordReview,
        fx.MarkContractApproved,
        fx.RecordSignature,
        fx.CreateSignatureRecord,
        fx.FinaliseResultsRegister,
        fx.RecordUnvestedResults,
    }
)
