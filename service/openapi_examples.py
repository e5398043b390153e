"""Examples for the OpenAPI document: one per input schema and per workflow action body.

Built from the same fictional engagement the demo uses (``contract_templates.samples``);
``tests/api/test_openapi_document.py`` decodes each with its input Struct and runs the core's checks.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from contract_templates.samples import sample_funding, sample_proposal

_NUMBERS = msgspec.json.Encoder(decimal_format="number")


def _wire(value: Any) -> Any:
    """As it travels: Decimals as JSON numbers, dates as strings."""
    return msgspec.json.decode(_NUMBERS.encode(value))


VENDOR_ID = "6f0c6a52-4a4b-4c55-9a3c-7b1a1f6b2c01"
STARTUP_ID = "0b9e7c1e-2d6f-4d8a-8e5b-3a9f4c7d2e02"
REVIEWER_ID = "c3d2e1f0-1a2b-4c3d-8e4f-5a6b7c8d9e03"
SHA256 = "9f2c3b1a" * 8

SCHEMA_EXAMPLES: dict[str, Any] = {
    "OrganisationCreate": {
        "name": "Šiaurės kodas UAB",
        "kind": "vendor",
        "country": "LT",
        "registration_code": "304151376",
        "vat_code": "LT100011223311",
        "address": "Gedimino pr. 1, Vilnius",
        "clusters": ["ICT"],
    },
    "ApiKeyCreate": {"name": "Rūta Jonaitė", "role": "admin"},
    "LinkCreate": {"expires_in_days": 7},
    "WebhookCreate": {
        "url": "https://hooks.fjordkode.example/jointip",
        "events": ["contract_signed", "milestone_accepted"],
    },
    "EngagementCreate": {
        "vendor_id": VENDOR_ID,
        "startup_id": STARTUP_ID,
        "reviewer_id": REVIEWER_ID,
        "title": "Nordic payments MVP",
        "summary": "A card-less payments MVP for a Norwegian fintech start-up.",
        "currency": "EUR",
        "funding": _wire(sample_funding()),
    },
    "EngagementPatch": {
        "title": "Nordic payments MVP, phase 1",
        "reviewer_id": REVIEWER_ID,
        "signatories": {
            "vendor": {
                "name": "Rūta Jonaitė",
                "title": "CEO",
                "authority": "Chief executive officer under the articles of association",
            }
        },
    },
    "ProposalInput": _wire(sample_proposal(date(2026, 12, 1), milestones=2)),
    "DeliveryInput": {
        "artifact_uri": "https://git.example.lt/fjordpay/releases/v0.1.0.tar.gz",
        "checksum": "sha256:" + SHA256,
        "notes": "First release candidate",
        "components": [
            {"name": "litestar", "version": "2.12.0", "licence": "MIT"},
            {"name": "serde", "version": "1.0.210", "licence": "MIT OR Apache-2.0"},
        ],
    },
    "ActionInput": {"reason": "Funding fell through"},
    "MilestoneActionInput": {"amount": 12500.00, "paid_on": "2026-12-20", "reference": "INV-2026-041"},
}

_JOINT = SCHEMA_EXAMPLES["ProposalInput"]["ip_terms"]
_COMMON = {
    k: v
    for k, v in _JOINT.items()
    if k not in {"model", "shares", "managing_party", "third_party_licensing", "notice_days", "revenue_share"}
}

#: One example per IP model (the proposal's example is ``joint``).
IP_TERMS_EXAMPLES: dict[str, Any] = {
    "ClientOwns": {
        "model": "client_owns",
        **_COMMON,
        "delay_damages": {"percent_per_week": 0.5, "cap_percent": 10},
    },
    "VendorOwnsLicensed": {
        "model": "vendor_owns_licensed",
        **_COMMON,
        "licence": {
            "exclusive": False,
            "field": "payments software for small businesses",
            "territory": "the EEA and Norway",
            "term_years": None,
            "sublicensable": False,
            "purchase_option": True,
        },
    },
    "FieldSplit": {
        "model": "field_split",
        **_COMMON,
        "fields": {"vendor": ["developer tooling"], "startup": ["consumer payments"]},
    },
    "LeadExploiter": {
        "model": "lead_exploiter",
        **_COMMON,
        "lead_party": "startup",
        "revenue_share_pct": 12.5,
    },
}
SCHEMA_EXAMPLES |= IP_TERMS_EXAMPLES

#: A body for each workflow action that needs one (engagement and milestone actions).
ACTION_EXAMPLES: dict[str, Any] = {
    "submit_proposal": {},
    "generate_contract": {},
    "submit_for_review": {"comment": "Ready for legal review."},
    "start_development": {},
    "deliver": {"comment": "Every milestone is submitted."},
    "accept_delivery": {"comment": "Accepted as delivered."},
    "complete": {"comment": "All milestones paid."},
    "start": {},
    "submit": {},
    "accept": {},
    "request_changes": {
        "comment": "Please split milestone 2.",
        "clause_comments": [{"clause_id": "results_ip.joint", "comment": "Shares should be 60/40."}],
    },
    "accept_proposal": {"revision": 2},
    "request_revision": {
        "comment": "Clause 7.2 needs the Norwegian wording.",
        "clause_comments": [{"clause_id": "governing_law", "comment": "Name Oslo District Court."}],
    },
    "approve": {"document_sha256": SHA256},
    "sign": {"document_sha256": SHA256, "signer_name": "Rūta Jonaitė", "signer_title": "CEO"},
    "reject_delivery": {"comment": "Login fails on Android."},
    "withdraw": {"reason": "Funding fell through"},
    "terminate": {"reason": "Material breach of clause 9"},
    "raise_dispute": {"reason": "Milestone 2 is three weeks late"},
    "resolve_dispute": {"reason": "Settled: new due date agreed"},
    "reject": {"reason": "The export does not match the acceptance criteria"},
    "record_payment": {"amount": 12500.00, "paid_on": "2026-12-20", "reference": "INV-2026-041"},
}
