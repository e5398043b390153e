"""What the clause library may refer to: condition facts, placeholders and generated blocks.

Three registries, each a plain mapping, are the whole vocabulary of the data files:

* ``FACTS``: the fields a clause's ``when`` table may test, each with its closed domain;
* ``PLACEHOLDERS``: the names a clause text may use in ``{...}``, each with the condition under
  which it has a value (``{}`` = always); the loader proves that every placeholder used outside an
  optional ``[...]`` segment is guaranteed a value by the clause's own ``when``;
* ``BLOCKS``: the generated tables a paragraph ``@name`` inserts, with the same kind of condition.

``facts`` and ``values`` compute them from a ``ContractInput``. Nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import TypeAlias

from contract_templates.model import ContractInput
from workflows import (
    ClientOwns,
    FieldSplit,
    IpTerms,
    Joint,
    LeadExploiter,
    ProposalInput,
    VendorOwnsLicensed,
    forum_name,
    total_fee,
)

Fact: TypeAlias = str | bool
#: A condition: every listed fact must take one of the listed values (absent facts never match).
Condition: TypeAlias = Mapping[str, frozenset[Fact]]

_BOOL: frozenset[Fact] = frozenset({True, False})
_PARTY: frozenset[Fact] = frozenset({"vendor", "startup"})
MODELS = ("client_owns", "vendor_owns_licensed", "joint", "field_split", "lead_exploiter")

FACTS: Mapping[str, frozenset[Fact]] = MappingProxyType(
    {
        "model": frozenset(MODELS),
        "funded": _BOOL,
        "aid_basis": frozenset({"de_minimis", "block_exemption"}),
        "scheme": frozenset({"standard", "small_grant"}),
        "partnership_agreement": _BOOL,
        "esignature_level": frozenset({"simple", "advanced", "qualified"}),
        "delay_damages": _BOOL,
        "vendor_signatory": _BOOL,
        "startup_signatory": _BOOL,
        "reviewer": _BOOL,
        "escrow": _BOOL,
        "governing_law": frozenset({"NO", "LT"}),
        "forum": frozenset({"courts", "arbitration"}),
        "arbitration_institute": frozenset({"oslo_chamber", "vilnius_vcca"}),
        "third_party_licensing": frozenset({"consent", "notice"}),
        "revenue_share": frozenset({"pro_rata", "equal"}),
        "managing_party": _PARTY,
        "lead_party": _PARTY,
        "licence_exclusive": _BOOL,
        "licence_perpetual": _BOOL,
        "licence_sublicensable": _BOOL,
        "licence_purchase_option": _BOOL,
        "copyleft_requires_approval": _BOOL,
        "vendor_vat": _BOOL,
        "vendor_address": _BOOL,
        "startup_vat": _BOOL,
        "startup_address": _BOOL,
        "vendor_assets": _BOOL,
        "startup_assets": _BOOL,
        "grant_bounds": _BOOL,
    }
)


def _when(**facts: Fact | tuple[Fact, ...]) -> Condition:
    return MappingProxyType({k: frozenset(v if isinstance(v, tuple) else (v,)) for k, v in facts.items()})


_ALWAYS = _when()
_VOL = _when(model="vendor_owns_licensed")
_JOINT = _when(model="joint")
_CO_OWNED = _when(model=("joint", "field_split"))
_SPLIT = _when(model="field_split")
_LEAD = _when(model="lead_exploiter")
_FUNDED = _when(funded=True)
_REVIEWER = _when(reviewer=True)

PLACEHOLDERS: Mapping[str, Condition] = MappingProxyType(
    {
        "engagement_id": _ALWAYS,
        "reference": _ALWAYS,
        "title": _ALWAYS,
        "summary": _ALWAYS,
        "scope": _ALWAYS,
        "currency": _ALWAYS,
        "issued_on": _ALWAYS,
        "contract_version": _ALWAYS,
        "revision": _ALWAYS,
        "template_id": _ALWAYS,
        "template_version": _ALWAYS,
        **{
            f"{party}.{name}": _ALWAYS
            for party in ("vendor", "startup")
            for name in ("name", "country", "registration_code", "background_licence")
        },
        "vendor.vat_code": _when(vendor_vat=True),
        "vendor.address": _when(vendor_address=True),
        "startup.vat_code": _when(startup_vat=True),
        "startup.address": _when(startup_address=True),
        "reviewer.name": _REVIEWER,
        "reviewer.country": _REVIEWER,
        "reviewer.registration_code": _REVIEWER,
        "funding.programme": _FUNDED,
        "funding.call_code": _FUNDED,
        "funding.grant_amount": _FUNDED,
        "funding.cofinancing_rate": _FUNDED,
        "funding.scheme": _FUNDED,
        "funding.grant_bounds": _when(funded=True, grant_bounds=True),
        "funding.programme_operator": _FUNDED,
        "delay_damages.percent_per_week": _when(delay_damages=True),
        "delay_damages.cap_percent": _when(delay_damages=True),
        "milestone_count": _ALWAYS,
        "total_fee": _ALWAYS,
        "final_due_date": _ALWAYS,
        "governing_law.country": _ALWAYS,
        "governing_law.adjective": _ALWAYS,
        "forum_name": _ALWAYS,
        "arbitration.seat": _when(forum="arbitration"),
        "confidentiality_years": _ALWAYS,
        "warranty_days": _ALWAYS,
        "liability_cap_multiple": _ALWAYS,
        "liability_cap_amount": _ALWAYS,
        "allowed_licences": _ALWAYS,
        "ip.licence.exclusivity": _VOL,
        "ip.licence.kind": _VOL,
        "ip.licence.field": _VOL,
        "ip.licence.territory": _VOL,
        "ip.licence.term_years": _when(model="vendor_owns_licensed", licence_perpetual=False),
        "ip.shares.vendor": _CO_OWNED,
        "ip.shares.startup": _CO_OWNED,
        "ip.managing_party": _JOINT,
        "ip.other_party": _JOINT,
        "ip.notice_days": _when(model="joint", third_party_licensing="notice"),
        "ip.fields.vendor": _SPLIT,
        "ip.fields.startup": _SPLIT,
        "ip.lead_party": _LEAD,
        "ip.non_lead_party": _LEAD,
        "ip.revenue_share_pct": _LEAD,
        "ip.revenue_share_years": _LEAD,
    }
)

BLOCKS: Mapping[str, Condition] = MappingProxyType(
    {
        "milestones_table": _ALWAYS,
        "milestone_details": _ALWAYS,
        "background_assets.vendor": _ALWAYS,
        "background_assets.startup": _ALWAYS,
        "allowed_licences_table": _ALWAYS,
        "signature_blocks": _ALWAYS,
    }
)


def present(text: str | None) -> str | None:
    """Optional text as the contract treats it: blank counts as not given."""
    return text if text is not None and text.strip() else None


def model_name(terms: IpTerms) -> str:
    match terms:
        case ClientOwns():
            return "client_owns"
        case VendorOwnsLicensed():
            return "vendor_owns_licensed"
        case Joint():
            return "joint"
        case FieldSplit():
            return "field_split"
        case LeadExploiter():
            return "lead_exploiter"


def facts(data: ContractInput) -> dict[str, Fact]:
    """The condition facts of one contract; facts that do not apply to its model are absent."""
    t = data.proposal.ip_terms
    found: dict[str, Fact] = {
        "model": model_name(t),
        "funded": data.funding is not None,
        "reviewer": data.reviewer is not None,
        "escrow": t.source_code_escrow,
        "governing_law": t.governing_law,
        "forum": t.forum,
        "copyleft_requires_approval": t.open_source_policy.copyleft_requires_approval,
        "vendor_vat": present(data.vendor.vat_code) is not None,
        "vendor_address": present(data.vendor.address) is not None,
        "startup_vat": present(data.startup.vat_code) is not None,
        "startup_address": present(data.startup.address) is not None,
        "vendor_assets": bool(t.background_ip.vendor.assets),
        "startup_assets": bool(t.background_ip.startup.assets),
    }
    if data.funding is not None:
        found["aid_basis"] = data.funding.aid_basis
        found["scheme"] = data.funding.scheme
        found["partnership_agreement"] = data.funding.partnership_agreement
        found["grant_bounds"] = data.funding.grant_bounds is not None
    found["esignature_level"] = t.esignature_level
    found["delay_damages"] = t.delay_damages is not None
    found["vendor_signatory"] = data.signatories.vendor is not None
    found["startup_signatory"] = data.signatories.startup is not None
    if t.forum == "arbitration" and t.arbitration_institute is not None:
        found["arbitration_institute"] = t.arbitration_institute
    match t:
        case VendorOwnsLicensed(licence=grant):
            found["licence_exclusive"] = grant.exclusive
            found["licence_perpetual"] = grant.term_years is None
            found["licence_sublicensable"] = grant.sublicensable
            found["licence_purchase_option"] = grant.purchase_option
        case Joint():
            found["third_party_licensing"] = t.third_party_licensing
            found["revenue_share"] = t.revenue_share
            found["managing_party"] = t.managing_party
        case FieldSplit():
            # Results the fields do not allocate fall back to joint ownership in equal shares, on the
            # joint model's terms: licensing with consent, revenue shared equally.
            found["third_party_licensing"] = "consent"
            found["revenue_share"] = "equal"
        case LeadExploiter():
            found["lead_party"] = t.lead_party
    return found


def holds(condition: Condition, found: Mapping[str, Fact]) -> bool:
    """True when every fact the condition names is present and takes one of its values."""
    return all(name in found and found[name] in allowed for name, allowed in condition.items())


def implies(condition: Condition, requirement: Condition) -> bool:
    """True when every set of facts satisfying ``condition`` also satisfies ``requirement``."""
    return all(name in condition and condition[name] <= allowed for name, allowed in requirement.items())


# --- formatting: fixed, locale-free ---------------------------------------------------------------

_MONTHS = ("January February March April May June July August September October November December").split()

_COUNTRIES = {
    "LT": "Lithuania",
    "NO": "Norway",
    "LV": "Latvia",
    "EE": "Estonia",
    "PL": "Poland",
    "FI": "Finland",
    "SE": "Sweden",
    "DK": "Denmark",
    "IS": "Iceland",
    "DE": "Germany",
    "NL": "the Netherlands",
    "GB": "the United Kingdom",
    "IE": "Ireland",
    "FR": "France",
    "BE": "Belgium",
    "LI": "Liechtenstein",
}
_LAW_COUNTRY = {"NO": "Norway", "LT": "the Republic of Lithuania"}
_LAW_ADJECTIVE = {"NO": "Norwegian", "LT": "Lithuanian"}
_SEATS = {"oslo_chamber": "Oslo, Norway", "vilnius_vcca": "Vilnius, Lithuania"}
PARTY_TERMS = {"vendor": "Vendor", "startup": "Start-up"}
_SCHEMES = {"standard": "standard scheme", "small_grant": "small grant scheme"}
#: Programme operators the contract names in full; any other name is printed as given.
_OPERATORS = {
    "MITA": "the Agency for Science, Innovation and Technology (Mokslo, inovacijų ir technologijų agentūra, MITA)"
}


def programme_operator_name(name: str) -> str:
    return _OPERATORS.get(name.strip().upper(), name.strip())


def format_date(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def format_amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


def format_money(value: Decimal, currency: str) -> str:
    return f"{currency} {format_amount(value)}"


def format_number(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 40 -> "40", 12.50 -> "12.5"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_percent(value: Decimal) -> str:
    return f"{format_number(value)}%"


def country_name(code: str) -> str:
    return _COUNTRIES.get(code.upper(), code)


def _joined(items: tuple[str, ...]) -> str:
    return "; ".join(items)


def values(data: ContractInput, template_id: str, template_version: str) -> dict[str, str | None]:
    """Every placeholder's text for this contract; ``None`` where its condition does not hold."""
    p: ProposalInput = data.proposal
    t = p.ip_terms
    fee = total_fee(p)
    out: dict[str, str | None] = dict.fromkeys(PLACEHOLDERS)
    out |= {
        "engagement_id": data.engagement_id,
        "reference": data.reference,
        "title": data.title,
        "summary": data.summary,
        "scope": p.scope,
        "currency": data.currency,
        "issued_on": format_date(data.issued_on),
        "contract_version": str(data.contract_version),
        "revision": str(data.revision),
        "template_id": template_id,
        "template_version": template_version,
        "milestone_count": str(len(p.milestones)),
        "total_fee": format_money(fee, data.currency),
        "final_due_date": format_date(max(m.due_date for m in p.milestones))
        if p.milestones
        else format_date(data.issued_on),
        "governing_law.country": _LAW_COUNTRY[t.governing_law],
        "governing_law.adjective": _LAW_ADJECTIVE[t.governing_law],
        "forum_name": forum_name(t),
        "confidentiality_years": str(t.confidentiality_years),
        "warranty_days": str(t.warranty_days),
        "liability_cap_multiple": format_number(t.liability_cap_multiple),
        "liability_cap_amount": format_money(fee * t.liability_cap_multiple, data.currency),
        "allowed_licences": ", ".join(t.open_source_policy.allowed_licences) or "none",
        "vendor.background_licence": t.background_ip.vendor.licence,
        "startup.background_licence": t.background_ip.startup.licence,
    }
    for key, party in (("vendor", data.vendor), ("startup", data.startup), ("reviewer", data.reviewer)):
        if party is None:
            continue
        out[f"{key}.name"] = party.name
        out[f"{key}.country"] = country_name(party.country)
        out[f"{key}.registration_code"] = party.registration_code
        if key != "reviewer":
            out[f"{key}.vat_code"] = present(party.vat_code)
            out[f"{key}.address"] = present(party.address)
    if data.funding is not None:
        funding = data.funding
        out["funding.programme"] = funding.programme
        out["funding.call_code"] = funding.call_code
        out["funding.grant_amount"] = format_money(funding.grant_amount, data.currency)
        out["funding.cofinancing_rate"] = format_percent(funding.cofinancing_rate * 100)
        out["funding.scheme"] = _SCHEMES[funding.scheme]
        out["funding.programme_operator"] = programme_operator_name(funding.programme_operator)
        if funding.grant_bounds is not None:
            low, high = funding.grant_bounds.minimum, funding.grant_bounds.maximum
            out["funding.grant_bounds"] = (
                f"{format_money(low, data.currency)} to {format_money(high, data.currency)}"
            )
    if t.delay_damages is not None:
        out["delay_damages.percent_per_week"] = format_percent(t.delay_damages.percent_per_week)
        out["delay_damages.cap_percent"] = format_percent(t.delay_damages.cap_percent)
    if t.forum == "arbitration" and t.arbitration_institute is not None:
        out["arbitration.seat"] = _SEATS[t.arbitration_institute]
    match t:
        case VendorOwnsLicensed(licence=grant):
            out["ip.licence.exclusivity"] = "exclusive" if grant.exclusive else "non-exclusive"
            out["ip.licence.kind"] = "an exclusive" if grant.exclusive else "a non-exclusive"
            out["ip.licence.field"] = grant.field
            out["ip.licence.territory"] = grant.territory
            if grant.term_years is not None:
                out["ip.licence.term_years"] = str(grant.term_years)
        case Joint():
            out["ip.shares.vendor"] = format_percent(t.shares.vendor)
            out["ip.shares.startup"] = format_percent(t.shares.startup)
            out["ip.managing_party"] = PARTY_TERMS[t.managing_party]
            out["ip.other_party"] = PARTY_TERMS["startup" if t.managing_party == "vendor" else "vendor"]
            if t.notice_days is not None:
                out["ip.notice_days"] = str(t.notice_days)
        case FieldSplit(fields=fields):
            out["ip.shares.vendor"] = out["ip.shares.startup"] = "50%"  # the fallback's equal shares
            out["ip.fields.vendor"] = _joined(fields.vendor)
            out["ip.fields.startup"] = _joined(fields.startup)
        case LeadExploiter():
            out["ip.lead_party"] = PARTY_TERMS[t.lead_party]
            out["ip.non_lead_party"] = PARTY_TERMS["startup" if t.lead_party == "vendor" else "vendor"]
            out["ip.revenue_share_pct"] = format_percent(t.revenue_share_pct)
            out["ip.revenue_share_years"] = str(t.revenue_share_years)
    return out
