"""The reviewer portal: server-rendered pages under ``/portal`` and the landing page at ``/``.

Pages are Jinja templates rendered by Litestar; forms carry Litestar's CSRF token (a signed
double-submit cookie); the session is ours (``sessions.py``, kept in PostgreSQL). Static files
(one stylesheet, one small script) are served from this package: nothing comes from another host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Request, Router, get
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware, DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from service.deps import provide_caller
from service.portal.errors import is_portal_path, portal_error_page
from service.portal.pages import PortalController
from service.portal.sessions import COOKIE_PATH, PortalSessionMiddleware

__all__ = [
    "PortalHeadersMiddleware",
    "is_portal_path",
    "portal_error_page",
    "portal_routers",
    "template_config",
]

_HERE = Path(__file__).parent
CSRF_COOKIE = "jointip_csrf"

# Pages load only what the app serves itself; no inline script, no framing, forms post here only.
_SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class PortalHeadersMiddleware(ASGIMiddleware):
    """Security headers on every portal response (error pages included); pages are not cached."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if not is_portal_path(scope["path"]):
            await next_app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = message.setdefault("headers", [])  # type: ignore[assignment]
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in _SECURITY_HEADERS if h[0] not in present)
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
            await send(message)

        await next_app(scope, receive, send_with_headers)


class LandingController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", name="landing")
    async def landing(self, request: Request[Any, Any, Any]) -> Template:
        return Template(template_name="landing.html", context={"who": None})


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=_HERE / "templates", engine=JinjaTemplateEngine)


def portal_routers(secret: str, *, secure_cookies: bool) -> list[Any]:
    """The portal's pages (session and CSRF checked), its static files, and the landing page."""
    csrf = CSRFConfig(
        secret=secret,
        cookie_name=CSRF_COOKIE,
        cookie_path=COOKIE_PATH,
        cookie_httponly=True,  # forms carry the token in a hidden field: no script needs the cookie
        cookie_secure=secure_cookies,
        cookie_samesite="lax",
    )
    pages = Router(
        path="/",
        route_handlers=[PortalController],
        middleware=[DefineMiddleware(CSRFMiddleware, config=csrf), PortalSessionMiddleware],
        dependencies={"caller": Provide(provide_caller, sync_to_thread=False)},
    )
    static = create_static_files_router(
        path="/portal/static", directories=[_HERE / "static"], include_in_schema=False, name="portal:static"
    )
    return [pages, static, LandingController]
