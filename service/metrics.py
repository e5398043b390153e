"""Every Prometheus metric jointip defines, in one place (``/metrics``).

- HTTP: Litestar's Prometheus middleware (``jointip_requests_total``,
  ``jointip_request_duration_seconds``, ``jointip_requests_in_progress``, ``jointip_requests_error_total``),
  labelled by route template, not by id, so series stay bounded.
- ``jointip_render_seconds{document}``: wall time to render a contract version, a redline or a
  results schedule, measured around the awaited render (queueing for a worker thread included).

With ``jointip serve --workers N`` (N > 1) the serve command points ``PROMETHEUS_MULTIPROC_DIR`` at a
fresh directory before the workers start: prometheus_client then keeps each worker's values in files
there and ``/metrics`` (Litestar's controller) aggregates them with a ``MultiProcessCollector``,
whichever worker answers. In that mode a ``Gauge`` must say how to aggregate
(``multiprocess_mode="livesum"`` or similar), and ``Info``/``Enum`` metrics do not work.
- Webhooks and the event stream: ``jointip_webhook_outbox_depth{status}``,
  ``jointip_webhook_dispatch_attempts_total{outcome}``, ``jointip_event_stream_clients``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import Counter, Gauge, Histogram

PREFIX = "jointip"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

Document = Literal["contract", "redline", "results_schedule"]

RENDER_SECONDS = Histogram(
    f"{PREFIX}_render_seconds",
    "Wall time to render a document (contract version, redline, results schedule)",
    ["document"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def http_metrics() -> PrometheusConfig:
    """The HTTP middleware's configuration (its metrics are created on the first request)."""
    return PrometheusConfig(app_name=PREFIX, prefix=PREFIX, group_path=True, exclude=["/metrics"])


@contextmanager
def render_timer(document: Document) -> Iterator[None]:
    """Observe the block's wall time as one render of ``document`` (also when it raises)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        RENDER_SECONDS.labels(document=document).observe(time.perf_counter() - started)


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
