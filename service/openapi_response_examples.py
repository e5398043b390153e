"""Examples for the OpenAPI document's responses: one per response schema an operation names.

They describe one fictional engagement (the one the input examples and the demo use) as the API
would answer about it, and are built from the response Structs themselves and, where a value is
computed, by the same pure functions the service uses: the available actions by the workflow's
guards, the audit events sealed into a real chain and verified, the register entry allocated by
the IP model, the clause catalogue from the template, cursors and link tokens as issued. So mypy
holds them to the types, and ``tests/api/test_openapi_document.py`` holds them to the published
schemas, with no unknown property anywhere.

Built on first use (``response_examples()``, cached): the OpenAPI document is built once per process.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, Literal
from uuid import UUID

import msgspec
from litestar.response import ServerSentEventMessage

from contract_templates.compare import ClauseChange
from contract_templates.samples import sample_funding, sample_proposal, sample_signatories
from service import feed, pagination
from service.contracts import clause_catalogue
from service.controllers.health import Health
from service.links import link_path, link_token
from service.metrics import PREFIX
from service.openapi_examples import REVIEWER_ID, SCHEMA_EXAMPLES, SHA256, STARTUP_ID, VENDOR_ID
from service.schemas.api_keys import ApiKey, ApiKeyCreated, Me
from service.schemas.contracts import (
    Comparison,
    ContractVersion,
    Review,
    SignatureRecord,
    Signatures,
    SignedRecord,
    Signer,
)
from service.schemas.engagements import (
    Engagement,
    EngagementCreate,
    MilestoneWorkflow,
    Proposal,
    Workflow,
)
from service.schemas.events import AuditEvent, ChainReport, EventActor
from service.schemas.links import Link, LinkCreated
from service.schemas.milestones import Delivery, Milestone, Payment
from service.schemas.organisations import Organisation
from service.schemas.webhooks import (
    FeedEvent,
    Webhook,
    WebhookCreated,
    WebhookMessage,
    WebhookMessageStatus,
)
from workflows import (
    GENESIS_HASH,
    ActionInput,
    Actor,
    ChainEvent,
    ChainVerdict,
    ClauseComment,
    ContractStatus,
    DeliveryInput,
    EngagementSnapshot,
    EngagementState,
    MilestoneSnapshot,
    MilestoneState,
    Party,
    ProposalInput,
    Signatory,
    available_actions,
    available_milestone_actions,
    check_delivery,
    decide,
    describe_milestone_workflow,
    describe_workflow,
    format_event_time,
    seal_event,
    terms_advisories,
    total_fee,
    verify_chain,
    vested_entry,
)

_NUMBERS = msgspec.json.Encoder(decimal_format="number")

ENGAGEMENT_ID = UUID("01938a4e-7c00-7a3b-9c1d-2e3f4a5b6c7d")
CONTRACT_V1 = UUID("5b1e0c8d-3a2f-4e6b-9d7c-1a2b3c4d5e01")
CONTRACT_V2 = UUID("5b1e0c8d-3a2f-4e6b-9d7c-1a2b3c4d5e02")
VENDOR_KEY = UUID("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c01")
STARTUP_KEY = UUID("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c02")
REVIEWER_KEY = UUID("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c03")
LINK_ID = UUID("7e57c0de-1111-4c22-8d33-4e445f556601")
WEBHOOK_ID = UUID("3c0ffee0-aaaa-4bbb-8ccc-dddd0000e001")
MESSAGE_ID = UUID("3c0ffee0-aaaa-4bbb-8ccc-dddd0000e002")
DELIVERY_ID = UUID("d311e7e0-0001-4a00-8b00-c00000000001")
PAYMENT_ID = UUID("9a7e0000-0001-4a00-8b00-c00000000001")
REVIEW_ID = UUID("4e71e700-0001-4a00-8b00-c00000000001")
BASE_URL = "https://jointip.example"
#: Every moment in the examples: an engagement created on 1 December 2026 and reviewed later.
START = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _at(days: float, hours: float = 0) -> datetime:
    return START + timedelta(days=days, hours=hours)


def _wire(value: Any) -> Any:
    """As it travels: Decimals as JSON numbers, dates and UUIDs as strings, unset fields left out."""
    return msgspec.json.decode(_NUMBERS.encode(value))


def _page(*items: Any, more: str | None = None) -> dict[str, Any]:
    return {"items": [_wire(item) for item in items], "next_cursor": more}


@cache
def _proposal_input() -> ProposalInput:
    """The agreed proposal: two milestones of the demo's fictional engagement."""
    return sample_proposal(date(2026, 12, 1), milestones=2)


