"""Proposal input and IP terms (SPEC sections 3 and 5): wire Structs, validation, advisories.

msgspec rejects wrong shapes, unknown fields and out-of-vocabulary values at decode time; the
cross-field rules live in ``validate_proposal``, which collects every broken rule, each naming
its dotted field (``milestones.1.key``, ``ip_terms.shares``), before raising one ``RuleViolation``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, TypeAlias

import msgspec
from msgspec import Meta

from workflows.errors import FieldError, RuleViolation
from workflows.licences import LicenceCategory, is_copyleft, licence_category, unknown_licence_message
from workflows.limits import (
    MAX_ASSETS,
    MAX_FIELDS,
    MAX_IDENTIFIER,
    MAX_LICENCES,
    MAX_MILESTONES,
    MAX_NAME,
    Identifier,
    LongText,
    Name,
    Paragraph,
)
from workflows.text import xml_illegal_fields

__all__ = [
    "MAX_MONEY",
    "PROPOSAL_DECODER",
    "Advisory",
    "Asset",
    "BackgroundIp",
    "ClientOwns",
    "DelayDamages",
    "ElectronicSignatureLevel",
    "FieldSplit",
    "FieldsByParty",
    "IpTerms",
    "Joint",
    "LeadExploiter",
    "LicenceGrant",
    "MilestoneInput",
    "OpenSourcePolicy",
    "PartyBackgroundIp",
    "PartyName",
    "ProposalInput",
    "Shares",
    "VendorOwnsLicensed",
    "amount_errors",
    "decimal_places",
    "forum_name",
    "ip_terms_errors",
    "terms_advisories",
    "total_fee",
    "validate_ip_terms",
    "validate_proposal",
]

PartyName: TypeAlias = Literal["vendor", "startup"]
GoverningLaw: TypeAlias = Literal["NO", "LT"]
Forum: TypeAlias = Literal["courts", "arbitration"]
ArbitrationInstitute: TypeAlias = Literal["oslo_chamber", "vilnius_vcca"]

#: Largest amount we accept: what numeric(14, 2) holds.
MAX_MONEY = Decimal("999999999999.99")

# Every input Struct is frozen and forbids unknown fields (a typo must not be silently dropped);
# the options are spelled on each class because type checkers do not see them inherited.


class Asset(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    title: Name
    description: Paragraph


class PartyBackgroundIp(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A party's pre-existing assets and the licence it grants the other party for the project."""

    assets: Annotated[tuple[Asset, ...], Meta(max_length=MAX_ASSETS)]
    licence: Paragraph


