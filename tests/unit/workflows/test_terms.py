"""Proposal and IP-terms decoding, validation (every rule, by field), advisories and names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest
from msgspec.structs import replace

from tests.unit.workflows.factories import (
    MODELS,
    client_owns,
    common,
    field_split,
    joint,
    lead_exploiter,
    milestone,
    proposal,
    vendor_owns_licensed,
)
from workflows import (
    MAX_MONEY,
    PROPOSAL_DECODER,
    SPDX_LICENCES,
    Advisory,
    Asset,
    FieldError,
    IpTerms,
    LicenceCategory,
    OpenSourcePolicy,
    PartyBackgroundIp,
    ProposalInput,
    RuleViolation,
    forum_name,
    is_copyleft,
    total_fee,
    validate_ip_terms,
    validate_proposal,
)


def _fields(p: ProposalInput) -> list[str]:
    with pytest.raises(RuleViolation) as refused:
        validate_proposal(p)
    return [error.field for error in refused.value.errors]


def _codes(terms: IpTerms) -> list[str]:
    return [advisory.code for advisory in validate_proposal(proposal(terms))]


# --- decoding -------------------------------------------------------------------------------


@pytest.mark.parametrize("model", list(MODELS))
def test_each_model_round_trips_through_the_wire_shape(model: str) -> None:
    original = proposal(MODELS[model]())
    raw = msgspec.json.encode(original)
    assert msgspec.json.decode(raw)["ip_terms"]["model"] == model
    assert PROPOSAL_DECODER.decode(raw) == original


def _raw(**ip_terms_changes: Any) -> bytes:
    body = msgspec.to_builtins(proposal(joint()))
    body["ip_terms"] |= ip_terms_changes
    return msgspec.json.encode(body)


def test_money_decodes_exactly_from_json_numbers() -> None:
    body = msgspec.to_builtins(proposal())
    raw = msgspec.json.encode(body).replace(b'"fee":"12500.00"', b'"fee":1000.10', 1)
    decoded = PROPOSAL_DECODER.decode(raw)
    assert decoded.milestones[0].fee == Decimal("1000.10")
    assert total_fee(decoded) == Decimal("13500.10")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"surprise": 1}, "unknown field `surprise` - at `$.ip_terms`"),
        ({"model": "shared"}, "Invalid value 'shared' - at `$.ip_terms.model`"),
        ({"governing_law": "SE"}, "at `$.ip_terms.governing_law`"),
        ({"forum": "mediation"}, "at `$.ip_terms.forum`"),
        ({"arbitration_institute": "icc"}, "at `$.ip_terms.arbitration_institute`"),
        ({"third_party_licensing": "never"}, "at `$.ip_terms.third_party_licensing`"),
        ({"managing_party": "reviewer"}, "at `$.ip_terms.managing_party`"),
        ({"revenue_share": "half"}, "at `$.ip_terms.revenue_share`"),
        ({"shares": {"vendor": 50, "startup": 50, "reviewer": 0}}, "at `$.ip_terms.shares`"),
    ],
)
def test_decode_rejects_wrong_shapes_with_a_path(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(msgspec.ValidationError) as refused:
        PROPOSAL_DECODER.decode(_raw(**changes))
    assert message in str(refused.value)


def test_decode_rejects_unknown_milestone_field_and_missing_term_years() -> None:
    body = msgspec.to_builtins(proposal(vendor_owns_licensed()))
    body["milestones"][1]["price"] = 1
    with pytest.raises(msgspec.ValidationError, match=r"unknown field `price` - at `\$.milestones\[1\]`"):
        PROPOSAL_DECODER.decode(msgspec.json.encode(body))
    body = msgspec.to_builtins(proposal(vendor_owns_licensed()))
    del body["ip_terms"]["licence"]["term_years"]  # null means perpetual; omission is not allowed
    with pytest.raises(msgspec.ValidationError, match="term_years"):
        PROPOSAL_DECODER.decode(msgspec.json.encode(body))


# --- validation: valid examples -------------------------------------------------------------------


@pytest.mark.parametrize("model", list(MODELS))
def test_valid_example_of_each_model_passes_without_advisories(model: str) -> None:
    assert validate_proposal(proposal(MODELS[model]())) == []


@pytest.mark.parametrize(
    "terms",
    [
        vendor_owns_licensed(licence=replace(vendor_owns_licensed().licence, term_years=None)),
        joint(shares=replace(joint().shares, vendor=Decimal("33.33"), startup=Decimal("66.67"))),
        joint(third_party_licensing="consent", notice_days=None),
        lead_exploiter(revenue_share_pct=Decimal(0)),
        lead_exploiter(revenue_share_pct=Decimal(100)),
        client_owns(confidentiality_years=0, warranty_days=0, liability_cap_multiple=Decimal(10)),
        client_owns(confidentiality_years=20, warranty_days=730, liability_cap_multiple=Decimal("0.01")),
        client_owns(forum="arbitration", arbitration_institute="oslo_chamber"),
    ],
    ids=lambda t: type(t).__name__,
)
def test_boundary_values_are_valid(terms: IpTerms) -> None:
    validate_proposal(proposal(terms))


def test_draft_may_have_no_milestones_and_fees_keep_two_decimals() -> None:
    assert validate_proposal(proposal(milestones=())) == []
    validate_proposal(
        proposal(milestones=(milestone(fee=Decimal("0.01")), milestone(1, fee=Decimal("1.50"))))
    )
    validate_proposal(proposal(milestones=(milestone(fee=MAX_MONEY),)))


# --- validation: every rule, by field --------------------------------------------------------------

M = milestone
BROKEN_MILESTONES: list[tuple[tuple[Any, ...], list[str]]] = [
    ((M(0), M(1, key="m1")), ["milestones.1.key"]),
    ((M(0, key=""),), ["milestones.0.key"]),
    ((M(0, key="Design Phase"),), ["milestones.0.key"]),
    ((M(0, key="-m1"),), ["milestones.0.key"]),
    ((M(0, key="m" * 65),), ["milestones.0.key"]),
    ((M(0, title=" "),), ["milestones.0.title"]),
    ((M(0, fee=Decimal(0)),), ["milestones.0.fee"]),
    ((M(0, fee=Decimal(-5)),), ["milestones.0.fee"]),
    ((M(0, fee=Decimal("10.005")),), ["milestones.0.fee"]),
    ((M(0, fee=Decimal("NaN")),), ["milestones.0.fee"]),
    ((M(0, fee=Decimal("Infinity")),), ["milestones.0.fee"]),
    ((M(0, fee=MAX_MONEY + 1),), ["milestones.0.fee"]),
    ((M(0, acceptance_days=0),), ["milestones.0.acceptance_days"]),
    ((M(0, acceptance_days=366),), ["milestones.0.acceptance_days"]),
    ((M(0, title="Design\x0bphase"),), ["milestones.0.title"]),
    ((M(0), M(1, acceptance_criteria="ok\x00")), ["milestones.1.acceptance_criteria"]),
]


@pytest.mark.parametrize(("milestones", "fields"), BROKEN_MILESTONES)
def test_broken_milestone_rule_names_its_field(milestones: tuple[Any, ...], fields: list[str]) -> None:
    assert _fields(proposal(milestones=milestones)) == fields


def _licence(**changes: Any) -> Any:
    return replace(vendor_owns_licensed().licence, **changes)


def _policy(*ids: str) -> OpenSourcePolicy:
    return OpenSourcePolicy(allowed_licences=ids, copyleft_requires_approval=True)


def _shares(vendor: str, startup: str) -> Any:
    return replace(joint().shares, vendor=Decimal(vendor), startup=Decimal(startup))


BROKEN_TERMS: list[tuple[IpTerms, list[str]]] = [
    # common to every model
    (client_owns(confidentiality_years=21), ["ip_terms.confidentiality_years"]),
    (client_owns(confidentiality_years=-1), ["ip_terms.confidentiality_years"]),
    (client_owns(warranty_days=731), ["ip_terms.warranty_days"]),
    (client_owns(warranty_days=-1), ["ip_terms.warranty_days"]),
    (client_owns(liability_cap_multiple=Decimal(0)), ["ip_terms.liability_cap_multiple"]),
    (client_owns(liability_cap_multiple=Decimal("10.01")), ["ip_terms.liability_cap_multiple"]),
    (client_owns(liability_cap_multiple=Decimal("1.255")), ["ip_terms.liability_cap_multiple"]),
    (client_owns(forum="arbitration"), ["ip_terms.arbitration_institute"]),
    (client_owns(arbitration_institute="oslo_chamber"), ["ip_terms.arbitration_institute"]),
    (
        client_owns(open_source_policy=_policy("MIT", "Apache-2.0", "Apache 2")),
        ["ip_terms.open_source_policy.allowed_licences.2"],
    ),
    (
        client_owns(open_source_policy=_policy("GPL-2.0", "mit")),
        ["ip_terms.open_source_policy.allowed_licences.0", "ip_terms.open_source_policy.allowed_licences.1"],
    ),
    (
        client_owns(
            background_ip=replace(
                common()["background_ip"],
                startup=PartyBackgroundIp(
                    assets=(Asset(title="A", description="x"), Asset(title="", description="y")),
                    licence="none",
                ),
            )
        ),
        ["ip_terms.background_ip.startup.assets.1.title"],
    ),
    (
        client_owns(
            background_ip=replace(
                common()["background_ip"],
                vendor=PartyBackgroundIp(assets=(Asset(title="A", description="bell\x07"),), licence="x"),
            )
        ),
        ["ip_terms.background_ip.vendor.assets.0.description"],
    ),
    # vendor_owns_licensed
    (vendor_owns_licensed(licence=_licence(term_years=0)), ["ip_terms.licence.term_years"]),
    (vendor_owns_licensed(licence=_licence(field=" ")), ["ip_terms.licence.field"]),
    (vendor_owns_licensed(licence=_licence(territory="")), ["ip_terms.licence.territory"]),
    # joint
    (joint(shares=_shares("60", "50")), ["ip_terms.shares"]),
    (joint(shares=_shares("40", "50")), ["ip_terms.shares"]),
    (joint(shares=_shares("-10", "110")), ["ip_terms.shares.vendor", "ip_terms.shares.startup"]),
    (joint(shares=_shares("33.333", "66.667")), ["ip_terms.shares.vendor", "ip_terms.shares.startup"]),
    (joint(notice_days=None), ["ip_terms.notice_days"]),
    (joint(notice_days=0), ["ip_terms.notice_days"]),
    (joint(third_party_licensing="consent", notice_days=30), ["ip_terms.notice_days"]),
    # field_split
    (field_split(vendor=()), ["ip_terms.fields.vendor"]),
    (field_split(vendor=("Payments", "AI"), startup=("ai ",)), ["ip_terms.fields"]),
    (field_split(startup=(" ",)), ["ip_terms.fields.startup.0"]),
    (field_split(vendor=("Payments", "payments")), ["ip_terms.fields.vendor.1"]),
    # lead_exploiter
    (lead_exploiter(revenue_share_pct=Decimal(101)), ["ip_terms.revenue_share_pct"]),
    (lead_exploiter(revenue_share_pct=Decimal(-1)), ["ip_terms.revenue_share_pct"]),
    (lead_exploiter(revenue_share_pct=Decimal("12.345")), ["ip_terms.revenue_share_pct"]),
]


@pytest.mark.parametrize(
    ("terms", "fields"), BROKEN_TERMS, ids=lambda v: type(v).__name__ if not isinstance(v, list) else v[0]
)
def test_broken_terms_rule_names_its_field(terms: IpTerms, fields: list[str]) -> None:
    assert _fields(proposal(terms)) == fields


def test_every_model_has_a_broken_case() -> None:
    assert {type(terms).__name__ for terms, _ in BROKEN_TERMS} >= {
        type(make()).__name__ for make in MODELS.values()
    }


def test_all_errors_are_collected_at_once() -> None:
    p = proposal(
        joint(shares=_shares("70", "70"), warranty_days=1000),
        milestones=(milestone(0, fee=Decimal(0)), milestone(1, key="m1")),
    )
    assert _fields(p) == ["milestones.0.fee", "milestones.1.key", "ip_terms.warranty_days", "ip_terms.shares"]


def test_unknown_licence_message_suggests_the_current_id() -> None:
    with pytest.raises(RuleViolation) as refused:
        validate_ip_terms(client_owns(open_source_policy=_policy("GPL-2.0+", "apache-2.0", "Foo-1.0")))
    messages = [error.message for error in refused.value.errors]
    assert "'GPL-2.0-or-later'" in messages[0]
    assert "'Apache-2.0'" in messages[1]
    assert messages[2] == "'Foo-1.0' is not a known SPDX licence id"


def test_validate_ip_terms_names_fields_under_a_prefix() -> None:
    with pytest.raises(RuleViolation) as refused:
        validate_ip_terms(client_owns(warranty_days=999), at="terms")
    assert refused.value.errors == [FieldError("terms.warranty_days", "must be between 0 and 730")]


# --- advisories -----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", list(MODELS))
def test_lithuanian_arbitration_warns_that_patent_validity_is_not_arbitrable(model: str) -> None:
    terms = MODELS[model](
        governing_law="LT",
        forum="arbitration",
        arbitration_institute="vilnius_vcca",
        source_code_escrow=True,
        esignature_level="qualified",
    )
    advisories = validate_proposal(proposal(terms))
    assert [a.code for a in advisories] == ["lt_patent_validity_not_arbitrable"]
    assert advisories[0].field == "ip_terms.forum"
    assert "patent" in advisories[0].message


@pytest.mark.parametrize(
    ("law", "institute", "codes"),
    [
        ("NO", "oslo_chamber", []),
        ("NO", "vilnius_vcca", ["forum_law_mismatch"]),
        ("LT", "oslo_chamber", ["lt_patent_validity_not_arbitrable", "forum_law_mismatch"]),
    ],
)
def test_forum_law_mismatch(law: str, institute: str, codes: list[str]) -> None:
    assert (
        _codes(
            client_owns(
                governing_law=law,
                forum="arbitration",
                arbitration_institute=institute,
                esignature_level="qualified",
            )
        )
        == codes
    )


@pytest.mark.parametrize("law", ["NO", "LT"])
def test_courts_have_no_advisories(law: str) -> None:
    assert _codes(client_owns(governing_law=law, esignature_level="qualified")) == []


@pytest.mark.parametrize(("law", "level", "warned"), [
    ("LT", "advanced", True), ("LT", "simple", True), ("LT", "qualified", False), ("NO", "simple", False),
])  # fmt: skip
def test_lithuanian_law_advises_a_qualified_signature_for_the_written_transfer(
    law: str, level: str, warned: bool
) -> None:
    advisories = validate_proposal(proposal(client_owns(governing_law=law, esignature_level=level)))
    found = [a for a in advisories if a.code == "lt_written_transfer_signature"]
    assert bool(found) == warned
    if warned:
        assert found[0].field == "ip_terms.esignature_level"


def test_delay_damages_and_revenue_share_years_are_bounded() -> None:
    from workflows import DelayDamages

    terms = MODELS["lead_exploiter"](
        delay_damages=DelayDamages(percent_per_week=Decimal(6), cap_percent=Decimal(0)),
        revenue_share_years=31,
    )
    with pytest.raises(RuleViolation) as refused:
        validate_proposal(proposal(terms))
    assert {e.field for e in refused.value.errors} == {
        "ip_terms.delay_damages.percent_per_week",
        "ip_terms.delay_damages.cap_percent",
        "ip_terms.revenue_share_years",
    }


def test_copyleft_without_approval() -> None:
    policy = OpenSourcePolicy(
        allowed_licences=("MIT", "LGPL-3.0-only", "AGPL-3.0-or-later"), copyleft_requires_approval=False
    )
    advisories = validate_proposal(proposal(client_owns(open_source_policy=policy)))
    assert [a.code for a in advisories] == ["copyleft_without_approval"]
    assert "LGPL-3.0-only, AGPL-3.0-or-later" in advisories[0].message
    assert _codes(client_owns(open_source_policy=replace(policy, copyleft_requires_approval=True))) == []
    assert (
        _codes(
            client_owns(
                open_source_policy=OpenSourcePolicy(
                    allowed_licences=("MIT",), copyleft_requires_approval=False
                )
            )
        )
        == []
    )


def test_restricted_licence_allowed() -> None:
    assert _codes(client_owns(open_source_policy=_policy("MIT", "BUSL-1.1"))) == [
        "restricted_licence_allowed"
    ]


def test_no_escrow_only_matters_to_a_licensee() -> None:
    assert _codes(vendor_owns_licensed(source_code_escrow=False)) == ["no_escrow_for_licensee"]
    assert _codes(client_owns(source_code_escrow=False)) == []


def test_advisory_omits_an_absent_field_on_the_wire() -> None:
    assert msgspec.json.decode(msgspec.json.encode(Advisory(code="c", message="m"))) == {
        "code": "c",
        "message": "m",
    }


# --- names, licences, totals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"governing_law": "NO"}, "Oslo District Court (Oslo tingrett)"),
        ({"governing_law": "LT"}, "Vilnius Regional Court"),
        (
            {"forum": "arbitration", "arbitration_institute": "oslo_chamber"},
            "Arbitration Institute of the Oslo Chamber of Commerce",
        ),
        (
            {"forum": "arbitration", "arbitration_institute": "vilnius_vcca"},
            "Vilnius Court of Commercial Arbitration",
        ),
    ],
)
def test_forum_name(changes: dict[str, Any], name: str) -> None:
    assert forum_name(client_owns(**changes)) == name


def test_forum_name_needs_an_institute_for_arbitration() -> None:
    with pytest.raises(RuleViolation, match="arbitration_institute"):
        forum_name(client_owns(forum="arbitration"))


REQUIRED_IDS = {
    "MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "MPL-2.0", "LGPL-2.1-only",
    "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "GPL-2.0-only", "GPL-2.0-or-later",
    "GPL-3.0-only", "GPL-3.0-or-later", "AGPL-3.0-only", "AGPL-3.0-or-later", "EPL-2.0", "EUPL-1.2",
    "CC0-1.0", "Unlicense", "Zlib", "BSL-1.0", "0BSD",
}  # fmt: skip


def test_spdx_set_covers_the_common_ids() -> None:
    assert set(SPDX_LICENCES) >= REQUIRED_IDS
    assert len(SPDX_LICENCES) >= 120


@pytest.mark.parametrize(
    ("spdx_id", "copyleft"),
    [
        ("MIT", False),
        ("Apache-2.0", False),
        ("BSD-3-Clause", False),
        ("CC0-1.0", False),
        ("Unlicense", False),
        ("BUSL-1.1", False),
        ("LGPL-2.1-only", True),
        ("MPL-2.0", True),
        ("EPL-2.0", True),
        ("GPL-3.0-or-later", True),
        ("EUPL-1.2", True),
        ("AGPL-3.0-only", True),
        ("Not-A-Licence", False),
    ],
)
def test_is_copyleft(spdx_id: str, copyleft: bool) -> None:
    assert is_copyleft(spdx_id) is copyleft


def test_network_copyleft_is_classified_as_such() -> None:
    assert SPDX_LICENCES["AGPL-3.0-or-later"] is LicenceCategory.NETWORK_COPYLEFT


def test_total_fee_is_exact() -> None:
    fees = (Decimal("0.10"), Decimal("0.20"), Decimal("1000"))
    p = proposal(milestones=tuple(milestone(i, fee=fee) for i, fee in enumerate(fees)))
    assert total_fee(p) == Decimal("1000.30")
    assert total_fee(proposal(milestones=())) == Decimal(0)
