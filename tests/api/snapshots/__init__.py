"""Checked-in copies of what the service publishes; ``python -m tests.api.snapshots`` rewrites them."""

from __future__ import annotations

from pathlib import Path

OPENAPI_SNAPSHOT = Path(__file__).with_name("openapi.json")