def _organisations() -> dict[str, Organisation]:
    organisations = {
        "vendor": Organisation(
            id=UUID(VENDOR_ID),
            name="Šiaurės kodas UAB",
            kind="vendor",
            country="LT",
            registration_code="304151376",
            vat_code="LT100011223311",
            address="Gedimino pr. 1, Vilnius",
            clusters=["ICT"],
            created_at=_at(-30),
        ),
        "startup": Organisation(
            id=UUID(STARTUP_ID),
            name="Nordlys Pay AS",
            kind="startup",
            country="NO",
            registration_code="931 456 782",
            vat_code=None,
            address="Storgata 7, 0155 Oslo",
            clusters=[],
            created_at=_at(-29),
        ),
        "reviewer": Organisation(
            id=UUID(REVIEWER_ID),
            name="Advokatų kontora Teisė",
            kind="legal",
            country="LT",
            registration_code="302998877",
            vat_code=None,
            address=None,
            clusters=[],
            created_at=_at(-29),
        ),
    }
    return organisations


def _engagement() -> Engagement:
    signatories = sample_signatories()
    # The engagement as its legal reviewer sees it while the contract awaits review.
    reviewing = EngagementSnapshot(
        state=EngagementState.IN_REVIEW,
        version=7,
        has_reviewer=True,
        latest_revision=1,
        latest_revision_submitted=True,
        latest_revision_milestone_count=2,
        latest_revision_terms_valid=True,
        latest_contract_sha256=SHA256,
        signatories=signatories,
    )
    reviewer = Actor(
        parties=frozenset({Party.REVIEWER}), organisation_id=REVIEWER_ID, key_id=str(REVIEWER_KEY)
    )
    engagement = Engagement(
        id=ENGAGEMENT_ID,
        vendor_id=UUID(VENDOR_ID),
        startup_id=UUID(STARTUP_ID),
        reviewer_id=UUID(REVIEWER_ID),
        title="Nordic payments MVP",
        summary="A card-less payments MVP for a Norwegian fintech start-up.",
        currency="EUR",
        funding=sample_funding(),
        signatories=signatories,
        state=EngagementState.IN_REVIEW,
        version=reviewing.version,
        created_at=START,
        updated_at=_at(2, 4),
        available_actions=available_actions(reviewing, reviewer),
    )
    return engagement


def _proposal() -> Proposal:
    proposal = _proposal_input()
    proposal_answer = Proposal(
        engagement_id=ENGAGEMENT_ID,
        revision=1,
        scope=proposal.scope,
        milestones=list(proposal.milestones),
        ip_terms=proposal.ip_terms,
        total_fee=total_fee(proposal),
        advisories=terms_advisories(proposal.ip_terms),
        created_at=_at(0, 1),
        submitted_at=_at(0, 2),
        accepted_at=_at(1),
    )
    return proposal_answer


def _contracts() -> tuple[ContractVersion, ContractVersion, Review]:
    """Version 2 in review, version 1 whose review asked for changes, and that review."""
    contract = ContractVersion(
        id=CONTRACT_V2,
        engagement_id=ENGAGEMENT_ID,
        version=2,
        revision=1,
        template_id=clause_catalogue(None).items[0].template_id,
        template_version=clause_catalogue(None).items[0].template_version,
        sha256=SHA256,
        size=61_873,
        created_at=_at(2, 4),
        status=ContractStatus.IN_REVIEW,
    )
    earlier = msgspec.structs.replace(
        contract,
        id=CONTRACT_V1,
        version=1,
        sha256="4d7e1f20" * 8,
        created_at=_at(1, 1),
        status=ContractStatus.CHANGES_REQUESTED,
    )
    review = Review(
        id=REVIEW_ID,
        contract_id=CONTRACT_V1,
        organisation_id=UUID(REVIEWER_ID),
        decision="request_revision",
        comment="Clause 7.2 needs the Norwegian wording.",
        clause_comments=[ClauseComment(clause_id="governing_law", comment="Name Oslo District Court.")],
        document_sha256=earlier.sha256,
        created_at=_at(1, 5),
    )
    return earlier, contract, review


