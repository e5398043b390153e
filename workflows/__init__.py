"""The pure core of jointip: state machines, guards, role rules, terms rules. No I/O."""

from workflows.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    InvalidTransition,
    NotFound,
    PreconditionFailed,
    RuleViolation,
)

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
