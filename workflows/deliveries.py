"""Deliveries on a milestone and their open-source component inventories (SPEC section 3).

``check_delivery`` checks one delivery against the agreed ``OpenSourcePolicy`` and collects every
broken rule before raising one ``RuleViolation``. The policy, as the contract states it:

* a component whose licence is not on the allowed list is refused (422 naming the component),
  unless its licence is copyleft and copyleft is allowed with the start-up's written approval;
* when copyleft needs written approval, it needs it even where its licence is on the list;
* a licence is an SPDX expression, judged per licence in it: ``A OR B`` as the better of the two
  (the recipient may choose), ``A AND B`` as the worse, ``A WITH exception`` as ``A``.

Components that need approval are allowed with an advisory and listed in ``needs_approval``; the
start-up's acceptance of the milestone records the approval (``workflows.milestones``).

``decide_delivery`` adds who may deliver and when, refusing in the workflows' order: 409 (the
engagement is not in development or the milestone not in progress), 403 (only the vendor
delivers), 422 (``check_delivery``).
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Annotated
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from workflows.errors import FieldError, Forbidden, InvalidTransition, RuleViolation
from workflows.licences import LicenceTerm, is_copyleft, parse_licence_expression
from workflows.limits import MAX_COMPONENTS, Digest, Identifier, Name, Text, Uri
from workflows.milestones import MilestoneState
from workflows.states import EngagementState, Party
from workflows.terms import Advisory, OpenSourcePolicy
from workflows.text import xml_illegal_fields

__all__ = [
    "ComponentInput",
    "DeliveryCheck",
    "DeliveryInput",
    "check_delivery",
    "decide_delivery",
    "delivery_event",
]


class ComponentInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One third-party or open-source component of a delivery."""

    name: Name
    version: Name
    licence: Identifier  # an SPDX licence expression: "MIT", "MIT OR Apache-2.0", ...


class DeliveryInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The body of ``POST .../milestones/{key}/deliveries``."""

    artifact_uri: Uri
    checksum: Digest  # algorithm-prefixed: "sha256:<64 hex>" or "sha512:<128 hex>", lowercase
    notes: Text | None = None
    components: Annotated[tuple[ComponentInput, ...], Meta(max_length=MAX_COMPONENTS)] = ()


class DeliveryCheck(msgspec.Struct, frozen=True, kw_only=True):
    """What an acceptable delivery carries: advisories for the response, approvals for the acceptance."""

    advisories: list[Advisory]
    needs_approval: tuple[str, ...]  # component names, in delivery order, each once


#: Limits that keep one delivery a reasonable row (and a reasonable page of a schedule).
MAX_URI_LENGTH = 2048
MAX_NAME_LENGTH = 200

_CHECKSUM = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")
_HEX = re.compile(r"(sha256|sha512):([0-9a-fA-F]+)")
#: URI schemes an artifact may live under (an allow-list): remote stores reached over an
#: encrypted, authenticated transport, each naming a host or bucket. Never ``file`` (a path on
#: whatever machine reads the record: ``file:///etc/passwd``), nor plain ``http``/``git``, nor
#: ``javascript:``/``data:`` and the like, which a page or a document viewer might act on.
URI_SCHEMES = frozenset({"https", "git+https", "git+ssh", "ssh", "sftp", "s3", "gs", "oci"})

_ILLEGAL_IN_URI = re.compile(r"[\s<>\"{}|\\^`]")


def _checksum_errors(checksum: str) -> list[FieldError]:
    if _CHECKSUM.fullmatch(checksum):
        return []
    if _HEX.fullmatch(checksum):
        hint = "use lowercase hex digits"
        algorithm, digits = checksum.split(":", 1)
        expected = 64 if algorithm == "sha256" else 128
        if len(digits) != expected:
            hint = f"a {algorithm} digest has {expected} hex digits, not {len(digits)}"
        return [FieldError("checksum", f"is not a valid {algorithm} checksum: {hint}")]
    return [
        FieldError(
            "checksum",
            "must be 'sha256:' followed by 64 lowercase hex digits (or 'sha512:' followed by 128)",
        )
    ]


def _uri_errors(uri: str) -> list[FieldError]:
    if not uri.strip():
        return [FieldError("artifact_uri", "is required")]
    if len(uri) > MAX_URI_LENGTH:
        return [FieldError("artifact_uri", f"must be at most {MAX_URI_LENGTH} characters")]
    if _ILLEGAL_IN_URI.search(uri):
        return [FieldError("artifact_uri", "must not contain spaces or characters that URIs must escape")]
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return [FieldError("artifact_uri", "is not a valid URI")]
    schemes = ", ".join(sorted(URI_SCHEMES))
    if not parts.scheme:
        return [FieldError("artifact_uri", f"must be an absolute URI with a scheme ({schemes})")]
    if parts.scheme.lower() not in URI_SCHEMES:
        return [FieldError("artifact_uri", f"scheme {parts.scheme!r} is not allowed; use one of {schemes}")]
    if not parts.hostname:
        return [FieldError("artifact_uri", f"a {parts.scheme} URI must name a host or bucket")]
    if parts.password is not None:
        # The record is shown to every party and kept for good: no credentials in it.
        return [FieldError("artifact_uri", "must not carry a password")]
    return []


def _text_errors(value: str, field: str) -> list[FieldError]:
    if not value.strip():
        return [FieldError(field, "must not be empty")]
    if len(value) > MAX_NAME_LENGTH:
        return [FieldError(field, f"must be at most {MAX_NAME_LENGTH} characters")]
    return []


def _component_text(component: ComponentInput) -> str:
    return f"{component.name} {component.version}".strip()


class _Verdict(IntEnum):
    """How the policy treats a licence, best first (an OR takes its best term, an AND its worst)."""

    ALLOWED = 0
    NEEDS_APPROVAL = 1
    REFUSED = 2


def _verdict(term: LicenceTerm, policy: OpenSourcePolicy) -> tuple[_Verdict, tuple[str, ...]]:
    """The policy's verdict on a licence expression, and the copyleft ids that need approval."""
    if term.op == "id":
        if is_copyleft(term.licence) and policy.copyleft_requires_approval:
            return _Verdict.NEEDS_APPROVAL, (term.licence,)
        return (_Verdict.ALLOWED if term.licence in policy.allowed_licences else _Verdict.REFUSED), ()
    verdicts = [_verdict(t, policy) for t in term.terms]
    if term.op == "or":  # the recipient may choose: the best alternative decides
        return min(verdicts, key=lambda v: v[0])
    worst = max(v[0] for v in verdicts)
    return worst, tuple(dict.fromkeys(i for v in verdicts for i in v[1]))


