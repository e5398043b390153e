"""The imperative shell: HTTP, auth, errors, settings, CLI."""

from service.app import create_app
from service.settings import Settings

__all__ = ["Settings", "create_app"]
