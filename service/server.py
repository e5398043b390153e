"""How ``jointip serve`` runs uvicorn: one place, so the benchmarks serve their references the same way."""

from __future__ import annotations

from typing import Any


def uvicorn_options() -> dict[str, Any]:
    """Event loop, HTTP parser and connection handling for every jointip server process."""
    # uvloop and httptools (both dependencies) roughly halve the server's own cost per request.
    # An event stream never ends by itself: without a bound, a stop signal would wait for every
    # connected client to leave. After this many seconds the remaining requests are cancelled.
    return {
        "loop": "uvloop",
        "http": "httptools",
        "lifespan": "on",
        "proxy_headers": False,
        "timeout_graceful_shutdown": 10,
    }
