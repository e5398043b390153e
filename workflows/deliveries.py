"""Deliveries on a milestone and their open-source component inventories (SPEC section 3).

``check_delivery`` checks one delivery against the agreed ``OpenSourcePolicy`` and collects every
broken rule before raising one ``RuleViolation``. The policy, as the contract states it:

* a component whose licence is not on the allowed list is refused (422 naming the component),
  unless its licence is copyleft and copyleft is allowed with the start-up's written approval;
* when copyleft needs written approval, it needs it even where its licence is on the list.

Components that need approval are allowed with an advisory and listed in ``needs_approval``; the
start-up's acceptance of the milestone records the approval (``workflows.milestones``).

``decide_delivery`` adds who may deliver and when, refusing in the workflows' order: 409 (the
engagement is not in development or the milestone not in progress), 403 (only the vendor
delivers), 422 (``check_delivery``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import msgspec

from workflows.errors import FieldError, Forbidden, InvalidTransition, RuleViolation
from workflows.licences import is_copyleft, licence_category, unknown_licence_message
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

    name: str
    version: str
    licence: str  # a canonical SPDX id


class DeliveryInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The body of ``POST .../milestones/{key}/deliveries``."""

    artifact_uri: str
    checksum: str  # algorithm-prefixed: "sha256:<64 hex>" or "sha512:<128 hex>", lowercase
    notes: str | None = None
    components: tuple[ComponentInput, ...] = ()


class DeliveryCheck(msgspec.Struct, frozen=True, kw_only=True):
    """What an acceptable delivery carries: advisories for the response, approvals for the acceptance."""

    advisories: list[Advisory]
    needs_approval: tuple[str, ...]  # component names, in delivery order, each once


#: Limits that keep one delivery a reasonable row (and a reasonable page of a schedule).
MAX_COMPONENTS = 5000
MAX_URI_LENGTH = 2048
MAX_NAME_LENGTH = 200

_CHECKSUM = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")
_HEX = re.compile(r"(sha256|sha512):([0-9a-fA-F]+)")
#: URI schemes an artifact may live under; all but ``file`` need an authority (host or bucket).
URI_SCHEMES = frozenset(
    {"https", "http", "s3", "gs", "git", "git+https", "git+ssh", "ssh", "sftp", "oci", "file"}
)

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
        return [FieldError("artifact_uri", f"scheme {parts.scheme!r} is not supported; use one of {schemes}")]
    if parts.scheme.lower() == "file":
        if not parts.path.startswith("/"):
            return [FieldError("artifact_uri", "a file URI must have an absolute path (file:///...)")]
    elif not parts.netloc:
        return [FieldError("artifact_uri", f"a {parts.scheme} URI must name a host or bucket")]
    return []


def _text_errors(value: str, field: str) -> list[FieldError]:
    if not value.strip():
        return [FieldError(field, "must not be empty")]
    if len(value) > MAX_NAME_LENGTH:
        return [FieldError(field, f"must be at most {MAX_NAME_LENGTH} characters")]
    return []


def _component_text(component: ComponentInput) -> str:
    return f"{component.name} {component.version}".strip()


def check_delivery(delivery: DeliveryInput, policy: OpenSourcePolicy) -> DeliveryCheck:
    """Raise ``RuleViolation`` listing every broken rule of the delivery; else its advisories and approvals."""
    errors = [*_checksum_errors(delivery.checksum), *_uri_errors(delivery.artifact_uri)]
    if len(delivery.components) > MAX_COMPONENTS:
        errors.append(FieldError("components", f"must list at most {MAX_COMPONENTS} components"))
    advisories: list[Advisory] = []
    needs_approval: dict[str, None] = {}  # ordered set
    allowed = frozenset(policy.allowed_licences)
    first_index: dict[tuple[str, str], int] = {}
    for i, component in enumerate(delivery.components):
        at = f"components.{i}"
        errors += _text_errors(component.name, f"{at}.name")
        errors += _text_errors(component.version, f"{at}.version")
        identity = (component.name.strip().casefold(), component.version.strip())
        if identity in first_index and identity[0]:
            errors.append(FieldError(f"{at}.name", f"duplicates components.{first_index[identity]}"))
        first_index.setdefault(identity, i)

        licence = component.licence
        if licence_category(licence) is None:
            errors.append(FieldError(f"{at}.licence", unknown_licence_message(licence)))
            continue
        what = _component_text(component)
        if is_copyleft(licence) and policy.copyleft_requires_approval:
            needs_approval[component.name] = None
            unlisted = "" if licence in allowed else " not on the allowed list"
            advisories.append(
                Advisory(
                    code="licence_needs_approval",
                    message=f"Component {what} is licensed under {licence}, a copyleft licence{unlisted}: "
                    "the open-source policy allows copyleft only with the start-up's written approval, "
                    "which accepting the milestone records.",
                    field=f"{at}.licence",
                )
            )
        elif licence not in allowed:
            permitted = ", ".join(policy.allowed_licences) or "none"
            errors.append(
                FieldError(
                    f"{at}.licence",
                    f"component {what} is licensed under {licence}, which the open-source policy does "
                    f"not allow (allowed: {permitted})",
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
