"""The clause library loads, validates once, and refuses malformed data with a clear error."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from msgspec.structs import replace

import contract_templates
from contract_templates import ClauseLibraryError, build_library, load_library
from contract_templates.context import BLOCKS, FACTS, PLACEHOLDERS, facts, holds, values
from contract_templates.layout import lay_out
from contract_templates.library import shipped_files
from tests.unit.contract_templates.factories import contract, funding, startup, terms, vendor
from tests.unit.workflows.factories import party_ip
from workflows import BackgroundIp, DelayDamages, OpenSourcePolicy, PartyBackgroundIp, Signatories, Signatory

SIGNATORY = Signatory(name="Ona Žemaitytė", title="Director", authority="Articles of association")

MODELS = ("client_owns", "vendor_owns_licensed", "joint", "field_split", "lead_exploiter")

MANIFEST = """
template_id = "test"
template_version = "0.1"
title = "Test agreement"
parts = ["01_one", "02_two"]
"""

PART_ONE = """
key = "one"
heading = "One"
numbering = "clause"

[[clause]]
id = "one.first"
version = 1
heading = "First"
text = '''
The **Vendor** is {vendor.name}[, VAT code {vendor.vat_code}]. See clause {clause.two}.
'''
"""

PART_TWO = """
key = "two"
heading = "Two"
numbering = "clause"

[[clause]]
id = "two.joint"
version = 1
when = { model = "joint" }
text = "Shares: {ip.shares.vendor}."

