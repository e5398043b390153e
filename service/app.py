"""The app factory: create_app(settings) builds everything; one lifespan owns the pool."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.types import ASGIApp, Receive, Scope, Send

from db import create_pool, idempotency, kv_store, migrate
from service.auth import ApiKeyMiddleware
from service.clock import Clock, system_clock
from service.controllers.clauses import ClauseController
from service.controllers.contracts import ContractController
from service.controllers.engagements import EngagementController
from service.controllers.events import EventController
from service.controllers.health import HealthController
from service.controllers.links import LinkController
from service.controllers.me import MeController
from service.controllers.milestones import MilestoneController
from service.controllers.organisations import ApiKeyController, OrganisationController
from service.controllers.proposals import ProposalController
from service.controllers.workflow import WorkflowController
from service.deps import provide_api_conn, provide_caller, provide_conn
from service.docs_ui import OpenApiJson, SwaggerUI
from service.errors import exception_to_problem
from service.http import AllowHeaderMiddleware, StrictJsonRequest, check_request
from service.idempotency import IdempotencyMiddleware
from service.key_cache import KeyCache
from service.openapi import DecimalSchemaPlugin
from service.portal import (
    PortalHeadersMiddleware,
    is_portal_path,
    portal_error_page,
    portal_routers,
    template_config,
)
from service.ratelimit import AuthFailures, PerKeyLimit
from service.responses import JsonResponse
from service.settings import Settings

API_PREFIX = "/api/v1"
log = logging.getLogger("jointip")


class RequestIdMiddleware(ASGIMiddleware):
    """Gives every request an id (the client's X-Request-ID when sane) for logs and 500 problems,
    and every response ``X-Content-Type-Options: nosniff``.

    With CORS on, every response also says ``Vary: Origin``: the CORS headers depend on the request's
    origin, so a shared cache must not hand one origin's response to another (or to a same-origin page).
    """

    scopes = (ScopeType.HTTP,)

    def __init__(self, vary_origin: bool = False) -> None:
        self.vary_origin = vary_origin

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = (
            given
            if given.isascii() and given.replace("-", "").isalnum() and len(given) <= 64
            else uuid.uuid4().hex
        )
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", rid.encode()))
                if not any(k.lower() == b"x-content-type-options" for k, _ in headers):
                    # Downloads above all: a browser must not guess HTML or script in a DOCX or JSON body.
                    headers.append((b"x-content-type-options", b"nosniff"))
                if self.vary_origin and not any(k.lower() == b"vary" for k, _ in headers):
                    headers.append((b"vary", b"Origin"))
            await send(message)

        await next_app(scope, receive, send_with_id)


def _lifespan(settings: Settings) -> Any:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        if settings.database_url is None:
            raise RuntimeError(
                "Settings.database_url must be set (the CLI starts the embedded server and sets it)"
            )
        pool = await create_pool(
            settings.database_url, min_size=settings.pool_min_size, max_size=settings.pool_max_size
        )
        listener = asyncio.create_task(app.state.key_cache.listen(settings.database_url))
        try:
            if settings.migrate_on_start:
                async with pool.acquire() as conn:
                    await migrate(conn)
            async with pool.acquire() as conn:
                await idempotency.purge_expired(conn)
                await kv_store.purge_expired(conn)
            app.state.pool = pool
            yield
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            await pool.close()

    return lifespan


#: Response headers a browser client must be able to read (CORS hides all others from ``fetch``).
EXPOSED_HEADERS = [
    "ETag",
    "Location",
    "Content-Disposition",
    "Repr-Digest",
    "X-Request-ID",
    "Idempotent-Replayed",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
]
ALLOWED_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "X-Request-ID",
]


def _secret(settings: Settings) -> str:
    if settings.secret_key is not None:
        return settings.secret_key
    log.warning(
        "no JOINTIP_SECRET_KEY: download links and portal forms are signed with a secret of this "
        "process only (they stop working after a restart and across workers)"
    )
    return secrets.token_urlsafe(48)


def _handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Pages get an error page, everything else an RFC 9457 problem (one mapping behind both)."""
    if is_portal_path(request.url.path):
        return portal_error_page(request, exc)
    return exception_to_problem(request, exc)


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS for the configured origins only, with the methods the API uses and the headers it sends."""
    if not settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "HEAD", "POST", "PATCH", "DELETE"],
        allow_headers=ALLOWED_REQUEST_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )


def create_app(settings: Settings, clock: Clock = system_clock) -> Litestar:
    api = Router(
        path=API_PREFIX,
        route_handlers=[
            OrganisationController,
            ApiKeyController,
            MeController,
            EngagementController,
            ProposalController,
            EventController,
            ContractController,
            LinkController,
            ClauseController,
            MilestoneController,
            WorkflowController,
        ],
        middleware=[
            ApiKeyMiddleware,
            *([PerKeyLimit(settings.rate_limit_per_minute)] if settings.rate_limit_per_minute else []),
            IdempotencyMiddleware(),
        ],
        before_request=check_request,
        request_class=StrictJsonRequest,
        dependencies={
            "caller": Provide(provide_caller, sync_to_thread=False),
            "conn": Provide(provide_api_conn),
        },
        security=[{"bearer": []}],
    )
    # group_path: label requests by route template, not by id, so series stay bounded.
    metrics = PrometheusConfig(app_name="jointip", prefix="jointip", group_path=True, exclude=["/metrics"])
    secret = _secret(settings)
    secure = (settings.public_url or "").startswith("https://")
    state = State(
        {
            "settings": settings,
            "clock": clock,
            "secret": secret,
            "key_cache": KeyCache(),
            "auth_failures": AuthFailures(settings.auth_failures_per_minute),
        }
    )
    return Litestar(
        route_handlers=[
            HealthController,
            PrometheusController,
            api,
            *portal_routers(secret, secure_cookies=secure),
        ],
        lifespan=[_lifespan(settings)],
        state=state,
        dependencies={"conn": Provide(provide_conn)},
        exception_handlers={Exception: _handle_exception},
        response_class=JsonResponse,
        middleware=[
            RequestIdMiddleware(vary_origin=bool(settings.cors_origins)),
            AllowHeaderMiddleware(),
            PortalHeadersMiddleware(),
            metrics.middleware,
        ],
        template_config=template_config(),
        request_max_body_size=settings.max_body_bytes,
        cors_config=cors_config(settings),
        openapi_config=OpenAPIConfig(
            title="jointip",
            version="1.0.0",
            description="Joint-IP MVP development engagements between Lithuanian vendors and Norwegian start-ups.",
            path="/schema",
            use_handler_docstrings=True,
            render_plugins=[SwaggerUI(path=["/", "/swagger"]), OpenApiJson()],
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", description="API key")
                }
            ),
        ),
        plugins=[DecimalSchemaPlugin()],
        logging_config=None,  # logging is configured once, at the entry point
        debug=False,
    )


def app_from_env() -> Litestar:
    """Entry point for server workers: settings are read from the environment here, once."""
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(settings)
