from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter

from service import webhooks as ops
from service.controllers.params import PAGING, Paging
from service.deps import Conn, CurrentCaller
from service.openapi import refuses
from service.schemas.common import Page
from service.schemas.webhooks import (
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookMessage,
    WebhookMessageStatus,
)

MessageStatus = Annotated[
    WebhookMessageStatus | None, QueryParameter(name="status", description="only messages in this status")
]


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]
    dependencies = PAGING

    @post(
        "/",
        operation_id="createWebhook",
        summary="Subscribe to events; the secret is shown once",
        opt=refuses(403),
    )
    async def create(
        self, conn: Conn, caller: CurrentCaller, state: State, data: JSONBody[WebhookCreate]
    ) -> Response[WebhookCreated]:
        """By the organisation's admin. Events of every engagement the organisation can see are POSTed
        to `url`, signed per Standard Webhooks with `secret` (in this response only). A URL that is not
        http(s), or resolves to a private, loopback or link-local address, is refused (422 on `url`)."""
        # One insert, after the DNS lookup: no transaction held open while resolving.
        hook = await ops.create(conn, caller, data, allow_private=state.settings.webhook_allow_private)
        return Response(hook, status_code=201, headers={"Location": f"/api/v1/webhooks/{hook.id}"})

    @get(
        "/", operation_id="listWebhooks", summary="The organisation's webhook subscriptions", opt=refuses(403)
    )
    async def list_hooks(self, conn: Conn, caller: CurrentCaller, page: Paging) -> Page[Webhook]:
        """Subscriptions without their secrets, oldest first."""
        return await ops.list_all(conn, caller, limit=page.limit, cursor=page.cursor)

    @get(
        "/{webhook_id:uuid}", operation_id="getWebhook", summary="One webhook subscription", opt=refuses(403)
    )
    async def read(self, conn: Conn, caller: CurrentCaller, webhook_id: FromPath[UUID]) -> Webhook:
        """Another organisation's subscription is a 404, like a missing one."""
        return await ops.get(conn, caller, webhook_id)

    @delete("/{webhook_id:uuid}", operation_id="deleteWebhook", summary="Unsubscribe", opt=refuses(403))
    async def remove(self, conn: Conn, caller: CurrentCaller, webhook_id: FromPath[UUID]) -> None:
        """The subscription and its undelivered messages are removed."""
        async with conn.transaction():
            await ops.delete(conn, caller, webhook_id)

    @post(
        "/{webhook_id:uuid}/rotate-secret",
        operation_id="rotateWebhookSecret",
        status_code=200,
        summary="A new signing secret; the old one keeps signing for 24 hours",
        opt=refuses(403),
    )
    async def rotate(self, conn: Conn, caller: CurrentCaller, webhook_id: FromPath[UUID]) -> WebhookCreated:
        """The new `secret` is in this response only. Until `previous_secret_until` every message
        carries two signatures (`v1,<new> v1,<old>`), so receivers can switch secrets without a gap."""
        async with conn.transaction():
            return await ops.rotate_secret(conn, caller, webhook_id)

    @get(
        "/{webhook_id:uuid}/messages",
        operation_id="listWebhookMessages",
        summary="Undelivered messages: pending and parked",
        opt=refuses(403),
    )
    async def messages(
        self,
        conn: Conn,
        caller: CurrentCaller,
        webhook_id: FromPath[UUID],
        status_filter: MessageStatus = None,
        *,
        page: Paging,
    ) -> Page[WebhookMessage]:
        """Messages still to deliver (`pending`) or given up on after the last attempt (`parked`),
        with their attempts and last error. Delivered messages leave the outbox."""
        return await ops.list_messages(
            conn,
            caller,
            webhook_id,
            status=status_filter.value if status_filter else None,
            limit=page.limit,
            cursor=page.cursor,
        )

    @post(
        "/{webhook_id:uuid}/messages/{message_id:uuid}/requeue",
        operation_id="requeueWebhookMessage",
        status_code=200,
        summary="Send a parked message again",
        opt=refuses(403),
    )
    async def requeue(
        self, conn: Conn, caller: CurrentCaller, webhook_id: FromPath[UUID], message_id: FromPath[UUID]
    ) -> WebhookMessage:
        """Due now, with a fresh count of attempts."""
        async with conn.transaction():
            return await ops.requeue(conn, caller, webhook_id, message_id)
