"""What the portal pages show, in words: terms at a glance, the workflow steps, clause choices.

Drawn from the core's own descriptions (``describe_workflow``, the IP terms types) so the pages
never keep a second copy of a rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from workflows import (
    ClientOwns,
    FieldSplit,
    IpTerms,
    Joint,
    LeadExploiter,
    VendorOwnsLicensed,
    describe_workflow,
    forum_name,
)

PARTY_WORDS = {"vendor": "vendor", "startup": "start-up", "reviewer": "legal reviewer"}
LAW_WORDS = {"NO": "Norwegian law", "LT": "Lithuanian law"}


def words(name: str) -> str:
    """``in_review`` -> ``in review``; ``request_revision`` -> ``request revision``."""
    return name.replace("_", " ")


def party_words(party: str) -> str:
    return PARTY_WORDS.get(party, party)


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}".replace(",", "\u202f")


def _model(terms: IpTerms) -> tuple[str, list[tuple[str, str]]]:
    match terms:
        case ClientOwns():
            return "The start-up owns the results", [
                ("When ownership passes", "on acceptance and full payment of each milestone")
            ]
        case VendorOwnsLicensed(licence=licence):
            term = "perpetual" if licence.term_years is None else f"{licence.term_years} years"
            return "The vendor owns the results and licenses them", [
                ("Licence", ("exclusive" if licence.exclusive else "non-exclusive") + f", {term}"),
                ("Field and territory", f"{licence.field}; {licence.territory}"),
                ("Sublicensable", "yes" if licence.sublicensable else "no"),
                ("Purchase option", "yes" if licence.purchase_option else "no"),
            ]
        case Joint(shares=shares):
            rule = terms.third_party_licensing
            licensing = "consent of both" if rule == "consent" else f"notice ({terms.notice_days} days)"
            return "Joint ownership", [
                ("Shares", f"vendor {shares.vendor} %, start-up {shares.startup} %"),
                ("Managing party", party_words(terms.managing_party)),
                ("Licensing to third parties", licensing),
                ("Revenue share", words(terms.revenue_share)),
            ]
        case FieldSplit(fields=fields):
            return "Each party owns the results in its fields", [
                ("Vendor's fields", ", ".join(fields.vendor)),
                ("Start-up's fields", ", ".join(fields.startup)),
            ]
        case LeadExploiter():
            return "One party owns and exploits the results", [
                ("Lead party", party_words(terms.lead_party)),
                ("Revenue share of the other party", f"{terms.revenue_share_pct} %"),
            ]
    return "Unknown model", []


@dataclass(frozen=True, slots=True)
class Glance:
    model: str
    facts: list[tuple[str, str]]


def terms_at_a_glance(terms: IpTerms, total_fee: Decimal, currency: str, milestones: int) -> Glance:
    model, facts = _model(terms)
    forum = forum_name(terms)  # stored terms were validated: arbitration always names its institute
    common = [
        ("Total fee", f"{money(total_fee, currency)} over {milestones} milestone(s)"),
        ("Governing law and forum", f"{LAW_WORDS.get(terms.governing_law, terms.governing_law)}; {forum}"),
        ("Liability cap", f"{terms.liability_cap_multiple} times the total fee"),
        ("Confidentiality", f"{terms.confidentiality_years} years"),
        ("Warranty", f"{terms.warranty_days} days"),
        ("Source code escrow", "yes" if terms.source_code_escrow else "no"),
        ("Allowed open-source licences", ", ".join(terms.open_source_policy.allowed_licences) or "none"),
    ]
    return Glance(model, facts + common)


@dataclass(frozen=True, slots=True)
class Step:
    state: str
    label: str
    status: str  # done | current | next


@dataclass(frozen=True, slots=True)
class Position:
    steps: list[Step]
    off_path: str | None  # the current state when it is not on the main path (withdrawn, disputed ...)
    next_actions: list[tuple[str, str]]  # (action in words, who may take it)


def workflow_position(state: str) -> Position:
    """Where ``state`` stands on the workflow as ``GET /workflow`` describes it.

    The main path is the states in the workflow's order up to its first state with no way out
    (``completed``); the states after it (withdrawn, terminated, disputed) are shown only when the
    engagement is in one of them.
    """
    described: dict[str, Any] = describe_workflow()
    states: list[str] = described["states"]
    actions: list[dict[str, Any]] = described["actions"]
    has_exit = {source for action in actions for source in action["from"]}
    end = next((i for i, s in enumerate(states) if s not in has_exit), len(states) - 1)
    path = states[: end + 1]
    at = path.index(state) if state in path else None
    steps = [
        Step(s, words(s), "current" if i == at else "done" if at is not None and i < at else "next")
        for i, s in enumerate(path)
    ]
    next_actions = [
        (words(a["action"]), " or ".join(party_words(r) for r in a["roles"]))
        for a in actions
        if state in a["from"]
    ]
    return Position(steps, None if at is not None else words(state), next_actions)


def offered(state: str, party_names: set[str], wanted: tuple[str, ...]) -> set[str]:
    """Which of ``wanted`` the workflow lets these parties take from ``state`` (guards are checked
    when the form is sent, by the same core that serves the API)."""
    actions: list[dict[str, Any]] = describe_workflow()["actions"]
    return {
        a["action"]
        for a in actions
        if a["action"] in wanted and state in a["from"] and party_names & set(a["roles"])
    }


@dataclass(frozen=True, slots=True)
class ClauseChoice:
    id: str
    title: str


def clause_choices(clauses: dict[str, str]) -> list[ClauseChoice]:
    """The clauses of a version, in document order, with the first line of each as its title."""
    return [ClauseChoice(cid, (text.split("\n", 1)[0] or cid)[:90]) for cid, text in clauses.items()]
