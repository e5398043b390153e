"""Render the IP results register of an engagement as a DOCX schedule: pure and deterministic.

The shell builds a ``ResultsScheduleInput`` from the register (``workflows.results``) and the two
organisations; ``render_results_schedule`` lays it out as a title, a heading, an introduction and
one table (a repeating header row, one row per milestone's results) and writes it with the same
machinery, styles and fixed zip entries as the contract (``contract_templates._docx``). No clock is
read: the core properties are set from ``issued_on``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import msgspec

from contract_templates._docx import CoreProperties, render_package
from contract_templates.context import MODELS, PARTY_TERMS, format_date, format_percent
from contract_templates.layout import Block, LaidClause, LaidPart, Layout, Para, Run, Table
from contract_templates.model import PartyInfo
from workflows import JointRules, ResultEntry, ResultLicence, ResultOwner, RuleViolation, xml_illegal_fields


class ResultsScheduleInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Everything one results schedule is rendered from."""

    engagement_id: str
    reference: str  # short human reference, e.g. "JT-1a2b3c4d"
    title: str
    vendor: PartyInfo
    startup: PartyInfo
    model: str  # the agreed IP model: "client_owns", ...
    entries: tuple[ResultEntry, ...]
    issued_on: date
    milestone_titles: dict[str, str] = msgspec.field(default_factory=dict)  # key -> title
    contract_version: int | None = None  # the signed contract version the register follows
    contract_sha256: str | None = None  # and the hash of its document


_HEADER = ("No.", "Milestone", "Delivery (checksum)", "Owners and shares", "Vested", "Status")
_WIDTHS = (5, 22, 25, 22, 13, 13)
_NONE = "\u2014"  # an em dash for "nothing here"

_MODEL_TEXT = {
    "client_owns": "the Start-up owns the Results",
    "vendor_owns_licensed": "the Vendor owns the Results and licenses them to the Start-up",
    "joint": "the Parties own the Results jointly, in agreed shares",
    "field_split": "each Party owns the Results in its own fields",
    "lead_exploiter": "the lead Party owns and exploits the Results and shares the revenue",
}
_KIND_TEXT = {
    "results": "Results licence",
    "background": "Background IP licence",
    "revenue_share": "Revenue share",
}


def _names(data: ResultsScheduleInput) -> dict[str, str]:
    return {"vendor": data.vendor.name, "startup": data.startup.name}


def _owner(owner: ResultOwner, names: dict[str, str]) -> str:
    text = f"{names[owner.party]} ({PARTY_TERMS[owner.party]}): {format_percent(owner.share)}"
    return f"{text} in {'; '.join(owner.fields)}" if owner.fields else text


def _joint_rules(rules: JointRules) -> list[str]:
    if rules.third_party_licensing == "consent":
        licensing = "only with the other Party's consent"
    else:
        licensing = f"non-exclusively on {rules.notice_days} days' notice"
    revenue = "in proportion to the shares" if rules.revenue_share == "pro_rata" else "equally"
    return [
        f"Managing Party: {PARTY_TERMS[rules.managing_party]}",
        f"Licences to third parties: {licensing}",
        f"Net revenue shared {revenue}",
    ]


def _owners(entry: ResultEntry, names: dict[str, str]) -> str:
    if not entry.owners:
        return f"{_NONE} (not vested)"
    return "\n".join(_owner(owner, names) for owner in entry.owners)


def _terms(licence: ResultLicence) -> list[str]:
    terms: list[str] = []
    if licence.kind != "revenue_share":
        terms.append("exclusive" if licence.exclusive else "non-exclusive")
    if licence.revenue_share_pct is not None:
        terms.append(f"{format_percent(licence.revenue_share_pct)} of net revenue")
    if licence.field:
        terms.append(f"field: {licence.field}")
    if licence.territory:
        terms.append(f"territory: {licence.territory}")
    if licence.term_years is not None:
        terms.append(f"{licence.term_years} years")
    elif licence.perpetual:
        terms.append("perpetual")
    if licence.sublicensable:
        terms.append("sublicensable")
    if licence.purchase_option:
        terms.append("with an option to purchase")
    return terms


def _licence(licence: ResultLicence) -> str:
    who = f"{PARTY_TERMS[licence.licensor]} to {PARTY_TERMS[licence.licensee]}"
    return f"{_KIND_TEXT[licence.kind]}, {who}: {licence.scope} ({', '.join(_terms(licence))})"


def _model_terms(entries: tuple[ResultEntry, ...]) -> list[str]:
    """The licences and joint-ownership terms of the model, each stated once: every vested result
    of an engagement carries the same ones, so repeating them on each row added nothing."""
    lines: dict[str, None] = {}
    for entry in entries:
        if entry.joint_rules is not None:
            lines |= dict.fromkeys(_joint_rules(entry.joint_rules))
        lines |= dict.fromkeys(_licence(licence) for licence in entry.licences)
    return list(lines)


def _milestone(entry: ResultEntry, titles: dict[str, str]) -> str:
    title = titles.get(entry.milestone_key)
    return f"{title}\n({entry.milestone_key})" if title else entry.milestone_key


