"""Clause texts of a contract and clause-level differences between two versions."""

from __future__ import annotations

from decimal import Decimal

import msgspec
from msgspec.structs import replace

from contract_templates import ClauseChange, clause_texts, compare_clauses, load_library
from tests.unit.contract_templates.factories import contract, funding, terms
from workflows import Shares


def test_clause_texts_follow_the_document_in_order_without_numbers() -> None:
    texts = clause_texts(contract(terms("joint")))
    library_order = [i for i in load_library().clause_ids() if i in texts]
    assert list(texts) == library_order
    assert texts["results_ip.joint"].startswith("Joint ownership\n\nThe Results are owned jointly")
    assert "results_ip.client_owns" not in texts
    assert "Milestone 1: feature set 1 | 1 March 2026 | EUR 12,500.00" in texts["scope.milestones"]
    assert "\t" not in texts["recitals.vendor"]  # recital letters and clause numbers are not compared


def test_same_terms_have_no_changes() -> None:
    data = contract(terms("joint"))
    assert compare_clauses(clause_texts(data), clause_texts(data)) == []


def test_a_changed_joint_share_is_reported_in_the_clauses_that_state_it() -> None:
    old = clause_texts(contract(terms("joint")))
    new = clause_texts(contract(terms("joint", shares=Shares(vendor=Decimal(50), startup=Decimal(50)))))
    changes = compare_clauses(old, new)
    assert [c.clause_id for c in changes] == ["results_ip.joint", "results_ip.joint_revenue_pro_rata"]
    joint = changes[0]
    assert joint.kind == "changed"
    assert joint.old is not None
    assert "40% by the Vendor and 60% by the Start-up" in joint.old
    assert joint.new is not None
    assert "50% by the Vendor and 50% by the Start-up" in joint.new


def test_escrow_removed_and_added() -> None:
    with_escrow = clause_texts(contract(terms("joint", source_code_escrow=True)))
    without = clause_texts(contract(terms("joint", source_code_escrow=False)))

    removed = compare_clauses(with_escrow, without)
    assert [(c.clause_id, c.kind) for c in removed] == [
        ("escrow.deposit", "removed"),
        ("escrow.release", "removed"),
        ("escrow.costs", "removed"),
        ("escrow.not_agreed", "added"),
    ]
    assert removed[0].new is None
    assert removed[0].old is not None
    assert "escrow agent" in removed[0].old

    # A removed clause keeps its old place: right after the clause it followed.
    added = compare_clauses(without, with_escrow)
    assert [(c.clause_id, c.kind) for c in added] == [
        ("escrow.not_agreed", "removed"),
        ("escrow.deposit", "added"),
        ("escrow.release", "added"),
        ("escrow.costs", "added"),
    ]


def test_changes_come_in_document_order_across_parts() -> None:
    old = clause_texts(contract(terms("joint"), funding=None))
    new = clause_texts(contract(terms("lead_exploiter"), funding=funding()))
    ids = [c.clause_id for c in compare_clauses(old, new)]
    order = load_library().clause_ids()
    assert ids == sorted(ids, key=order.index)
    assert ids[0] == "recitals.funding"
    assert "results_ip.joint" in ids
    assert "results_ip.lead_exploiter" in ids


def test_a_milestone_fee_change_is_a_scope_change() -> None:
    data = contract(milestone_count=2)
    ms = data.proposal.milestones
    cheaper = replace(
        data, proposal=replace(data.proposal, milestones=(replace(ms[0], fee=Decimal(9000)), ms[1]))
    )
    ids = {c.clause_id for c in compare_clauses(clause_texts(data), clause_texts(cheaper))}
    assert "scope.milestones" in ids
    assert "definitions.terms" in ids  # it states the Total Fee


def test_changes_encode_without_the_missing_side() -> None:
    change = ClauseChange(clause_id="escrow.deposit", kind="added", new="Deposit")
    assert msgspec.json.decode(msgspec.json.encode(change)) == {
        "clause_id": "escrow.deposit",
        "kind": "added",
        "new": "Deposit",
    }
