"""The IP results register (SPEC section 3): who owns a milestone's results once they vest.

One ``ResultEntry`` per milestone. ``vested_entry`` states the owners with their shares and the
licences granted under the agreed IP model, as the contract's Results IP and Licences clauses
allocate them; ``unvested_entry`` lists results that never vested (e.g. on termination) with the
reason. The Structs encode straight to JSON (Decimals as the shell chooses to encode them).

``register`` lists every result of an engagement, vested or not. When results vest:
``vests_on(model)``, ``has_vested(model, milestone_state)`` (from ``workflows.milestones``,
where the machine needs them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Literal, TypeAlias

import msgspec

from workflows.milestones import MilestoneState, has_vested, vests_on
from workflows.terms import (
    ClientOwns,
    FieldSplit,
    IpTerms,
    Joint,
    LeadExploiter,
    PartyName,
    VendorOwnsLicensed,
)

__all__ = [
    "JointRules",
    "LicenceKind",
    "MilestoneOutcome",
    "ResultEntry",
    "ResultLicence",
    "ResultOwner",
    "ResultStatus",
    "has_vested",
    "model_of",
    "register",
    "unvested_entry",
    "unvested_reason",
    "vested_entry",
    "vests_on",
]

ResultStatus: TypeAlias = Literal["vested", "unvested"]
#: ``results``: a licence to use the results; ``background``: to a party's background IP;
#: ``revenue_share``: a right to a share of the net revenue from exploiting the results.
LicenceKind: TypeAlias = Literal["results", "background", "revenue_share"]

_HUNDRED = Decimal(100)
_OTHER: dict[PartyName, PartyName] = {"vendor": "startup", "startup": "vendor"}


class ResultOwner(msgspec.Struct, frozen=True, kw_only=True):
    """An owner of a milestone's results: ``share`` percent, within ``fields`` when they are listed."""

    party: PartyName
    organisation_id: str
    share: Decimal
    fields: tuple[str, ...] = ()


class ResultLicence(msgspec.Struct, frozen=True, kw_only=True):
    """A licence (or revenue-share right) one party grants the other with respect to the results."""

    kind: LicenceKind
    licensor: PartyName
    licensee: PartyName
    scope: str
    exclusive: bool = False
    field: str | None = None
    territory: str | None = None
    term_years: int | None = None  # None: see ``perpetual``
    perpetual: bool = False
    sublicensable: bool = False
    purchase_option: bool = False
    revenue_share_pct: Decimal | None = None


class JointRules(msgspec.Struct, frozen=True, kw_only=True):
    """How co-owned (``joint``) results are managed and licensed to third parties."""

    managing_party: PartyName
    third_party_licensing: Literal["consent", "notice"]
    notice_days: int | None
    revenue_share: Literal["pro_rata", "equal"]


class ResultEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One row of the results register: a milestone's results, vested or not."""

    milestone_key: str
    delivery_checksum: str | None
    owners: tuple[ResultOwner, ...]
    licences: tuple[ResultLicence, ...]
    effective_on: date | None
    source_event_seq: int | None
    status: ResultStatus
    reason: str | None
    model: str = ""
    milestone_state: str | None = None  # for unvested entries: where the milestone stopped
    joint_rules: JointRules | None = None
    notes: tuple[str, ...] = ()


def model_of(terms: IpTerms) -> str:
    """The ``model`` tag of the terms ("client_owns", ...)."""
    return str(type(terms).__struct_config__.tag)


def _background(terms: IpTerms) -> tuple[ResultLicence, ...]:
    """Both parties' background licences, as clause "Licences to Background IP" grants them."""
    background = terms.background_ip
    return (
        ResultLicence(
            kind="background",
            licensor="vendor",
            licensee="startup",
            scope="the Vendor's Background IP, as needed to use and exploit the Results, in addition to the "
            f"agreed licence \u201c{background.vendor.licence}\u201d",
            perpetual=True,
            sublicensable=True,
        ),
        ResultLicence(
            kind="background",
            licensor="startup",
            licensee="vendor",
            scope=f"the Start-up's Background IP, for the Project, on the agreed terms "
            f"\u201c{background.startup.licence}\u201d",
        ),
    )


