"""The floor: a Litestar app answering plain text, served exactly as ``jointip serve`` serves."""

from __future__ import annotations

from litestar import Litestar, MediaType, get


@get("/health", media_type=MediaType.TEXT, sync_to_thread=False)
def health() -> str:
    return "ok"


@get("/plaintext", media_type=MediaType.TEXT, sync_to_thread=False)
def plaintext() -> str:
    return "Hello, World!"


def create_app() -> Litestar:
    return Litestar(route_handlers=[health, plaintext], debug=False)