[[clause]]
id = "two.other"
version = 1
when = { model = ["client_owns", "vendor_owns_licensed", "field_split", "lead_exploiter"] }
text = "Not joint."
"""


def test_shipped_library_loads_once_and_is_well_formed() -> None:
    library = load_library()
    assert load_library() is library  # cached: parsed and validated once per process
    assert library.template_id == contract_templates.TEMPLATE_ID == "jointip-mvp-joint-ip"
    assert library.template_version == contract_templates.TEMPLATE_VERSION
    ids = library.clause_ids()
    assert len(ids) == len(set(ids))
    assert all(part.clauses for part in library.parts)
    # Re-building from the shipped files gives the same library (the loader is deterministic).
    assert build_library(*shipped_files()) == library


def test_minimal_library_builds() -> None:
    library = build_library(MANIFEST, {"01_one": PART_ONE, "02_two": PART_TWO})
    assert library.clause_ids() == ["one.first", "two.joint", "two.other"]
    assert [p.number for p in library.parts] == [1, 2]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param(
            {"01_one": PART_ONE.replace("{vendor.name}", "{vendor.nmae}"), "02_two": PART_TWO},
            "unknown placeholder {vendor.nmae}",
            id="unknown-placeholder",
        ),
        pytest.param(
            {"01_one": PART_ONE, "02_two": PART_TWO.replace('model = "joint"', 'modle = "joint"')},
            "unknown condition field 'modle'",
            id="unknown-condition-field",
        ),
        pytest.param(
            {"01_one": PART_ONE, "02_two": PART_TWO.replace('model = "joint"', 'model = "jiont"')},
            "condition 'model' = 'jiont' is not one of",
            id="unknown-condition-value",
        ),
        pytest.param(
            {"01_one": PART_ONE, "02_two": PART_TWO.replace('"two.other"', '"two.joint"')},
            "duplicate clause id 'two.joint'",
            id="duplicate-id",
        ),
        pytest.param(
            {"01_one": PART_ONE, "02_two": PART_TWO.replace('when = { model = "joint" }\n', "")},
            "placeholder {ip.shares.vendor} has a value only when model in ['field_split', 'joint']",
            id="placeholder-not-guaranteed",
        ),
        pytest.param(
            {
                "01_one": PART_ONE.replace("[, VAT code {vendor.vat_code}]", ", {vendor.vat_code}"),
                "02_two": PART_TWO,
            },
            "placeholder {vendor.vat_code} has a value only when vendor_vat",
            id="optional-placeholder-outside-segment",
        ),
        pytest.param(
            {"01_one": PART_ONE.replace("{clause.two}", "{clause.three}"), "02_two": PART_TWO},
            "{clause.three} refers to no numbered part",
            id="unknown-part-reference",
        ),
        pytest.param(
            {"01_one": PART_ONE.replace("{clause.two}.", "{clause.two}.1."), "02_two": PART_TWO},
            "not to a numbered sub-clause",
            id="sub-clause-reference",
        ),
        pytest.param(
            {"01_one": PART_ONE.replace("**Vendor**", "**Vendor"), "02_two": PART_TWO},
            "unbalanced **",
            id="unbalanced-bold",
        ),
        pytest.param(
            {"01_one": PART_ONE.replace("See clause", "\n\n@nonsense\n\nSee clause"), "02_two": PART_TWO},
            "unknown block @nonsense",
            id="unknown-block",
        ),
        pytest.param(
            {"01_one": PART_ONE.replace("version = 1", "version = 1\nauthor = 'x'"), "02_two": PART_TWO},
            "unknown key(s) author",
            id="unknown-key",
        ),
        pytest.param(
            {"01_one": PART_ONE.replace('id = "one.first"', 'id = "two.first"'), "02_two": PART_TWO},
            "must start with the part key 'one'",
            id="id-outside-part",
        ),
        pytest.param(
            {"01_one": PART_ONE, "02_two": PART_TWO, "03_three": PART_TWO},
            "not listed in parts: 03_three",
            id="unlisted-file",
        ),
        pytest.param({"01_one": PART_ONE}, "part '02_two' has no file", id="missing-file"),
        pytest.param(
            {"01_one": PART_ONE + "\n[broken", "02_two": PART_TWO},
            "clauses/01_one.toml: not valid TOML",
            id="bad-toml",
        ),
    ],
)
def test_malformed_library_is_refused_at_load(files: dict[str, str], message: str) -> None:
    with pytest.raises(ClauseLibraryError) as raised:
        build_library(MANIFEST, files)
    assert message in str(raised.value)


def test_a_part_without_text_for_the_terms_fails_loudly() -> None:
    library = build_library(
        MANIFEST, {"01_one": PART_ONE, "02_two": PART_TWO.replace('"lead_exploiter"', "")}
    )
    with pytest.raises(ClauseLibraryError, match=r"02_two\.toml: no clause applies"):
        lay_out(library, contract(terms("lead_exploiter")))


def _variety() -> list[object]:
    """Inputs that switch every fact on and off at least once."""
    cases = []
    for model, law, forum in itertools.product(MODELS, ("NO", "LT"), ("courts", "arbitration")):
        institute = {"NO": "oslo_chamber", "LT": "vilnius_vcca"}[law] if forum == "arbitration" else None
        cases.append(
            contract(
                terms(model, governing_law=law, forum=forum, arbitration_institute=institute),
                funding=funding() if law == "LT" else None,
            )
        )
    bare = PartyBackgroundIp(assets=(), licence="none")
    cases += [
        contract(
            terms(
                "vendor_owns_licensed",
                licence=replace(
                    terms("vendor_owns_licensed").licence,
                    term_years=None,
                    exclusive=False,
                    sublicensable=True,
                    purchase_option=False,
                ),
            )
        ),  # type: ignore[union-attr]
        contract(
            terms(
                "joint",
                third_party_licensing="consent",
                notice_days=None,
                revenue_share="equal",
                managing_party="vendor",
                background_ip=BackgroundIp(vendor=party_ip("V"), startup=bare),
            )
        ),
        contract(terms("lead_exploiter", lead_party="vendor", revenue_share_pct=Decimal(5))),
        contract(
            terms(
                "client_owns",
                open_source_policy=OpenSourcePolicy(
                    allowed_licences=("GPL-3.0-only",), copyleft_requires_approval=False
                ),
                source_code_escrow=False,
                background_ip=BackgroundIp(vendor=bare, startup=party_ip("S")),
            ),
            vendor=vendor(vat_code=None, address=None),
            startup=startup(vat_code="NO923609016MVA", address="  "),
            reviewer=None,
            funding=funding(aid_basis="block_exemption", partnership_agreement=True, grant_bounds=None),
            signatories=Signatories(vendor=SIGNATORY),
        ),
        contract(
            terms(
                "field_split",
                esignature_level="qualified",
                delay_damages=DelayDamages(percent_per_week=Decimal("0.5"), cap_percent=Decimal(10)),
            ),
            funding=funding(scheme="small_grant"),
        ),
        contract(terms("joint", esignature_level="simple"), signatories=Signatories(startup=SIGNATORY)),
    ]
    return cases


@pytest.mark.parametrize("data", _variety())
def test_placeholders_have_values_exactly_when_their_condition_holds(data: object) -> None:
    assert isinstance(data, contract_templates.ContractInput)
    found = facts(data)
    assert set(found) <= set(FACTS)
    for name, value in found.items():
        assert value in FACTS[name], name
    ctx = values(data, "t", "1")
    assert set(ctx) == set(PLACEHOLDERS)
    for name, requirement in PLACEHOLDERS.items():
        assert (ctx[name] is not None) == holds(requirement, found), name
    for name, requirement in BLOCKS.items():
        assert holds(requirement, found), name
    lay_out(load_library(), data)  # every part has text for these terms


def test_every_shipped_clause_is_used_by_some_terms() -> None:
    used = {c.id for data in _variety() for part in lay_out(load_library(), data).parts for c in part.clauses}  # type: ignore[arg-type]
    assert sorted(set(load_library().clause_ids()) - used) == []