def _allocation(
    terms: IpTerms, ids: dict[PartyName, str]
) -> tuple[tuple[ResultOwner, ...], tuple[ResultLicence, ...], JointRules | None, tuple[str, ...]]:
    """Owners, model licences, joint rules and notes under the terms' model."""

    def sole(party: PartyName) -> tuple[ResultOwner, ...]:
        return (ResultOwner(party=party, organisation_id=ids[party], share=_HUNDRED),)

    match terms:
        case ClientOwns():
            return sole("startup"), (), None, ()
        case VendorOwnsLicensed(licence=grant):
            licence = ResultLicence(
                kind="results",
                licensor="vendor",
                licensee="startup",
                scope="use, copy, modify, further develop and commercially exploit the Results",
                exclusive=grant.exclusive,
                field=grant.field,
                territory=grant.territory,
                term_years=grant.term_years,
                perpetual=grant.term_years is None,
                sublicensable=grant.sublicensable,
                purchase_option=grant.purchase_option,
            )
            return sole("vendor"), (licence,), None, ()
        case Joint(shares=shares):
            owners = (
                ResultOwner(party="vendor", organisation_id=ids["vendor"], share=shares.vendor),
                ResultOwner(party="startup", organisation_id=ids["startup"], share=shares.startup),
            )
            rules = JointRules(
                managing_party=terms.managing_party,
                third_party_licensing=terms.third_party_licensing,
                notice_days=terms.notice_days,
                revenue_share=terms.revenue_share,
            )
            return owners, (), rules, ()
        case FieldSplit(fields=fields):
            owners = (
                ResultOwner(
                    party="vendor", organisation_id=ids["vendor"], share=_HUNDRED, fields=fields.vendor
                ),
                ResultOwner(
                    party="startup", organisation_id=ids["startup"], share=_HUNDRED, fields=fields.startup
                ),
            )
            cross = tuple(
                ResultLicence(
                    kind="results",
                    licensor=party,
                    licensee=_OTHER[party],
                    scope="use the Results the licensor owns as needed to exploit the licensee's own Results "
                    "in the licensee's fields, not in the licensor's fields",
                    perpetual=True,
                )
                for party in ("vendor", "startup")
            )
            note = (
                "Results relating to none of the listed fields, or equally to fields of both parties, "
                "are owned jointly in equal shares unless the parties agree their allocation."
            )
            return owners, cross, None, (note,)
        case LeadExploiter(lead_party=lead):
            other = _OTHER[lead]
            # The paying start-up keeps a licence to exploit the Results in its own products when the
            # vendor leads; a leading start-up grants the vendor internal research use only.
            scope = (
                "use, modify and exploit the Results as part of the licensee's own products and services"
                if lead == "vendor"
                else "use the Results for internal research and to perform the Agreement"
            )
            licences = (
                ResultLicence(
                    kind="revenue_share",
                    licensor=lead,
                    licensee=other,
                    scope=f"a share of the net revenue from exploiting the Results, for "
                    f"{terms.revenue_share_years} years after the last milestone is accepted",
                    perpetual=False,
                    term_years=terms.revenue_share_years,
                    revenue_share_pct=terms.revenue_share_pct,
                ),
                ResultLicence(kind="results", licensor=lead, licensee=other, scope=scope, perpetual=True),
            )
            return sole(lead), licences, None, ()
    raise AssertionError(f"unknown IP terms {type(terms).__name__}")  # pragma: no cover


def vested_entry(
    terms: IpTerms,
    *,
    milestone_key: str,
    delivery_checksum: str | None,
    vendor_id: str,
    startup_id: str,
    effective_on: date,
    source_event_seq: int,
) -> ResultEntry:
    """The register entry for a milestone whose results have vested under ``terms``."""
    owners, licences, rules, notes = _allocation(terms, {"vendor": vendor_id, "startup": startup_id})
    return ResultEntry(
        milestone_key=milestone_key,
        delivery_checksum=delivery_checksum,
        owners=owners,
        licences=(*licences, *_background(terms)),
        effective_on=effective_on,
        source_event_seq=source_event_seq,
        status="vested",
        reason=None,
        model=model_of(terms),
        joint_rules=rules,
        notes=notes,
    )


def unvested_reason(model: str, milestone_state: MilestoneState | str, *, terminated: bool = True) -> str:
    """Why a milestone in ``milestone_state`` has not vested its results under ``model``."""
    state = MilestoneState(milestone_state)
    if has_vested(model, state):
        raise ValueError(f"a {state} milestone has vested its results under {model}")
    if state is MilestoneState.ACCEPTED:  # only client_owns gets here
        unpaid = "accepted but not fully paid (client_owns vests on payment)"
        return f"terminated before full payment: {unpaid}" if terminated else unpaid
    where = _WHERE[state]
    return f"terminated before acceptance ({where})" if terminated else f"not yet accepted ({where})"


_WHERE = {
    MilestoneState.PLANNED: "milestone not started",
    MilestoneState.IN_PROGRESS: "milestone in progress",
    MilestoneState.SUBMITTED: "milestone submitted, awaiting acceptance",
    MilestoneState.REJECTED: "milestone rejected, not resubmitted",
}


def unvested_entry(
    terms: IpTerms,
    *,
    milestone_key: str,
    delivery_checksum: str | None,
    milestone_state: str,
    reason: str,
) -> ResultEntry:
    """The register entry for a milestone whose results did not vest (no owners, no licences)."""
    return ResultEntry(
        milestone_key=milestone_key,
        delivery_checksum=delivery_checksum,
        owners=(),
        licences=(),
        effective_on=None,
        source_event_seq=None,
        status="unvested",
        reason=reason,
        model=model_of(terms),
        milestone_state=str(milestone_state),
    )


class MilestoneOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """Where a milestone stands, as the register needs it."""

    key: str
    state: MilestoneState
    delivery_checksum: str | None  # of its latest delivery


def register(
    terms: IpTerms,
    milestones: Iterable[MilestoneOutcome],
    vested: Mapping[str, ResultEntry],
    *,
    terminated: bool,
) -> list[ResultEntry]:
    """Every result of an engagement in milestone order: vested entries as recorded, the rest unvested
    with the reason (``terminated``: the engagement ended before they vested)."""
    model = model_of(terms)
    return [
        vested[m.key]
        if m.key in vested
        else unvested_entry(
            terms,
            milestone_key=m.key,
            delivery_checksum=m.delivery_checksum,
            milestone_state=m.state,
            reason=unvested_reason(model, m.state, terminated=terminated),
        )
        for m in milestones
    ]
