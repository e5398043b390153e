"""Who signs for each party: named ahead of signing, shown in the contract, recorded on signing.

A party names its own signatory (name, title and the authority under which they sign) on the
engagement. The next contract version generated shows them in its signature blocks; ``sign`` then
records that person. So that the document a party signs always names the person who signs it,
signatories can be named only while no contract version is waiting to be reviewed, approved or
signed (``NAMING_STATES``: before a contract is generated, or back in negotiation); afterwards the
approved document is the record, and a signature that names someone else is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from workflows.errors import FieldError, Forbidden, InvalidTransition, RuleViolation
from workflows.states import EngagementState, Party

__all__ = [
    "NAMING_STATES",
    "Signatories",
    "SignatoriesPatch",
    "Signatory",
    "check_signatories",
    "merged_signatories",
    "signer_errors",
    "signer_of",
]

Name = Annotated[str, Meta(min_length=1, max_length=200)]
Authority = Annotated[str, Meta(min_length=1, max_length=500)]

#: Where a signatory may be named or changed: no contract version is out for review or signature.
NAMING_STATES: frozenset[EngagementState] = frozenset(
    {
        EngagementState.DRAFT,
        EngagementState.PROPOSED,
        EngagementState.NEGOTIATING,
        EngagementState.TERMS_AGREED,
    }
)


# The person who signs for a party: name, title, and the authority they sign under
# (e.g. "Chief executive officer under the articles of association", "power of attorney of 1 March 2026").
class Signatory(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: Name
    title: Name
    authority: Authority


class Signatories(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    vendor: Signatory | None = None
    startup: Signatory | None = None

    def of(self, party: Party | str) -> Signatory | None:
        found: Signatory | None = getattr(self, str(party), None)
        return found


# A change to the signatories: each party given is set (or cleared with null); others stay.
class SignatoriesPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    vendor: Signatory | UnsetType | None = UNSET
    startup: Signatory | UnsetType | None = UNSET


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_signatories(state: EngagementState, parties: frozenset[Party], change: SignatoriesPatch) -> None:
    """A party names only its own signatory, and only in ``NAMING_STATES``.

    Refuses in the workflows' order: 409 (state), 403 (another party's signatory), 422 (blank text).
    """
    named = [p for p in (Party.VENDOR, Party.STARTUP) if getattr(change, p.value) is not UNSET]
    if not named:
        return
    if state not in NAMING_STATES:
        raise InvalidTransition(
            f"the engagement is {state.value}; signatories can be named before a contract version is "
            "generated, or when the engagement is back in negotiation, so that the document signed names them"
        )
    foreign = [p.value for p in named if p not in parties]
    if foreign:
        raise Forbidden(f"each party names its own signatory; you may not name the {' or '.join(foreign)}'s")
    errors = []
    for party in named:
        signatory = getattr(change, party.value)
        if isinstance(signatory, Signatory):
            errors += [
                FieldError(f"signatories.{party.value}.{field}", "must not be blank")
                for field in ("name", "title", "authority")
                if not getattr(signatory, field).strip()
            ]
    if errors:
        raise RuleViolation(errors)


def merged_signatories(current: Signatories, change: SignatoriesPatch) -> Signatories:
    """The signatories after ``change``: given parties replaced (or cleared), the others kept."""
    values = {
        party: getattr(current, party) if getattr(change, party) is UNSET else getattr(change, party)
        for party in ("vendor", "startup")
    }
    return Signatories(**values)


def signer_errors(
    named: Mapping[Party, Signatory | None], signer_name: str | None, signer_title: str | None
) -> list[FieldError]:
    """What a ``sign`` body gets wrong for the parties signing (``named``: their named signatories).

    A named signatory needs no name or title in the body; when the body gives them they must be
    the named person's, since the approved document names that person. Without a named signatory
    both are required.
    """
    errors: list[FieldError] = []
    for signatory in named.values():
        for field, given in (("signer_name", signer_name), ("signer_title", signer_title)):
            blank = given is None or not given.strip()
            if signatory is None:
                if blank:
                    errors.append(FieldError(field, "is required (no signatory was named in advance)"))
                continue
            expected = signatory.name if field == "signer_name" else signatory.title
            if not blank and given is not None and _fold(given) != _fold(expected):
                errors.append(FieldError(field, f"the approved contract names {expected!r} as the signatory"))
    return list(dict.fromkeys(errors))  # one error per field and message, however many parties sign


def signer_of(
    signatory: Signatory | None, signer_name: str | None, signer_title: str | None, authority: str | None
) -> tuple[str, str, str | None]:
    """Who is recorded as signing (name, title, authority): the named signatory, else the body's person."""
    if signatory is not None:
        return signatory.name, signatory.title, signatory.authority
    assert signer_name is not None  # signer_errors made sure
    assert signer_title is not None
    return (
        signer_name.strip(),
        signer_title.strip(),
        authority.strip() if authority and authority.strip() else None,
    )
