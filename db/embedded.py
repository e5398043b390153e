"""The embedded PostgreSQL (the ``pgserver`` wheel): started when no DATABASE_URL is given.

Several processes may share one data directory: pgserver serialises start-up
with a file lock and counts its users, and the last one to stop shuts the
server down. ``./.jointip/pgdata`` holds the data between runs.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger("jointip.embedded")


def _pgserver() -> Any:
    # pgserver asks platformdirs for a runtime dir at import; without XDG_RUNTIME_DIR
    # that only warns (and falls back to /tmp), which must not fail a warnings-as-errors run.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        return pgserver


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Start (or join) the embedded server under ``data_dir``; yield its DSN; stop it when the last user leaves."""
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = _pgserver().get_server(data_dir / "pgdata", cleanup_mode="stop")
    log.info("embedded PostgreSQL running with data in %s", data_dir / "pgdata")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
        log.info("embedded PostgreSQL released")
