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
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import Histogram

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