def _milestones() -> tuple[Milestone, Milestone]:
    """The first milestone accepted, delivered and partly paid; the second in progress."""
    proposal = _proposal_input()
    first, second = proposal.milestones
    # The start-up records a first payment for an accepted milestone.
    paying = MilestoneSnapshot(
        key=first.key,
        state=MilestoneState.ACCEPTED,
        fee=first.fee,
        acceptance_days=first.acceptance_days,
        engagement_state=EngagementState.IN_DEVELOPMENT,
        model="joint",
        submitted_at=_at(24),
        paid_total=Decimal("4000.00"),
    )
    # A delivery with a copyleft component, checked against the agreed open-source policy: the
    # advisory and the approval it needs are the core's own.
    given = SCHEMA_EXAMPLES["DeliveryInput"]
    delivered = msgspec.convert(
        given
        | {
            "components": [
                *given["components"],
                {"name": "pdfium-gpl", "version": "6.1", "licence": "GPL-3.0-only"},
            ]
        },
        DeliveryInput,
    )
    check = check_delivery(delivered, proposal.ip_terms.open_source_policy)
    delivery = Delivery(
        id=DELIVERY_ID,
        milestone_key=first.key,
        artifact_uri=delivered.artifact_uri,
        checksum=delivered.checksum,
        notes=delivered.notes,
        components=list(delivered.components),
        advisories=check.advisories,
        needs_approval=list(check.needs_approval),
        approved_at=_at(24, 3),
        created_at=_at(24),
    )
    milestone = Milestone(
        key=first.key,
        position=1,
        title=first.title,
        due_date=first.due_date,
        fee=first.fee,
        acceptance_days=first.acceptance_days,
        state=MilestoneState.ACCEPTED,
        submitted_at=_at(24),
        paid_total=paying.paid_total,
        deliveries=[delivery],
        payments=[
            Payment(
                id=PAYMENT_ID,
                milestone_key=first.key,
                amount=Decimal("4000.00"),
                paid_on=date(2026, 12, 28),
                reference="INV-2026-039",
                created_at=_at(27),
            )
        ],
        available_actions=available_milestone_actions(paying, frozenset({Party.STARTUP}), _at(28)),
    )
    upcoming = msgspec.structs.replace(
        milestone,
        key=second.key,
        position=2,
        title=second.title,
        due_date=second.due_date,
        fee=second.fee,
        state=MilestoneState.IN_PROGRESS,
        submitted_at=None,
        paid_total=Decimal(0),
        deliveries=[],
        payments=[],
        available_actions=[],
    )
    return milestone, upcoming


def _chain() -> tuple[list[AuditEvent], ChainVerdict]:
    # The first events of the engagement's chain, decided by the workflow's own rules, then
    # sealed and verified as the service does.
    vendor = Actor(parties=frozenset({Party.VENDOR}), organisation_id=VENDOR_ID, key_id=str(VENDOR_KEY))
    startup = Actor(parties=frozenset({Party.STARTUP}), organisation_id=STARTUP_ID, key_id=str(STARTUP_KEY))
    drafted = EngagementSnapshot(
        state=EngagementState.DRAFT,
        latest_revision=1,
        latest_revision_milestone_count=2,
        latest_revision_terms_valid=True,
    )
    submitted = decide(drafted, vendor, "submit_proposal", ActionInput())
    proposed = msgspec.structs.replace(drafted, state=submitted.to_state, latest_revision_submitted=True)
    accepted = decide(proposed, startup, "accept_proposal", ActionInput(revision=1))
    created = msgspec.convert(SCHEMA_EXAMPLES["EngagementCreate"], EngagementCreate)
    steps = [
        (
            vendor,
            "engagement_created",
            {k: v for k, v in msgspec.to_builtins(created).items() if v is not None},
        ),
        (vendor, submitted.event_type, submitted.event_payload),
        (startup, accepted.event_type, accepted.event_payload),
    ]
    chain: list[ChainEvent] = []
    for seq, (actor, kind, payload) in enumerate(steps, start=1):
        chain.append(
            seal_event(
                engagement_id=str(ENGAGEMENT_ID),
                seq=seq,
                actor={"organisation_id": actor.organisation_id, "key_id": actor.key_id},
                at=format_event_time(_at(0, seq)),
                type=kind,
                payload=payload,
                prev_hash=chain[-1].hash if chain else GENESIS_HASH,
            )
        )
    verdict = verify_chain(chain)
    events = [
        AuditEvent(
            seq=e.seq,
            type=e.type,
            actor=msgspec.convert(e.actor, EventActor),
            at=e.at,
            payload=e.payload,
            prev_hash=e.prev_hash,
            hash=e.hash,
        )
        for e in chain
    ]
    return events, verdict


