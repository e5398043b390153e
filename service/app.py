"""The app factory: create_app(settings) builds everything; one lifespan owns the pool."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import time
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any, cast

from litestar import Litestar, Request, Response, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusController
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

from db import close_pool, create_pool, idempotency, kv_store, migrate
from service.auth import ApiKeyMiddleware
from service.clock import Clock, system_clock
from service.controllers.clauses import ClauseController
from service.controllers.contracts import ContractController
from service.controllers.engagements import EngagementController
from service.controllers.events import EventController
from service.controllers.feed import FeedController
from service.controllers.health import HealthController
from service.controllers.links import LinkController
from service.controllers.me import MeController
from service.controllers.milestones import MilestoneController
from service.controllers.organisations import ApiKeyController, OrganisationController
from service.controllers.proposals import ProposalController
from service.controllers.webhooks import WebhookController
from service.controllers.workflow import WorkflowController
from service.deps import provide_api_conn, provide_caller, provide_conn
from service.dispatcher import Dispatcher
from service.docs_ui import OpenApiJson, SwaggerUI
from service.errors import exception_to_problem
from service.http import AllowHeaderMiddleware, StrictJsonRequest, check_request
from service.idempotency import IdempotencyMiddleware
from service.key_cache import KeyCache
from service.logs import configure_logging, current_request_id
from service.metrics import http_metrics
from service.notify import KEYS, Notifications
from service.openapi import DecimalSchemaPlugin
from service.portal import (
    PortalHeadersMiddleware,
    is_portal_path,
    portal_error_page,
    portal_routers,
    template_config,
)
from service.ratelimit import AuthFailures, PerKeyLimit
from service.rendering import render_pool
from service.responses import JsonResponse
from service.server import stop_with_serve
from service.settings import Settings

API_PREFIX = "/api/v1"
log = logging.getLogger("jointip")
access_log = logging.getLogger("jointip.access")


class RequestIdMiddleware(ASGIMiddleware):
    """Gives every request an id (the client's X-Request-ID when sane) for logs and problems,
    writes the request's access line (``jointip.access``: method, path, status, duration), and gives
    every response ``X-Content-Type-Options: nosniff``.

    The id is in ``scope["state"]`` (``service.errors`` puts it into every problem+json) and in
    ``service.logs.current_request_id`` while the request runs, so every log line it causes carries it.
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
        token = current_request_id.set(rid)
        started = time.perf_counter()
        status = 500  # unless a response starts

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.setdefault("headers", [])
                headers.append((b"x-request-id", rid.encode()))
                if not any(k.lower() == b"x-content-type-options" for k, _ in headers):
                    # Downloads above all: a browser must not guess HTML or script in a DOCX or JSON body.
                    headers.append((b"x-content-type-options", b"nosniff"))
                if self.vary_origin and not any(k.lower() == b"vary" for k, _ in headers):
                    headers.append((b"vary", b"Origin"))
            await send(message)

        try:
            await next_app(scope, receive, send_with_id)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                method = cast("HTTPScope", scope)["method"]
                access_log.info(
                    "%s %s %s",
                    method,
                    scope["path"],
                    status,
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    },
                )
            current_request_id.reset(token)


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
        background = [asyncio.create_task(app.state.notifications.listen(settings.database_url))]
        try:
            if settings.migrate_on_start:
                async with pool.acquire() as conn:
                    await migrate(conn)
            async with pool.acquire() as conn:
                await idempotency.purge_expired(conn)
                await kv_store.purge_expired(conn)
            app.state.pool = pool
            if settings.webhook_dispatcher:  # several workers each run one: SKIP LOCKED keeps them apart
                dispatcher = Dispatcher(settings, app.state.notifications)
                background.append(asyncio.create_task(dispatcher.run(settings.database_url)))
            async with render_pool(settings.render_processes):  # shut down before the pool closes
                # What start-up built lives as long as the process: keep it out of the cyclic
                # collector's full passes, which otherwise walk all of it again and again.
                gc.freeze()
                yield
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await close_pool(pool)  # bounded: a lost database must not hold up a stop

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
    "Last-Event-ID",  # resuming the event stream
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
            WebhookController,
            FeedController,
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
    metrics = http_metrics()
    secret = _secret(settings)
    key_cache, notifications = KeyCache(), Notifications()
    notifications.attach(KEYS, key_cache)  # one listening connection serves the cache and the streams
    secure = (settings.public_url or "").startswith("https://")
    state = State(
        {
            "settings": settings,
            "clock": clock,
            "secret": secret,
            "key_cache": key_cache,
            "notifications": notifications,
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
    configure_logging(settings.log_level)
    stop_with_serve()  # a worker of a `jointip serve` killed with SIGKILL must not serve on alone
    return create_app(settings)
