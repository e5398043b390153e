"""One frozen Settings object, built from the environment at the entry point only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workflows import FieldError, RuleViolation

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable; tests build it directly, nothing reads the environment at import."""

    database_url: str | None = None
    data_dir: Path = Path(".jointip")
    bootstrap_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    pool_min_size: int = 1
    pool_max_size: int = 10
    max_body_bytes: int = 10 * 1024 * 1024
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    log_level: str = "INFO"
    migrate_on_start: bool = True
    # Signs mailable download links and the portal's CSRF tokens. Every worker and host must share
    # it (``jointip serve`` keeps one in the data dir when the environment gives none); None: a
    # random secret per process, for tests and one-off apps.
    secret_key: str | None = None
    # The address users reach the service at (https://jointip.example), for links in mail; None:
    # taken from the request.
    public_url: str | None = None
    session_hours: int = 8
    rate_limit_per_minute: int = 600  # requests per API key; 0: no limit
    auth_failures_per_minute: int = 20  # failed authentications per client address; 0: no limit
    render_processes: int = 1  # document render processes per server process; 0: a thread
    # Webhooks (docs/webhooks.md): private, loopback and link-local targets only when allowed;
    # each server process runs a dispatcher unless told not to (``jointip dispatch`` runs one alone).
    webhook_allow_private: bool = False
    webhook_dispatcher: bool = True
    webhook_max_attempts: int = 16
    webhook_retry_base_ms: int = 5000  # first retry after about this; doubles each time, with jitter
    webhook_pause_after_claim_ms: int = 0  # tests only: widen the window between claim and send
    event_stream_keepalive_seconds: int = 15

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``DATABASE_URL`` and ``JOINTIP_*``; a malformed value is an error naming the variable."""
        env = os.environ if env is None else env
        errors: list[FieldError] = []

        def integer(name: str, default: int, low: int, high: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                errors.append(FieldError(name, f"must be an integer, got {raw!r}"))
                return default
            if not low <= value <= high:
                errors.append(FieldError(name, f"must be between {low} and {high}"))
            return value

        def flag(name: str, default: bool) -> bool:
            raw = env.get(name, "").strip().lower()
            if not raw:
                return default
            if raw not in ("0", "1", "true", "false"):
                errors.append(FieldError(name, f"must be 1 or 0, got {raw!r}"))
                return default
            return raw in ("1", "true")

        log_level = env.get("JOINTIP_LOG_LEVEL", "INFO").strip().upper() or "INFO"
        if log_level not in LOG_LEVELS:
            errors.append(FieldError("JOINTIP_LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}"))
        pool_min = integer("JOINTIP_POOL_MIN_SIZE", 1, 0, 1000)
        pool_max = integer("JOINTIP_POOL_MAX_SIZE", 10, 1, 1000)
        if pool_max < pool_min:
            errors.append(FieldError("JOINTIP_POOL_MAX_SIZE", "must be >= JOINTIP_POOL_MIN_SIZE"))
        settings = cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("JOINTIP_DATA_DIR") or ".jointip"),
            bootstrap_key=env.get("JOINTIP_BOOTSTRAP_KEY") or None,
            host=env.get("JOINTIP_HOST") or "127.0.0.1",
            port=integer("JOINTIP_PORT", 8000, 1, 65535),
            workers=integer("JOINTIP_WORKERS", 1, 1, 64),
            pool_min_size=pool_min,
            pool_max_size=pool_max,
            max_body_bytes=integer("JOINTIP_MAX_BODY_BYTES", 10 * 1024 * 1024, 1024, 1024**3),
            cors_origins=tuple(
                o.strip() for o in env.get("JOINTIP_CORS_ORIGINS", "").split(",") if o.strip()
            ),
            log_level=log_level,
            secret_key=env.get("JOINTIP_SECRET_KEY") or None,
            public_url=(env.get("JOINTIP_PUBLIC_URL") or "").strip().rstrip("/") or None,
            session_hours=integer("JOINTIP_SESSION_HOURS", 8, 1, 24 * 30),
            rate_limit_per_minute=integer("JOINTIP_RATE_LIMIT_PER_MINUTE", 600, 0, 1_000_000),
            auth_failures_per_minute=integer("JOINTIP_AUTH_FAILURES_PER_MINUTE", 20, 0, 1_000_000),
            render_processes=integer("JOINTIP_RENDER_PROCESSES", 1, 0, 64),
            webhook_allow_private=flag("JOINTIP_WEBHOOK_ALLOW_PRIVATE", False),
            webhook_dispatcher=flag("JOINTIP_WEBHOOK_DISPATCHER", True),
            webhook_max_attempts=integer("JOINTIP_WEBHOOK_MAX_ATTEMPTS", 16, 1, 100),
            webhook_retry_base_ms=integer("JOINTIP_WEBHOOK_RETRY_BASE_MS", 5000, 1, 3_600_000),
            webhook_pause_after_claim_ms=integer("JOINTIP_TEST_PAUSE_AFTER_CLAIM_MS", 0, 0, 600_000),
            event_stream_keepalive_seconds=integer("JOINTIP_EVENT_STREAM_KEEPALIVE_SECONDS", 15, 1, 3600),
        )
        if settings.secret_key is not None and len(settings.secret_key) < MIN_SECRET_LENGTH:
            errors.append(
                FieldError("JOINTIP_SECRET_KEY", f"must be at least {MIN_SECRET_LENGTH} characters")
            )
        if settings.public_url is not None and not settings.public_url.startswith(("http://", "https://")):
            errors.append(FieldError("JOINTIP_PUBLIC_URL", "must start with http:// or https://"))
        if settings.bootstrap_key is not None and len(settings.bootstrap_key) < 16:
            errors.append(FieldError("JOINTIP_BOOTSTRAP_KEY", "must be at least 16 characters"))
        if errors:
            raise RuleViolation(
                errors, "invalid configuration: " + "; ".join(f"{e.field} {e.message}" for e in errors)
            )
        return settings
