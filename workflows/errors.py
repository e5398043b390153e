"""The domain error tree, shared by the pure core and the shell.

Defined here, in the pure core, so that ``workflows`` can refuse a decision
with a typed error without importing the shell; ``service.errors`` maps each
class to one RFC 9457 problem (the status lives there, not here)::

    DomainError
     +-- NotFound              the thing does not exist or the caller may not see it (404)
     +-- Forbidden             the caller sees it but its role may not do this (403)
     +-- Conflict              the request clashes with current state (409)
     |    +-- InvalidTransition   the action is not allowed from the current state
     +-- PreconditionFailed    a stale If-Match / version (412)
     +-- RuleViolation         input breaks a rule; carries [FieldError] (422)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Conflict",
    "DomainError",
    "FieldError",
    "Forbidden",
    "InvalidTransition",
    "NotFound",
    "PreconditionFailed",
    "RuleViolation",
]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One rule broken by one input field (``field`` is a dotted path, e.g. ``ip_terms.shares``)."""

    field: str
    message: str


class DomainError(Exception):
    """Base of every error the product raises on purpose."""

    title = "Domain error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    title = "Not found"


class Forbidden(DomainError):
    title = "Forbidden"


class Conflict(DomainError):
    title = "Conflict"


class InvalidTransition(Conflict):
    title = "Action not allowed in this state"


class PreconditionFailed(DomainError):
    title = "Precondition failed"


class RuleViolation(DomainError):
    """Input that breaks one or more rules; every error names its field."""

    title = "Validation failed"

    def __init__(self, errors: list[FieldError] | FieldError, detail: str | None = None) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        if not self.errors:
            raise ValueError("RuleViolation needs at least one FieldError")
        summary = "; ".join(f"{e.field}: {e.message}" for e in self.errors)
        super().__init__(detail or summary)

    @classmethod
    def one(cls, field: str, message: str) -> RuleViolation:
        return cls(FieldError(field, message))
