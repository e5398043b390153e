"""The results register: owners, shares and licences per IP model, and unvested entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from tests.unit.workflows.factories import (
    MODELS,
    client_owns,
    field_split,
    joint,
    lead_exploiter,
    vendor_owns_licensed,
)
from workflows import (
    IpTerms,
    MilestoneState,
    ResultEntry,
    ResultLicence,
    model_of,
    unvested_entry,
    unvested_reason,
    vested_entry,
    vests_on,
)
from workflows import results as results_module

CHECKSUM = "sha256:" + "ab" * 32
M = MilestoneState


def vested(terms: IpTerms) -> ResultEntry:
    return vested_entry(
        terms,
        milestone_key="m2",
        delivery_checksum=CHECKSUM,
        vendor_id="org-vendor",
        startup_id="org-startup",
        effective_on=date(2026, 4, 15),
        source_event_seq=42,
    )


def owners(entry: ResultEntry) -> list[tuple[str, str, Decimal, tuple[str, ...]]]:
    return [(o.party, o.organisation_id, o.share, o.fields) for o in entry.owners]


def by_kind(entry: ResultEntry, kind: str) -> list[ResultLicence]:
    return [licence for licence in entry.licences if licence.kind == kind]


def test_vests_on_is_exported_from_results() -> None:
    assert results_module.vests_on is vests_on
    assert vests_on("client_owns") is M.PAID


@pytest.mark.parametrize("model", list(MODELS))
def test_every_entry_records_the_result_and_its_source(model: str) -> None:
    entry = vested(MODELS[model]())
    assert (entry.milestone_key, entry.delivery_checksum, entry.effective_on, entry.source_event_seq) == (
        "m2",
        CHECKSUM,
        date(2026, 4, 15),
        42,
    )
    assert (entry.status, entry.reason, entry.model) == ("vested", None, model)
    assert model_of(MODELS[model]()) == model
    assert entry.owners
    # Background licences both ways, whatever the model.
    background = by_kind(entry, "background")
    assert [(b.licensor, b.licensee) for b in background] == [("vendor", "startup"), ("startup", "vendor")]
    assert "non-exclusive, royalty-free, for the project only" in background[0].scope
    assert "as needed to use and exploit the Results" in background[0].scope
    assert not any(b.exclusive for b in background)
    # Encodes to JSON and decodes back to the same entry (the shell stores it so).
    encoded = msgspec.json.encode(entry)
    assert msgspec.json.decode(encoded, type=ResultEntry) == entry


def test_client_owns_gives_the_startup_everything() -> None:
    entry = vested(client_owns())
    assert owners(entry) == [("startup", "org-startup", Decimal(100), ())]
    assert by_kind(entry, "results") == []
    assert entry.joint_rules is None


def test_vendor_owns_licensed_licenses_the_results_to_the_startup() -> None:
    entry = vested(vendor_owns_licensed())
    assert owners(entry) == [("vendor", "org-vendor", Decimal(100), ())]
    [licence] = by_kind(entry, "results")
    assert (licence.licensor, licence.licensee) == ("vendor", "startup")
    assert (licence.exclusive, licence.field, licence.territory, licence.term_years) == (
        True,
        "Fintech payments",
        "EEA",
        5,
    )
    assert (licence.perpetual, licence.sublicensable, licence.purchase_option) == (False, False, True)


def test_a_perpetual_licence_says_so() -> None:
    terms = vendor_owns_licensed(
        licence=msgspec.structs.replace(vendor_owns_licensed().licence, term_years=None, exclusive=False)
    )
    [licence] = by_kind(vested(terms), "results")
    assert (licence.term_years, licence.perpetual, licence.exclusive) == (None, True, False)


def test_joint_records_shares_and_management_rules() -> None:
    entry = vested(joint())
    assert owners(entry) == [
        ("vendor", "org-vendor", Decimal(40), ()),
        ("startup", "org-startup", Decimal(60), ()),
    ]
    assert entry.joint_rules is not None
    assert msgspec.to_builtins(entry.joint_rules) == {
        "managing_party": "startup",
        "third_party_licensing": "notice",
        "notice_days": 30,
        "revenue_share": "pro_rata",
    }
    consent = vested(joint(third_party_licensing="consent", notice_days=None, managing_party="vendor"))
    assert consent.joint_rules is not None
    assert (consent.joint_rules.third_party_licensing, consent.joint_rules.managing_party) == (
        "consent",
        "vendor",
    )


def test_field_split_gives_each_party_its_fields() -> None:
    entry = vested(field_split(vendor=("Payments", "Fraud detection"), startup=("Lending",)))
    assert owners(entry) == [
        ("vendor", "org-vendor", Decimal(100), ("Payments", "Fraud detection")),
        ("startup", "org-startup", Decimal(100), ("Lending",)),
    ]
    cross = by_kind(entry, "results")
    assert [(c.licensor, c.licensee, c.exclusive, c.perpetual) for c in cross] == [
        ("vendor", "startup", False, True),
        ("startup", "vendor", False, True),
    ]
    assert any("jointly in equal shares" in note for note in entry.notes)


@pytest.mark.parametrize(("lead", "other"), [("startup", "vendor"), ("vendor", "startup")])
def test_lead_exploiter_owns_and_owes_a_revenue_share(lead: str, other: str) -> None:
    entry = vested(lead_exploiter(lead_party=lead))
    assert owners(entry) == [(lead, f"org-{lead}", Decimal(100), ())]
    [share] = by_kind(entry, "revenue_share")
    assert (share.licensor, share.licensee, share.revenue_share_pct) == (lead, other, Decimal("12.5"))
    [use] = by_kind(entry, "results")
    assert (use.licensor, use.licensee, use.exclusive) == (lead, other, False)


@pytest.mark.parametrize("model", list(MODELS))
def test_unvested_entry_has_no_owners_and_says_why(model: str) -> None:
    entry = unvested_entry(
        MODELS[model](),
        milestone_key="m3",
        delivery_checksum=None,
        milestone_state="submitted",
        reason="terminated before acceptance",
    )
    assert (entry.status, entry.reason, entry.milestone_state, entry.model) == (
        "unvested",
        "terminated before acceptance",
        "submitted",
        model,
    )
    assert (entry.owners, entry.licences, entry.effective_on, entry.source_event_seq) == ((), (), None, None)
    assert msgspec.json.decode(msgspec.json.encode(entry), type=ResultEntry) == entry


REASONS: list[tuple[str, M, dict[str, Any], str]] = [
    ("joint", M.PLANNED, {}, "terminated before acceptance (milestone not started)"),
    ("joint", M.IN_PROGRESS, {}, "terminated before acceptance (milestone in progress)"),
    ("joint", M.SUBMITTED, {}, "terminated before acceptance (milestone submitted, awaiting acceptance)"),
    ("joint", M.REJECTED, {}, "terminated before acceptance (milestone rejected, not resubmitted)"),
    (
        "client_owns",
        M.ACCEPTED,
        {},
        "terminated before full payment: accepted but not fully paid (client_owns vests on payment)",
    ),
    (
        "client_owns",
        M.ACCEPTED,
        {"terminated": False},
        "accepted but not fully paid (client_owns vests on payment)",
    ),
    (
        "client_owns",
        M.SUBMITTED,
        {"terminated": False},
        "not yet accepted (milestone submitted, awaiting acceptance)",
    ),
]


@pytest.mark.parametrize(("model", "state", "options", "expected"), REASONS)
def test_unvested_reasons(model: str, state: M, options: dict[str, Any], expected: str) -> None:
    assert unvested_reason(model, state, **options) == expected
    assert unvested_reason(model, state.value, **options) == expected


@pytest.mark.parametrize(
    ("model", "state"), [("joint", M.ACCEPTED), ("joint", M.PAID), ("client_owns", M.PAID)]
)
def test_a_vested_milestone_has_no_unvested_reason(model: str, state: M) -> None:
    with pytest.raises(ValueError, match="has vested"):
        unvested_reason(model, state)
