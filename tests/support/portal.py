"""Driving the portal's forms from a test client: sign in, then post forms with the CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

CSRF_COOKIE = "jointip_csrf"
SESSION_COOKIE = "jointip_session"
_CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class Portal:
    client: AsyncTestClient  # type: ignore[type-arg]

    def csrf(self) -> str:
        token = self.client.cookies.get(CSRF_COOKIE)
        assert token, "no CSRF cookie yet: GET a portal page first"
        return str(token)

    async def sign_in(self, key: str, next_page: str = "/portal") -> httpx.Response:
        page = await self.client.get("/portal/sign-in")
        assert page.status_code == 200, page.text
        assert _CSRF_FIELD.search(page.text), "the sign-in form carries no CSRF token"
        return await self.client.post(
            "/portal/sign-in",
            data={"api_key": key, "next": next_page, "_csrf_token": self.csrf()},
            follow_redirects=False,
        )

    async def signed_in(self, key: str) -> None:
        r = await self.sign_in(key)
        assert r.status_code == 303, r.text
        assert self.client.cookies.get(SESSION_COOKIE)

    async def post(
        self, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True
    ) -> httpx.Response:
        body = dict(data or {})
        if csrf:
            if not self.client.cookies.get(CSRF_COOKIE):
                await self.client.get("/portal/sign-in")
            body["_csrf_token"] = self.csrf()
        return await self.client.post(url, data=body, follow_redirects=False)

    def sign_out_locally(self) -> None:
        self.client.cookies.clear()
