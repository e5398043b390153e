"""Logging for every jointip process: one JSON object per line on stderr.

Each line has ``time`` (UTC, RFC 3339), ``level``, ``logger``, ``message`` and ``pid``; a line logged while a
request is handled also has its ``request_id`` (the id its problem+json and ``X-Request-ID`` carry),
and the access line of each request adds ``method``, ``path``, ``status`` and ``duration_ms``.
Libraries that narrate their internals (``transitions`` per state change, ``pgserver`` with its
``initdb`` output) log at WARNING unless ``JOINTIP_LOG_LEVEL=DEBUG``.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

#: The id of the request being handled in this task (set by ``service.app.RequestIdMiddleware``).
current_request_id: ContextVar[str | None] = ContextVar("jointip_request_id", default=None)

#: Loggers too talkative at INFO for an operator's screen.
CHATTY = ("transitions", "pgserver")
#: Fields an access line (``jointip.access``) carries besides the common ones.
ACCESS_FIELDS = ("method", "path", "status", "duration_ms")

# LogRecord's own attributes, and uvicorn's ANSI-coloured copy of its message.
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: the common fields, the request id, and any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,  # which worker, with --workers N
        }
        rid = getattr(record, "request_id", None) or current_request_id.get()
        if rid:
            line["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key not in line and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: str) -> None:
    """Root logging for a process (the CLI, and each server worker): JSON lines on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in CHATTY:
        logging.getLogger(name).setLevel(quiet)
    # uvicorn's own lines go through the root handler; its access line is replaced by
    # ``jointip.access`` (which has the request id, the status and the duration).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = name != "uvicorn.access"