def _approval_advisory(
    field: str, what: str, expression: str, copyleft: tuple[str, ...], policy: OpenSourcePolicy
) -> Advisory:
    unlisted = "" if all(i in policy.allowed_licences for i in copyleft) else " not on the allowed list"
    if copyleft == (expression,):
        licensed = f"licensed under {expression}, a copyleft licence{unlisted}"
    else:
        licensed = f"licensed under {expression}, which includes copyleft ({', '.join(copyleft)}){unlisted}"
    return Advisory(
        code="licence_needs_approval",
        message=f"Component {what} is {licensed}: the open-source policy allows copyleft only with the "
        "start-up's written approval, which accepting the milestone records.",
        field=field,
    )


def check_delivery(delivery: DeliveryInput, policy: OpenSourcePolicy) -> DeliveryCheck:
    """Raise ``RuleViolation`` listing every broken rule of the delivery; else its advisories and approvals."""
    errors = [*_checksum_errors(delivery.checksum), *_uri_errors(delivery.artifact_uri)]
    if len(delivery.components) > MAX_COMPONENTS:
        errors.append(FieldError("components", f"must list at most {MAX_COMPONENTS} components"))
    advisories: list[Advisory] = []
    needs_approval: dict[str, None] = {}  # ordered set
    first_index: dict[tuple[str, str], int] = {}
    for i, component in enumerate(delivery.components):
        at = f"components.{i}"
        errors += _text_errors(component.name, f"{at}.name")
        errors += _text_errors(component.version, f"{at}.version")
        identity = (component.name.strip().casefold(), component.version.strip())
        if identity in first_index and identity[0]:
            errors.append(FieldError(f"{at}.name", f"duplicates components.{first_index[identity]}"))
        first_index.setdefault(identity, i)

        term = parse_licence_expression(component.licence)
        if isinstance(term, str):
            errors.append(FieldError(f"{at}.licence", term))
            continue
        what = _component_text(component)
        verdict, copyleft = _verdict(term, policy)
        if verdict is _Verdict.NEEDS_APPROVAL:
            needs_approval[component.name] = None
            advisories.append(_approval_advisory(f"{at}.licence", what, component.licence, copyleft, policy))
        elif verdict is _Verdict.REFUSED:
            permitted = ", ".join(policy.allowed_licences) or "none"
            errors.append(
                FieldError(
                    f"{at}.licence",
                    f"component {what} is licensed under {component.licence}, which the open-source "
                    f"policy does not allow (allowed: {permitted})",
                )
            )
    errors += xml_illegal_fields(delivery)
    if errors:
        raise RuleViolation(errors)
    return DeliveryCheck(advisories=advisories, needs_approval=tuple(needs_approval))


def decide_delivery(
    engagement_state: EngagementState,
    milestone_state: MilestoneState,
    parties: frozenset[Party],
    delivery: DeliveryInput,
    policy: OpenSourcePolicy,
) -> DeliveryCheck:
    """Whether the actor playing ``parties`` may record ``delivery`` now, and what it carries."""
    if (
        engagement_state is not EngagementState.IN_DEVELOPMENT
        or milestone_state is not MilestoneState.IN_PROGRESS
    ):
        raise InvalidTransition(
            f"deliveries are recorded for a milestone in progress while the engagement is in development "
            f"(milestone {milestone_state.value}, engagement {engagement_state.value})"
        )
    if Party.VENDOR not in parties:
        raise Forbidden("only the vendor records deliveries")
    return check_delivery(delivery, policy)


def delivery_event(
    milestone_key: str, delivery_id: str, delivery: DeliveryInput, check: DeliveryCheck
) -> dict[str, object]:
    """The audit payload of a recorded delivery."""
    return {
        "milestone_key": milestone_key,
        "delivery_id": delivery_id,
        "artifact_uri": delivery.artifact_uri,
        "checksum": delivery.checksum,
        "components": [msgspec.to_builtins(c) for c in delivery.components],
        "needs_approval": list(check.needs_approval),
    }