def _feed(events: list[AuditEvent]) -> list[FeedEvent]:
    """The same events in the organisation-wide feed, each with its cursor."""
    return [
        FeedEvent(
            cursor=feed.encode_cursor((41_000 + e.seq, 900 + e.seq)),
            engagement_id=ENGAGEMENT_ID,
            seq=e.seq,
            type=e.type,
            actor=e.actor,
            at=e.at,
            payload=e.payload,
            prev_hash=e.prev_hash,
            hash=e.hash,
        )
        for e in events
    ]


def _signatures(chain_head: str) -> Signatures:
    signatories = sample_signatories()
    organisations = _organisations()
    signing: tuple[tuple[Literal["vendor", "startup"], Signatory | None], ...] = (
        ("vendor", signatories.vendor),
        ("startup", signatories.startup),
    )
    signers = [
        Signer(
            party=party,
            organisation_id=organisations[party].id,
            signer_name=person.name,
            signer_title=person.title,
            signer_authority=person.authority,
            signed_at=_at(4 + i).isoformat(),
            document_sha256=SHA256,
        )
        for i, (party, person) in enumerate(signing)
        if person is not None
    ]
    signatures = Signatures(
        signatures=[
            SignatureRecord(
                contract_id=CONTRACT_V2,
                party=s.party,
                organisation_id=s.organisation_id,
                signer_name=s.signer_name,
                signer_title=s.signer_title,
                signer_authority=s.signer_authority if isinstance(s.signer_authority, str) else None,
                document_sha256=s.document_sha256,
                signed_at=datetime.fromisoformat(s.signed_at),
            )
            for s in signers
        ],
        record=SignedRecord(
            engagement_id=ENGAGEMENT_ID,
            contract_id=CONTRACT_V2,
            contract_version=2,
            document_sha256=SHA256,
            signers=signers,
            audit_chain_head=chain_head,
        ),
    )
    return signatures


def _api_key() -> ApiKey:
    api_key = ApiKey(
        id=VENDOR_KEY,
        name="Rūta Jonaitė",
        role="admin",
        organisation_id=UUID(VENDOR_ID),
        prefix="jtp_3f9a0c1d",
        created_at=_at(-30),
        revoked_at=None,
    )
    return api_key


def _link() -> Link:
    link = Link(
        id=LINK_ID,
        contract_id=CONTRACT_V2,
        created_by_organisation_id=UUID(REVIEWER_ID),
        created_at=_at(2, 6),
        expires_at=_at(9, 6),
        revoked_at=None,
        uses=2,
    )
    return link


def _webhook() -> tuple[Webhook, WebhookMessage]:
    """A subscription, and a message to it parked after its last failed attempt."""
    webhook = Webhook(
        id=WEBHOOK_ID,
        url=SCHEMA_EXAMPLES["WebhookCreate"]["url"],
        events=SCHEMA_EXAMPLES["WebhookCreate"]["events"],
        created_at=_at(-20),
        previous_secret_until=None,
    )
    message = WebhookMessage(
        id=MESSAGE_ID,
        engagement_id=ENGAGEMENT_ID,
        seq=12,
        event_type="contract_signed",
        status=WebhookMessageStatus.PARKED,
        attempts=8,
        next_attempt_at=_at(6),
        last_attempt_at=_at(6),
        last_error="HTTP 503 from the endpoint",
        created_at=_at(5),
    )
    return webhook, message