def _vested(entry: ResultEntry) -> str:
    if entry.effective_on is None:
        return _NONE
    when = format_date(entry.effective_on)
    return when if entry.source_event_seq is None else f"{when}\nAudit event {entry.source_event_seq}"


def _status(entry: ResultEntry) -> str:
    if entry.status == "vested":
        return "Vested"
    return f"Not vested: {entry.reason}" if entry.reason else "Not vested"


def _row(number: int, entry: ResultEntry, data: ResultsScheduleInput) -> tuple[str, ...]:
    return (
        str(number),
        _milestone(entry, data.milestone_titles),
        entry.delivery_checksum or "No delivery",
        _owners(entry, _names(data)),
        _vested(entry),
        _status(entry),
    )


def _signed(data: ResultsScheduleInput) -> str:
    if data.contract_version is None or data.contract_sha256 is None:
        return "The Agreement has not been signed on the jointip platform."
    return (
        f"The Agreement these Results are allocated under is contract version {data.contract_version} "
        f"of engagement {data.reference}, as signed, whose document has the SHA-256 hash "
        f"{data.contract_sha256}."
    )


def _intro(data: ResultsScheduleInput) -> str:
    vesting = "accepted and its fee has been paid in full" if data.model == "client_owns" else "accepted"
    return (
        f"This schedule records the Results of engagement {data.reference}, {data.title}, between "
        f"{data.vendor.name} (the Vendor) and {data.startup.name} (the Start-up), as the results register "
        f"on the jointip platform stood on {format_date(data.issued_on)}. Under the agreed ownership model "
        f"{_MODEL_TEXT[data.model]}; the Results of a milestone vest when the milestone has been {vesting}. "
        "For each milestone it states the delivery the Results came from, identified by its checksum, their "
        "owners and shares, the date on which they vested and the audit event that recorded it; the licences "
        "and terms that apply to every vested Result follow the table. If this schedule conflicts with the "
        "Agreement, the Agreement prevails."
    )


def _summary(entries: tuple[ResultEntry, ...]) -> str:
    if not entries:
        return "No Results have been recorded."
    vested = sum(1 for entry in entries if entry.status == "vested")
    return f"The Results of {vested} of {len(entries)} milestones have vested."


def lay_out_schedule(data: ResultsScheduleInput) -> Layout:
    """The schedule as one part: introduction, summary, the register table and any notes."""
    table = Table(
        header=_HEADER,
        rows=tuple(_row(i, entry, data) for i, entry in enumerate(data.entries, start=1)),
        widths=_WIDTHS,
    )
    notes = dict.fromkeys(note for entry in data.entries for note in entry.notes)  # each once, in order
    terms = _model_terms(data.entries)
    blocks: tuple[Block, ...] = (
        Para("body", (Run(_intro(data)),)),
        Para("body", (Run(_signed(data)),)),
        Para("body", (Run(_summary(data.entries), bold=True),)),
        table,
        Para("body", (Run("Licences and terms that apply to every vested Result", bold=True),)),
        *(Para("body", (Run(line),)) for line in terms),
        *(() if terms else (Para("body", (Run("None: no Result has vested."),)),)),
        *(Para("body", (Run("Note: ", bold=True), Run(note))) for note in notes),
    )
    part = LaidPart(
        "results", f"{data.title} ({data.reference})", (LaidClause("results.register", None, None, blocks),)
    )
    return Layout("IP results register", (part,))


def _properties(data: ResultsScheduleInput) -> CoreProperties:
    vested = sum(1 for entry in data.entries if entry.status == "vested")
    return CoreProperties(
        title=f"IP results register: {data.title}",
        subject=f"IP results register of engagement {data.reference}",
        keywords="; ".join((data.reference, data.model, "results register")),
        description=(
            f"Generated by jointip from the results register of engagement {data.reference}: "
            f"{len(data.entries)} milestones, {vested} vested."
        ),
        category="Schedule",
        identifier=f"urn:jointip:engagement:{data.engagement_id}:results:{data.issued_on.isoformat()}",
        revision=1,
        version=data.issued_on.isoformat(),
        at=datetime.combine(data.issued_on, time(0, 0), tzinfo=UTC),
    )


def render_results_schedule(data: ResultsScheduleInput) -> bytes:
    """The results register as DOCX bytes; the same input gives the same bytes, at any time.

    Raises ``RuleViolation`` naming the field when text holds characters a DOCX cannot carry or
    the model is unknown. CPU-bound: call it off the event loop.
    """
    errors = xml_illegal_fields(data)
    if errors:
        raise RuleViolation(errors)
    if data.model not in MODELS:
        raise RuleViolation.one("model", f"unknown IP model {data.model!r}; one of {', '.join(MODELS)}")
    header = f"{data.reference} \u00b7 IP results register \u00b7 {format_date(data.issued_on)}"
    # Landscape: six columns and long checksums need the width.
    return render_package(lay_out_schedule(data), header=header, properties=_properties(data), landscape=True)
