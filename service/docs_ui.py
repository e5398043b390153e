"""The API docs UI (Swagger UI 5) at ``/schema``, its assets served from the installed ``swagger-ui-py``
package under ``/schema/assets``: pinned, nothing loaded from another host, works offline.

Both the UI and ``/schema/openapi.json`` render ``service.openapi.describe(app)``, the refined document.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.serialization import encode_json
from litestar.static_files import create_static_files_router

from service.openapi import describe

ASSETS = "/schema/assets"


def swagger_assets() -> Path:
    """The ``static`` folder of the installed swagger-ui-py (found without importing the package)."""
    spec = find_spec("swagger_ui")
    if spec is None or spec.origin is None:
        raise RuntimeError("swagger-ui-py is not installed: pip install -e . installs it")
    return Path(spec.origin).parent / "static"


def _refined(request: Request[Any, Any, Any]) -> bytes:
    return encode_json(describe(request.app))


class OpenApiJson(JsonRenderPlugin):
    """``/schema/openapi.json``: the refined document."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _refined(request)


class SwaggerUI(SwaggerRenderPlugin):
    """Swagger UI with self-hosted assets, rendering the refined document."""

    def __init__(self, path: str | list[str] = "/") -> None:
        super().__init__(
            js_url=f"{ASSETS}/swagger-ui-bundle.js",
            css_url=f"{ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
            path=path,
        )

    @staticmethod
    def render_json(request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _refined(request)

    def receive_router(self, router: Router) -> None:
        super().receive_router(router)
        router.register(
            create_static_files_router(
                path="/assets", directories=[swagger_assets()], include_in_schema=False, name="docs-assets"
            )
        )