class BackgroundIp(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    vendor: PartyBackgroundIp
    startup: PartyBackgroundIp


class OpenSourcePolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    allowed_licences: Annotated[
        tuple[Identifier, ...],
        Meta(max_length=MAX_LICENCES, description=f"SPDX ids, each at most {MAX_IDENTIFIER} characters"),
    ]
    copyleft_requires_approval: bool


class LicenceGrant(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What the start-up gets under ``vendor_owns_licensed``."""

    exclusive: bool
    field: Paragraph
    territory: Paragraph
    term_years: (
        Annotated[int, Meta(ge=1, le=100)] | None
    )  # required but nullable: null means perpetual, never by omission
    sublicensable: bool
    purchase_option: bool


class Shares(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    vendor: Decimal
    startup: Decimal


FieldNames: TypeAlias = Annotated[
    tuple[Name, ...], Meta(max_length=MAX_FIELDS, description=f"Each at most {MAX_NAME} characters")
]


class FieldsByParty(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    vendor: FieldNames
    startup: FieldNames


# Liquidated damages for late Milestones: a percentage of the late Milestone's Fee per started
# week of delay, up to a cap (a percentage of that Fee).
class DelayDamages(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    percent_per_week: Decimal
    cap_percent: Decimal


ElectronicSignatureLevel: TypeAlias = Literal["simple", "advanced", "qualified"]


class _IpTermsBase(msgspec.Struct, tag_field="model", frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Fields every ownership model shares; the subclasses are the ``model`` variants."""

    background_ip: BackgroundIp
    open_source_policy: OpenSourcePolicy
    confidentiality_years: Annotated[int, Meta(ge=0, le=20)]
    warranty_days: Annotated[int, Meta(ge=0, le=730)]
    liability_cap_multiple: Decimal
    source_code_escrow: bool
    governing_law: GoverningLaw
    forum: Forum
    arbitration_institute: ArbitrationInstitute | None = None
    # The lowest eIDAS electronic-signature level the parties accept for signing the agreement.
    esignature_level: ElectronicSignatureLevel = "advanced"
    delay_damages: DelayDamages | None = None


class ClientOwns(_IpTermsBase, tag="client_owns", frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The start-up owns the results once each milestone is accepted and paid."""


class VendorOwnsLicensed(
    _IpTermsBase, tag="vendor_owns_licensed", frozen=True, forbid_unknown_fields=True, kw_only=True
):
    licence: LicenceGrant


class Joint(_IpTermsBase, tag="joint", frozen=True, forbid_unknown_fields=True, kw_only=True):
    shares: Shares
    managing_party: PartyName
    third_party_licensing: Literal["consent", "notice"]
    notice_days: Annotated[int, Meta(ge=1, le=365)] | None = None
    revenue_share: Literal["pro_rata", "equal"]


class FieldSplit(_IpTermsBase, tag="field_split", frozen=True, forbid_unknown_fields=True, kw_only=True):
    fields: FieldsByParty


class LeadExploiter(
    _IpTermsBase, tag="lead_exploiter", frozen=True, forbid_unknown_fields=True, kw_only=True
):
    lead_party: PartyName
    revenue_share_pct: Decimal
    # How long the revenue share is paid, in years from the Acceptance of the last milestone.
    revenue_share_years: Annotated[int, Meta(ge=1, le=30)] = 10


IpTerms: TypeAlias = ClientOwns | VendorOwnsLicensed | Joint | FieldSplit | LeadExploiter


class MilestoneInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    key: Annotated[str, Meta(max_length=64)]
    title: Name
    description: Paragraph
    due_date: date
    fee: Decimal
    acceptance_criteria: Paragraph
    acceptance_days: Annotated[int, Meta(ge=1, le=365)]


class ProposalInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    scope: LongText
    milestones: Annotated[tuple[MilestoneInput, ...], Meta(max_length=MAX_MILESTONES)]
    ip_terms: IpTerms


class Advisory(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A non-blocking warning about terms that are valid but questionable."""

    code: str
    message: str
    field: str | None = None


#: Decode once, reuse: building a Decoder is the expensive part.
PROPOSAL_DECODER: msgspec.json.Decoder[ProposalInput] = msgspec.json.Decoder(ProposalInput)


def total_fee(proposal: ProposalInput) -> Decimal:
    return sum((m.fee for m in proposal.milestones), Decimal(0))


# --- rules ------------------------------------------------------------------------------------

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?")


def decimal_places(value: Decimal) -> int:
    """Significant decimal places: 1.50 has one. Exact, unlike quantize/normalize, for any size."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    digits = "".join(map(str, value.as_tuple().digits))
    trailing_zeros = len(digits) - len(digits.rstrip("0"))
    return max(0, -exponent - trailing_zeros)


def _number(
    value: Decimal, field: str, low: Decimal, high: Decimal, *, low_open: bool
) -> Iterator[FieldError]:
    if not value.is_finite():
        yield FieldError(field, "must be a number")
        return
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        bound = f"greater than {low}" if low_open else f"at least {low}"
        yield FieldError(field, f"must be {bound} and at most {high}")
    if decimal_places(value) > 2:
        yield FieldError(field, "must have at most 2 decimals")


def _money(value: Decimal, field: str) -> Iterator[FieldError]:
    return _number(value, field, Decimal(0), MAX_MONEY, low_open=True)


def amount_errors(value: Decimal, field: str, *, allow_zero: bool = False) -> list[FieldError]:
    """A money amount: finite, at most 2 decimals, within what numeric(14, 2) holds."""
    return list(_number(value, field, Decimal(0), MAX_MONEY, low_open=not allow_zero))


def _percent(value: Decimal, field: str) -> Iterator[FieldError]:
    return _number(value, field, Decimal(0), Decimal(100), low_open=False)


def _int_range(value: int, field: str, low: int, high: int) -> Iterator[FieldError]:
    if not low <= value <= high:
        yield FieldError(field, f"must be between {low} and {high}")


def _blank(text: str) -> bool:
    return not text.strip()


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _milestone_errors(milestones: tuple[MilestoneInput, ...]) -> Iterator[FieldError]:
    # A draft may have no milestones; submit_proposal's guard requires at least one.
    first_index: dict[str, int] = {}
    for i, m in enumerate(milestones):
        at = f"milestones.{i}"
        if not _SLUG.fullmatch(m.key):
            yield FieldError(f"{at}.key", "must be 1-64 lowercase letters, digits, '-' or '_' (a slug)")
        elif m.key in first_index:
            yield FieldError(f"{at}.key", f"duplicates milestones.{first_index[m.key]}.key")
        else:
            first_index[m.key] = i
        if _blank(m.title):
            yield FieldError(f"{at}.title", "must not be empty")
        yield from _money(m.fee, f"{at}.fee")
        yield from _int_range(m.acceptance_days, f"{at}.acceptance_days", 1, 365)
    fees = [m.fee for m in milestones]
    # Each fee within bounds can still add up past what numeric(14, 2) holds.
    if all(f.is_finite() and 0 < f <= MAX_MONEY for f in fees) and sum(fees, Decimal(0)) > MAX_MONEY:
        yield FieldError("milestones", f"the total fee must not exceed {MAX_MONEY}")


def _common_errors(t: IpTerms, at: str) -> Iterator[FieldError]:
    for party in ("vendor", "startup"):
        for i, asset in enumerate(getattr(t.background_ip, party).assets):
            if _blank(asset.title):
                yield FieldError(f"{at}.background_ip.{party}.assets.{i}.title", "must not be empty")
    for i, spdx_id in enumerate(t.open_source_policy.allowed_licences):
        if licence_category(spdx_id) is None:
            field = f"{at}.open_source_policy.allowed_licences.{i}"
            yield FieldError(field, unknown_licence_message(spdx_id))
    yield from _int_range(t.confidentiality_years, f"{at}.confidentiality_years", 0, 20)
    yield from _int_range(t.warranty_days, f"{at}.warranty_days", 0, 730)
    cap = t.liability_cap_multiple
    yield from _number(cap, f"{at}.liability_cap_multiple", Decimal(0), Decimal(10), low_open=True)
    if t.forum == "arbitration" and t.arbitration_institute is None:
        yield FieldError(f"{at}.arbitration_institute", "is required when the forum is arbitration")
    if t.forum == "courts" and t.arbitration_institute is not None:
        yield FieldError(f"{at}.arbitration_institute", "must be absent when the forum is the courts")
    if t.delay_damages is not None:
        damages, where = t.delay_damages, f"{at}.delay_damages"
        yield from _number(
            damages.percent_per_week, f"{where}.percent_per_week", Decimal(0), Decimal(5), low_open=True
        )
        yield from _number(
            damages.cap_percent, f"{where}.cap_percent", Decimal(0), Decimal(100), low_open=True
        )


def _model_errors(t: IpTerms, at: str) -> Iterator[FieldError]:
    match t:
        case ClientOwns():
            return
        case VendorOwnsLicensed(licence=grant):
            if grant.term_years is not None and grant.term_years < 1:
                yield FieldError(f"{at}.licence.term_years", "must be at least 1, or null for perpetual")
            for name in ("field", "territory"):
                if _blank(getattr(grant, name)):
                    yield FieldError(f"{at}.licence.{name}", "must not be empty")
        case Joint(shares=shares):
            yield from _percent(shares.vendor, f"{at}.shares.vendor")
            yield from _percent(shares.startup, f"{at}.shares.startup")
            total = shares.vendor + shares.startup
            if total.is_finite() and total != 100:
                yield FieldError(f"{at}.shares", "vendor and startup shares must add up to 100")
            if t.third_party_licensing == "notice":
                if t.notice_days is None:
                    yield FieldError(f"{at}.notice_days", "is required when third_party_licensing is notice")
                else:
                    yield from _int_range(t.notice_days, f"{at}.notice_days", 1, 365)
            elif t.notice_days is not None:
                yield FieldError(f"{at}.notice_days", "applies only when third_party_licensing is notice")
        case FieldSplit(fields=fields):
            yield from _field_split_errors(fields, f"{at}.fields")
        case LeadExploiter():
            yield from _percent(t.revenue_share_pct, f"{at}.revenue_share_pct")
            yield from _int_range(t.revenue_share_years, f"{at}.revenue_share_years", 1, 30)


def _field_split_errors(fields: FieldsByParty, at: str) -> Iterator[FieldError]:
    owners: dict[str, str] = {}
    for party in ("vendor", "startup"):
        listed: tuple[str, ...] = getattr(fields, party)
        if not listed:
            yield FieldError(f"{at}.{party}", "must list at least one field")
        seen: set[str] = set()
        for i, name in enumerate(listed):
            folded = _fold(name)
            if not folded:
                yield FieldError(f"{at}.{party}.{i}", "must not be empty")
            elif folded in seen:
                yield FieldError(f"{at}.{party}.{i}", f"{name!r} is listed twice")
            elif owners.get(folded, party) != party:
                # Disjointness is the point of field_split: a field with two owners is joint ownership.
                yield FieldError(at, f"{name!r} is listed for both parties; fields must not overlap")
            seen.add(folded)
            owners.setdefault(folded, party)


def ip_terms_errors(terms: IpTerms, at: str = "ip_terms") -> list[FieldError]:
    """Every rule the terms break, each naming its field under ``at``."""
    return [*_common_errors(terms, at), *_model_errors(terms, at)]


def validate_ip_terms(terms: IpTerms, at: str = "ip_terms") -> list[Advisory]:
    """Raise ``RuleViolation`` listing every broken rule (including XML-illegal text); else advisories."""
    errors = [*ip_terms_errors(terms, at), *xml_illegal_fields(terms, at)]
    if errors:
        raise RuleViolation(errors)
    return terms_advisories(terms, at)


def validate_proposal(proposal: ProposalInput) -> list[Advisory]:
    """Raise ``RuleViolation`` listing every broken rule of the proposal; else its advisories.

    XML-illegal characters anywhere in the proposal are errors too: it all ends up in a DOCX.
    """
    errors = [
        *_milestone_errors(proposal.milestones),
        *ip_terms_errors(proposal.ip_terms),
        *xml_illegal_fields(proposal),
    ]
    if errors:
        raise RuleViolation(errors)
    return terms_advisories(proposal.ip_terms)


# --- advisories and names ---------------------------------------------------------------------

_INSTITUTE_SEAT: dict[ArbitrationInstitute, GoverningLaw] = {"oslo_chamber": "NO", "vilnius_vcca": "LT"}


def terms_advisories(t: IpTerms, at: str = "ip_terms") -> list[Advisory]:
    """Warnings about valid but questionable terms, for the parties and their reviewer to weigh."""
    advisories = []
    if t.governing_law == "LT" and t.forum == "arbitration":
        advisories.append(
            Advisory(
                code="lt_patent_validity_not_arbitrable",
                message="Under Lithuanian law disputes over the validity of patents and other registered "
                "IP rights are not arbitrable; they remain with the Lithuanian courts whatever the "
                "arbitration clause says.",
                field=f"{at}.forum",
            )
        )
    if t.arbitration_institute is not None and _INSTITUTE_SEAT[t.arbitration_institute] != t.governing_law:
        advisories.append(
            Advisory(
                code="forum_law_mismatch",
                message=f"{forum_name(t)} would apply {_LAW_NAMES[t.governing_law]} law as foreign law; "
                "this is possible but adds cost and uncertainty.",
                field=f"{at}.arbitration_institute",
            )
        )
    copyleft = [i for i in t.open_source_policy.allowed_licences if is_copyleft(i)]
    if copyleft and not t.open_source_policy.copyleft_requires_approval:
        advisories.append(
            Advisory(
                code="copyleft_without_approval",
                message=f"Copyleft licences ({', '.join(copyleft)}) may be used without written approval; "
                "they can oblige the owner of the results to publish source code.",
                field=f"{at}.open_source_policy.copyleft_requires_approval",
            )
        )
    restricted = [
        i for i in t.open_source_policy.allowed_licences if licence_category(i) is LicenceCategory.RESTRICTED
    ]
    if restricted:
        advisories.append(
            Advisory(
                code="restricted_licence_allowed",
                message=f"{', '.join(restricted)} are not open-source licences (source-available or "
                "non-commercial) and may prevent commercial use of the results.",
                field=f"{at}.open_source_policy.allowed_licences",
            )
        )
    if t.governing_law == "LT" and t.esignature_level != "qualified":
        advisories.append(
            Advisory(
                code="lt_written_transfer_signature",
                message="Lithuanian law requires a transfer of economic rights to be made in writing; only a "
                "qualified electronic signature has the legal effect of a handwritten one under eIDAS, so "
                "consider requiring qualified electronic signatures.",
                field=f"{at}.esignature_level",
            )
        )
    if isinstance(t, VendorOwnsLicensed) and not t.source_code_escrow:
        advisories.append(
            Advisory(
                code="no_escrow_for_licensee",
                message="The start-up only holds a licence to results the vendor owns; without source code "
                "escrow it cannot maintain them if the vendor stops.",
                field=f"{at}.source_code_escrow",
            )
        )
    return advisories


_LAW_NAMES: dict[GoverningLaw, str] = {"NO": "Norwegian", "LT": "Lithuanian"}
_COURTS: dict[GoverningLaw, str] = {
    "NO": "Oslo District Court (Oslo tingrett)",
    "LT": "Vilnius Regional Court",
}
_INSTITUTES: dict[ArbitrationInstitute, str] = {
    "oslo_chamber": "Arbitration Institute of the Oslo Chamber of Commerce",
    "vilnius_vcca": "Vilnius Court of Commercial Arbitration",
}


def forum_name(terms: IpTerms) -> str:
    """The court or arbitration institute the terms name, in full, as the contract states it."""
    if terms.forum == "courts":
        return _COURTS[terms.governing_law]
    if terms.arbitration_institute is None:
        raise RuleViolation.one("ip_terms.arbitration_institute", "is required when the forum is arbitration")
    return _INSTITUTES[terms.arbitration_institute]
