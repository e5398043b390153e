"""The service's own Prometheus series (request metrics come from Litestar's plugin).

Defined once per process, in the default registry that ``/metrics`` serves. The multiprocess
modes only matter when prometheus_client's multiprocess mode is on (``--workers N``).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

OUTBOX_DEPTH = Gauge(
    "jointip_webhook_outbox_depth",
    "Webhook messages in the outbox, by status (pending: to deliver; parked: given up on)",
    ["status"],
    multiprocess_mode="livemax",  # every process reads the same table
)
DISPATCH_ATTEMPTS = Counter(
    "jointip_webhook_dispatch_attempts",
    "Webhook delivery attempts by outcome (delivered, failed: retried later, parked: last attempt failed)",
    ["outcome"],
)
EVENT_STREAM_CLIENTS = Gauge(
    "jointip_event_stream_clients",
    "Clients connected to GET /api/v1/events/stream",
    multiprocess_mode="livesum",
)

for _outcome in ("delivered", "failed", "parked"):
    DISPATCH_ATTEMPTS.labels(_outcome)
for _status in ("pending", "parked"):
    OUTBOX_DEPTH.labels(_status)

__all__ = ["DISPATCH_ATTEMPTS", "EVENT_STREAM_CLIENTS", "OUTBOX_DEPTH"]
