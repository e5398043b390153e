"""From stored rows to what the pure core and the renderers take: snapshots, inputs, party details.

The one place rows become core values; the aggregate modules import from here, not from each
other. The loaders read, inside the caller's transaction, what a snapshot needs.
"""

from __future__ import annotations

from uuid import UUID

from contract_templates import PartyInfo
from db import engagements, milestones, proposals
from db.engagements import EngagementRow, SnapshotFacts
from db.milestones import DeliveryRow, MilestoneRow
from db.organisations import OrganisationRow
from db.proposals import ProposalRow
from db.types import Connection
from workflows import (
    EngagementSnapshot,
    InvalidTransition,
    IpTerms,
    MilestoneOutcome,
    MilestoneSnapshot,
    ProposalInput,
    ResultEntry,
    model_of,
    register,
)


def reference(engagement_id: UUID) -> str:
    """The short reference documents carry: ``JT-`` and the first eight hex digits of the id."""
    return "JT-" + engagement_id.hex[:8].upper()


def party_info(org: OrganisationRow) -> PartyInfo:
    """An organisation as the documents name it."""
    return PartyInfo(
        organisation_id=str(org.id),
        name=org.name,
        country=org.country,
        registration_code=org.registration_code,
        vat_code=org.vat_code,
        address=org.address,
    )


def proposal_input(row: ProposalRow) -> ProposalInput:
    """A stored revision as the pure core's input type."""
    return ProposalInput(scope=row.scope, milestones=row.milestones, ip_terms=row.ip_terms)


def snapshot_of(row: EngagementRow, facts: SnapshotFacts) -> EngagementSnapshot:
    """The engagement and the facts about its revisions and milestones, as the guards see them."""
    return EngagementSnapshot(
        state=row.state,
        version=row.version,
        has_reviewer=row.reviewer_id is not None,
        latest_revision=facts.latest_revision,
        latest_revision_submitted=facts.latest_submitted,
        latest_revision_milestone_count=facts.milestone_count,
        # Terms are validated before a revision is stored, so a stored revision's terms are valid.
        latest_revision_terms_valid=facts.latest_revision is not None,
        latest_contract_sha256=row.latest_contract_sha256,
        approved_sha256=row.approved_sha256,
        signed_parties=row.signed_parties,
        signatories=row.signatories,
        milestone_states=tuple(state.value for state in facts.milestone_states),
        disputed_from=row.disputed_from,
    )


async def engagement_facts(conn: Connection, row: EngagementRow) -> SnapshotFacts:
    """What the guards read besides the row; for a decision, read in the transaction that holds the
    row lock (then it stays as read until this transaction writes)."""
    return (await engagements.snapshot_facts(conn, [row.id]))[row.id]


async def signed_revision(conn: Connection, engagement_id: UUID) -> ProposalRow:
    """The revision the parties agreed and so signed (the newest accepted one)."""
    row = await proposals.latest_accepted(conn, engagement_id)
    if row is None:
        raise InvalidTransition("the engagement has no accepted proposal revision")
    return row


async def signed_terms(conn: Connection, engagement_id: UUID) -> IpTerms:
    return (await signed_revision(conn, engagement_id)).ip_terms


def milestone_snapshot(
    m: MilestoneRow, engagement: EngagementRow, terms: IpTerms, latest: DeliveryRow | None
) -> MilestoneSnapshot:
    """A milestone with its latest delivery; components of an unapproved delivery await approval."""
    pending = latest.needs_approval if latest is not None and latest.approved_at is None else ()
    return MilestoneSnapshot(
        key=m.key,
        state=m.state,
        fee=m.fee,
        acceptance_days=m.acceptance_days,
        engagement_state=engagement.state.value,
        model=model_of(terms),
        submitted_at=m.submitted_at,
        paid_total=m.paid_total,
        delivery_count_since_start=m.deliveries_since_start,
        pending_approvals=pending,
        latest_delivery_checksum=latest.checksum if latest is not None else None,
    )


def milestone_outcome(m: MilestoneRow, latest: DeliveryRow | None) -> MilestoneOutcome:
    return MilestoneOutcome(key=m.key, state=m.state, delivery_checksum=latest.checksum if latest else None)


async def load_register(conn: Connection, row: EngagementRow, *, terminated: bool) -> list[ResultEntry]:
    """Every result of the engagement: vested ones as recorded, the rest unvested with the reason."""
    latest_by_key = await milestones.latest_deliveries(conn, row.id)
    return register(
        await signed_terms(conn, row.id),
        [milestone_outcome(m, latest_by_key.get(m.key)) for m in await milestones.all_for(conn, row.id)],
        await milestones.results(conn, row.id),
        terminated=terminated,
    )
