"""Factories for valid workflow inputs; tests change one thing with ``msgspec.structs.replace``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from msgspec.structs import replace

from workflows import (
    ActionInput,
    Actor,
    Asset,
    BackgroundIp,
    ClientOwns,
    EngagementSnapshot,
    EngagementState,
    FieldsByParty,
    FieldSplit,
    IpTerms,
    Joint,
    LeadExploiter,
    LicenceGrant,
    MilestoneInput,
    OpenSourcePolicy,
    Party,
    PartyBackgroundIp,
    ProposalInput,
    Shares,
    VendorOwnsLicensed,
)

SHA = "ab" * 32
OTHER_SHA = "cd" * 32


def actor(*parties: Party) -> Actor:
    return Actor(parties=frozenset(parties), organisation_id="org-1", key_id="key-1")


def snapshot(state: EngagementState, **changes: Any) -> EngagementSnapshot:
    """A snapshot in which every guard of every action from ``state`` passes."""
    base = EngagementSnapshot(
        state=state,
        version=7,
        has_reviewer=True,
        latest_revision=2,
        latest_revision_submitted=True,
        latest_revision_milestone_count=2,
        latest_revision_terms_valid=True,
        latest_contract_sha256=SHA,
        approved_sha256=SHA,
        milestone_states=("paid", "paid"),
        disputed_from=EngagementState.IN_DEVELOPMENT if state is EngagementState.DISPUTED else None,
    )
    return replace(base, **changes)


#: Snapshot changes an action needs beyond ``snapshot()`` for its guards to pass.
READY: dict[str, dict[str, Any]] = {"submit_proposal": {"latest_revision_submitted": False}}

#: An input that satisfies each action's guards.
GOOD_INPUT: dict[str, ActionInput] = {
    "submit_proposal": ActionInput(),
    "request_changes": ActionInput(comment="Please split milestone 2"),
    "accept_proposal": ActionInput(revision=2),
    "generate_contract": ActionInput(),
    "submit_for_review": ActionInput(),
    "request_revision": ActionInput(comment="Clause 7.2 is unclear"),
    "approve": ActionInput(document_sha256=SHA),
    "sign": ActionInput(document_sha256=SHA, signer_name="Ona Žemaitytė", signer_title="CEO"),
    "start_development": ActionInput(),
    "deliver": ActionInput(),
    "reject_delivery": ActionInput(comment="Login is broken"),
    "accept_delivery": ActionInput(),
    "complete": ActionInput(),
    "withdraw": ActionInput(reason="Funding fell through"),
    "terminate": ActionInput(reason="Material breach"),
    "raise_dispute": ActionInput(reason="Late delivery"),
    "resolve_dispute": ActionInput(reason="Settled"),
}


def party_ip(owner: str) -> PartyBackgroundIp:
    return PartyBackgroundIp(
        assets=(Asset(title=f"{owner} toolkit", description="Pre-existing libraries"),),
        licence="non-exclusive, royalty-free, for the project only",
    )


def common(**changes: Any) -> dict[str, Any]:
    """The fields every IP model shares, valid and advisory-free (NO law, Oslo courts)."""
    fields: dict[str, Any] = {
        "background_ip": BackgroundIp(vendor=party_ip("Vendor"), startup=party_ip("Startup")),
        "open_source_policy": OpenSourcePolicy(
            allowed_licences=("MIT", "Apache-2.0", "BSD-3-Clause"), copyleft_requires_approval=True
        ),
        "confidentiality_years": 5,
        "warranty_days": 90,
        "liability_cap_multiple": Decimal("1.5"),
        "source_code_escrow": True,
        "governing_law": "NO",
        "forum": "courts",
        "arbitration_institute": None,
    }
    return fields | changes


def client_owns(**changes: Any) -> ClientOwns:
    return ClientOwns(**common(**changes))


def vendor_owns_licensed(**changes: Any) -> VendorOwnsLicensed:
    licence = LicenceGrant(
        exclusive=True,
        field="Fintech payments",
        territory="EEA",
        term_years=5,
        sublicensable=False,
        purchase_option=True,
    )
    return VendorOwnsLicensed(**common(**({"licence": licence} | changes)))


def joint(**changes: Any) -> Joint:
    defaults: dict[str, Any] = {
        "shares": Shares(vendor=Decimal(40), startup=Decimal(60)),
        "managing_party": "startup",
        "third_party_licensing": "notice",
        "notice_days": 30,
        "revenue_share": "pro_rata",
    }
    return Joint(**common(**(defaults | changes)))


def field_split(
    vendor: tuple[str, ...] = ("Payments",), startup: tuple[str, ...] = ("Lending",), **changes: Any
) -> FieldSplit:
    return FieldSplit(**common(fields=FieldsByParty(vendor=vendor, startup=startup), **changes))


def lead_exploiter(**changes: Any) -> LeadExploiter:
    defaults: dict[str, Any] = {"lead_party": "startup", "revenue_share_pct": Decimal("12.5")}
    return LeadExploiter(**common(**(defaults | changes)))


MODELS: dict[str, Callable[..., IpTerms]] = {
    "client_owns": client_owns,
    "vendor_owns_licensed": vendor_owns_licensed,
    "joint": joint,
    "field_split": field_split,
    "lead_exploiter": lead_exploiter,
}


def milestone(i: int = 0, **changes: Any) -> MilestoneInput:
    base = MilestoneInput(
        key=f"m{i + 1}",
        title=f"Milestone {i + 1}",
        description="Build it",
        due_date=date(2026, 3, 1 + i),
        fee=Decimal("12500.00"),
        acceptance_criteria="All acceptance tests pass",
        acceptance_days=14,
    )
    return replace(base, **changes)


def proposal(
    ip_terms: IpTerms | None = None, milestones: tuple[MilestoneInput, ...] | None = None
) -> ProposalInput:
    return ProposalInput(
        scope="An MVP of a payments app",
        milestones=(milestone(0), milestone(1)) if milestones is None else milestones,
        ip_terms=client_owns() if ip_terms is None else ip_terms,
    )
