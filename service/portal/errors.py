"""Errors on portal pages: the same mapping as the API (``exception_to_problem``), shown as a page.

A page that needs a session and has none sends a GET to the sign-in page (and back afterwards).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect, Template

from service.errors import exception_to_problem
from service.portal.sessions import COOKIE_PATH, SESSION_COOKIE

_ADVICE = {
    401: "Sign in again with your organisation's API key.",
    403: "If you reached this page from a form, reload the page and send the form again.",
    404: "It does not exist, or your organisation is not a party to it.",
    410: "Ask the person who sent you the link for a new one.",
    429: "Wait a few minutes before trying again.",
    503: "The service is briefly unavailable. Nothing was changed; try again shortly.",
}


def is_portal_path(path: str) -> bool:
    return path == "/" or path == "/portal" or path.startswith("/portal/")


def portal_error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """An error as a page with the right status: what happened, in a sentence, and what to do."""
    if isinstance(exc, NotAuthorizedException) and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        redirect = Redirect(f"/portal/sign-in?next={quote(target, safe='')}", status_code=303)
        redirect.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
        return redirect
    problem = exception_to_problem(request, exc)
    body: dict[str, Any] = dict(problem.content) if isinstance(problem.content, dict) else {}
    status = problem.status_code or 500
    if "CSRF" in str(body.get("detail", "")):
        body["detail"] = "This form could not be accepted: its security token was missing or did not match."
    headers = {k: v for k, v in (problem.headers or {}).items() if k.lower() != "www-authenticate"}
    return Template(
        template_name="error.html",
        context={
            "status": status,
            "title": body.get("title", "Error"),
            "detail": body.get("detail", ""),
            "errors": body.get("errors", []),
            "advice": _ADVICE.get(status, ""),
            "request_id": body.get("request_id"),
            "who": None,
        },
        status_code=status,
        headers=headers,
    )