@cache
def response_examples() -> dict[str, Any]:
    """Component schema name -> example, for every response schema an operation returns."""
    organisations = _organisations()
    engagement = _engagement()
    proposal_answer = _proposal()
    earlier, contract, review = _contracts()
    milestone, upcoming = _milestones()
    delivery = milestone.deliveries[0]
    events, verdict = _chain()
    feed_events = _feed(events)
    signatures = _signatures(verdict.head_hash)
    api_key = _api_key()
    link = _link()
    webhook, message = _webhook()
    register_entry = vested_entry(
        _proposal_input().ip_terms,
        milestone_key=milestone.key,
        delivery_checksum=delivery.checksum,
        vendor_id=VENDOR_ID,
        startup_id=STARTUP_ID,
        effective_on=date(2026, 12, 28),
        source_event_seq=31,
    )
    more = pagination.encode_cursor(START, ENGAGEMENT_ID)
    # A whole secret would look like a leaked one to secret scanners; this one is visibly a sample.
    sample_secret = "jtp_3f9a0c1d_SAMPLE-secret-shown-once-store-it-now-0000000"

    return {
        "Health": _wire(Health(status="ok")),
        "Workflow": _wire(msgspec.convert(describe_workflow(), Workflow)),
        "MilestoneWorkflow": _wire(msgspec.convert(describe_milestone_workflow(), MilestoneWorkflow)),
        "Me": _wire(
            Me(key_id=VENDOR_KEY, name="Rūta Jonaitė", role="admin", organisation=organisations["vendor"])
        ),
        "Organisation": _wire(organisations["vendor"]),
        "OrganisationPage": _page(*organisations.values()),
        "ApiKey": _wire(api_key),
        "ApiKeyCreated": _wire(
            ApiKeyCreated(
                id=api_key.id,
                key=sample_secret,
                name=api_key.name,
                role="admin",
                organisation_id=api_key.organisation_id,
                prefix=api_key.prefix,
                created_at=api_key.created_at,
            )
        ),
        "ApiKeyPage": _page(api_key),
        "Engagement": _wire(engagement),
        "EngagementPage": _page(engagement, more=more),
        "Proposal": _wire(proposal_answer),
        "ProposalPage": _page(proposal_answer),
        "ContractVersion": _wire(contract),
        "ContractVersionPage": _page(earlier, contract),
        "Comparison": _wire(
            Comparison(
                from_=earlier,
                to=contract,
                changes=[
                    ClauseChange(
                        clause_id="governing_law",
                        kind="changed",
                        old="Disputes are settled by the courts of Norway.",
                        new="Disputes are settled by the courts of Norway, with Oslo District Court "
                        "(Oslo tingrett) as the agreed venue.",
                    )
                ],
            )
        ),
        "ReviewPage": _page(review),
        "CitableClausePage": _page(*clause_catalogue(None).items[:3], more=None),
        "Signatures": _wire(signatures),
        "LinkCreated": _wire(
            LinkCreated(
                id=LINK_ID,
                url=BASE_URL + link_path(link_token("sample-secret", LINK_ID)),
                expires_at=link.expires_at,
            )
        ),
        "Link": _wire(link),
        "LinkPage": _page(link),
        "Milestone": _wire(milestone),
        "MilestonePage": _page(milestone, upcoming),
        "Delivery": _wire(delivery),
        "ResultEntryPage": _page(register_entry),
        "AuditEventPage": _page(*events),
        "EventActor": _wire(events[0].actor),
        "ChainReport": _wire(msgspec.convert(msgspec.structs.asdict(verdict), ChainReport)),
        "FeedPage": {**_page(*feed_events), "next_cursor": feed_events[-1].cursor},
        "Webhook": _wire(webhook),
        "WebhookCreated": _wire(
            WebhookCreated(
                id=webhook.id,
                url=webhook.url,
                events=webhook.events,
                secret="whsec_U0FNUExFLXNpZ25pbmctc2VjcmV0LXNob3duLW9uY2U=",  # noqa: S106  # a sample
                created_at=webhook.created_at,
                previous_secret_until=None,
            )
        ),
        "WebhookPage": _page(webhook),
        "WebhookMessagePage": _page(message),
        "WebhookMessage": _wire(message),
    }


@cache
def text_examples() -> dict[str, str]:
    """The bodies that are not JSON (``stream``: the event stream, ``metrics``): examples on the
    media type itself. Binary downloads (DOCX) have none."""
    events = response_examples()["FeedPage"]["items"]
    stream = [
        ServerSentEventMessage(data=None, id=events[0]["cursor"], retry=2000),  # where it starts
        *(ServerSentEventMessage(data=msgspec.json.encode(e).decode(), id=e["cursor"]) for e in events[1:]),
        ServerSentEventMessage(data=None, comment="keep-alive"),
    ]
    route = "/api/v1/engagements/{engagement_id}"
    labels = f'method="GET",path="{route}",status_code="200",app_name="jointip"'
    return {
        "stream": b"".join(m.encode() for m in stream).decode(),
        "metrics": (
            f"# HELP {PREFIX}_requests_total Total requests\n"
            f"# TYPE {PREFIX}_requests_total counter\n"
            f"{PREFIX}_requests_total{{{labels}}} 1234.0\n"
        ),
    }
