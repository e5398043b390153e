"""The portal's pages: thin handlers over the same service functions the API uses.

Reads and changes go through ``service`` (tenancy, the core's decisions, the audit trail), so a
page can do nothing the caller's key could not do over the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, FormMultiDict, State
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from db import contracts as contract_rows
from db import inbox as inbox_rows
from db import links as link_rows
from db import organisations, proposals
from db.contracts import ContractRow
from db.engagements import EngagementRow
from service import audit, contracts, engagement_actions, links
from service.auth import Caller
from service.controllers.contracts import docx_response
from service.controllers.links import public_base_url
from service.deps import Conn, CurrentCaller
from service.portal.sessions import COOKIE_PATH, SESSION_COOKIE, PortalSession, sign_in, sign_out
from service.portal.views import (
    Glance,
    clause_choices,
    money,
    offered,
    party_words,
    terms_at_a_glance,
    words,
    workflow_position,
)
from service.schemas.links import MAX_LINK_DAYS, LinkCreate
from service.snapshots import reference
from service.tenancy import engagement_guard, parties_of, visible_engagement
from workflows import ActionInput, ClauseComment, DomainError, FieldError, NotFound, RuleViolation

INBOX_PAGE = 50
CLAUSE_COMMENT_ROWS = 3
MAX_CLAUSE_COMMENTS = 20
MAX_COMMENT = 10_000
PUBLIC = {"exclude_from_auth": True}


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    """Only a path inside the portal: never a redirect to another site."""
    if target and target.startswith("/portal") and not target.startswith("//") and "\\" not in target:
        return target
    return "/portal"


def _session(request: Request[Any, Any, Any]) -> PortalSession:
    session: PortalSession = request.auth
    return session


def _page(request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any) -> Template:
    signed_in = isinstance(request.scope.get("auth"), PortalSession)
    base = {
        "who": request.user if signed_in else None,
        "organisation": _session(request).organisation_name if signed_in else None,
        "words": words,
        "party_words": party_words,
    }
    return Template(template_name=name, context=base | context, status_code=status_code)


def _form_text(form: FormMultiDict, name: str, limit: int = MAX_COMMENT) -> str:
    value = form.get(name, "")
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > limit:
        raise RuleViolation.one(name, f"is longer than {limit} characters")
    return text


# --- the engagement page ----------------------------------------------------------------------


@dataclass
class VersionView:
    row: ContractRow
    reviews: list[Any]
    links: list[Any]


@dataclass
class EngagementView:
    row: EngagementRow
    reference: str
    vendor: Any
    startup: Any
    reviewer: Any
    my_parties: list[str]
    glance: Glance | None
    revision: int | None
    position: Any
    versions: list[VersionView]
    latest: ContractRow | None
    clauses: list[Any]
    can_review: set[str]
    events: list[Any]
    chain: Any
    events_next: str | None
    my_organisation: UUID | None
    form_errors: dict[str, list[FieldError]] = field(default_factory=dict)


async def engagement_view(
    conn: Conn, caller: Caller, engagement_id: UUID, events_cursor: str | None = None
) -> EngagementView:
    row = await visible_engagement(conn, caller, engagement_id)
    versions = await contract_rows.page(conn, engagement_id, after=None, limit=100)
    latest = versions[-1] if versions else None
    revision_row = (
        await proposals.get(conn, engagement_id, latest.revision)
        if latest
        else await proposals.latest(conn, engagement_id)
    )
    glance = (
        terms_at_a_glance(
            revision_row.ip_terms, revision_row.total_fee, row.currency, len(revision_row.milestones)
        )
        if revision_row
        else None
    )
    mine = parties_of(row, caller.organisation_id)
    events = await audit.list_events(conn, caller, engagement_id, limit=100, cursor=events_cursor)
    return EngagementView(
        row=row,
        reference=reference(row.id),
        vendor=await organisations.get(conn, row.vendor_id),
        startup=await organisations.get(conn, row.startup_id),
        reviewer=await organisations.get(conn, row.reviewer_id) if row.reviewer_id else None,
        my_parties=sorted(party_words(p.value) for p in mine),
        glance=glance,
        revision=revision_row.revision if revision_row else None,
        position=workflow_position(row.state.value),
        versions=[
            VersionView(
                v,
                await contract_rows.reviews(conn, v.id),
                await link_rows.for_contract(conn, v.id, after=None, limit=100),
            )
            for v in reversed(versions)
        ],
        latest=latest,
        clauses=clause_choices(await contract_rows.clauses(conn, latest.id)) if latest else [],
        can_review=offered(row.state.value, {p.value for p in mine}, ("approve", "request_revision")),
        events=events.items,
        chain=await audit.verify_events(conn, caller, engagement_id),
        events_next=events.next_cursor,
        my_organisation=caller.organisation_id,
    )


def _clause_comments(form: FormMultiDict) -> tuple[ClauseComment, ...]:
    ids, notes = form.getall("clause_id", []), form.getall("clause_comment", [])
    if len(ids) > MAX_CLAUSE_COMMENTS or len(notes) > MAX_CLAUSE_COMMENTS:
        raise RuleViolation.one("clause_comments", f"at most {MAX_CLAUSE_COMMENTS} clause comments")
    comments = []
    errors = []
    for index, (clause_id, note) in enumerate(zip(ids, notes, strict=False)):
        clause_id, note = str(clause_id).strip(), str(note).strip()
        if not clause_id and not note:
            continue
        if not clause_id:
            errors.append(
                FieldError(f"clause_comments.{index}.clause_id", "choose the clause this comment is on")
            )
        elif not note:
            errors.append(FieldError(f"clause_comments.{index}.comment", "write the comment for this clause"))
        elif len(note) > MAX_COMMENT:
            errors.append(
                FieldError(f"clause_comments.{index}.comment", f"is longer than {MAX_COMMENT} characters")
            )
        else:
            comments.append(ClauseComment(clause_id=clause_id, comment=note))
    if errors:
        raise RuleViolation(errors)
    return tuple(comments)


def _approval(form: FormMultiDict) -> ActionInput:
    """The approve form: the SHA-256 of the version shown, and an optional comment."""
    return ActionInput(
        document_sha256=_form_text(form, "document_sha256", 64) or None,
        comment=_form_text(form, "comment") or None,
    )


def _change_request(form: FormMultiDict) -> ActionInput:
    """The request-changes form: a comment and up to a few comments on named clauses."""
    return ActionInput(comment=_form_text(form, "comment") or None, clause_comments=_clause_comments(form))


_STATUS = {"NotFound": 404, "Forbidden": 403, "InvalidTransition": 409, "Conflict": 409}


class PortalController(Controller):
    """Pages for people who do not use the API; the session cookie stands in for the API key."""

    path = "/portal"
    guards = [engagement_guard]
    include_in_schema = False

    # --- signing in and out ------------------------------------------------------------------

    @get("/sign-in", opt=PUBLIC, name="portal:sign-in")
    async def sign_in_page(
        self,
        request: Request[Any, Any, Any],
        next_page: Annotated[str | None, QueryParameter(name="next")] = None,
    ) -> Template:
        return _page(request, "sign_in.html", next_page=_safe_next(next_page), error=None)

    @post("/sign-in", opt=PUBLIC, status_code=303)
    async def sign_in(self, conn: Conn, state: State, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        next_page = _safe_next(str(form.get("next", "")))
        key = str(form.get("api_key", ""))
        if not key.strip():
            return _page(request, "sign_in.html", 422, next_page=next_page, error="Enter your API key.")
        if len(key) > 200:
            return _page(request, "sign_in.html", 422, next_page=next_page, error="That is not an API key.")
        settings = state.settings
        try:
            token = await sign_in(
                conn,
                key,
                client=_client(request),
                now=state.clock(),
                hours=settings.session_hours,
                bootstrap_key=settings.bootstrap_key,
            )
        except DomainError as exc:
            status = {"Unauthorized": 401, "Forbidden": 403, "TooManyRequests": 429}.get(
                type(exc).__name__, 422
            )
            response = _page(request, "sign_in.html", status, next_page=next_page, error=exc.detail)
            if status == 429:
                response.headers["Retry-After"] = str(getattr(exc, "retry_after", 60))
            return response
        cookie = Cookie(
            key=SESSION_COOKIE,
            value=token,
            path=COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            max_age=settings.session_hours * 3600,
        )
        return Redirect(next_page, status_code=303, cookies=[cookie])

    @post("/sign-out", status_code=303)
    async def sign_out(self, conn: Conn, request: Request[Any, Any, Any]) -> Redirect:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await sign_out(conn, token)
        gone = Cookie(
            key=SESSION_COOKIE, value="", path=COOKIE_PATH, max_age=0, httponly=True, samesite="lax"
        )
        return Redirect("/portal/sign-in?signed_out=1", status_code=303, cookies=[gone])

    # --- inbox ---------------------------------------------------------------------------------

    @get("/", name="portal:inbox")
    async def inbox(
        self,
        conn: Conn,
        caller: CurrentCaller,
        request: Request[Any, Any, Any],
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        assert caller.organisation_id is not None  # sessions are for organisation keys only
        rows = await inbox_rows.inbox(
            conn, caller.organisation_id, offset=(page - 1) * INBOX_PAGE, limit=INBOX_PAGE + 1
        )
        return _page(
            request,
            "inbox.html",
            rows=rows[:INBOX_PAGE],
            page=page,
            more=len(rows) > INBOX_PAGE,
            reviews=_session(request).organisation_kind == "legal",
            reference=reference,
        )

    # --- one engagement ------------------------------------------------------------------------

    @get("/engagements/{engagement_id:uuid}", name="portal:engagement")
    async def engagement(
        self,
        conn: Conn,
        caller: CurrentCaller,
        request: Request[Any, Any, Any],
        engagement_id: FromPath[UUID],
        events_after: Annotated[str | None, QueryParameter(name="events_after", max_length=20)] = None,
        done: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Template:
        view = await engagement_view(conn, caller, engagement_id, events_after)
        return self._engagement_page(request, view, done=done)

    def _engagement_page(
        self, request: Request[Any, Any, Any], view: EngagementView, status_code: int = 200, **extra: Any
    ) -> Template:
        return _page(
            request,
            "engagement.html",
            status_code,
            e=view,
            money=money,
            max_link_days=MAX_LINK_DAYS,
            clause_rows=range(CLAUSE_COMMENT_ROWS),
            **({"done": None, "form": None, "form_error": None, "form_values": {}} | extra),
        )

    async def _review(
        self,
        conn: Conn,
        caller: Caller,
        state: State,
        request: Request[Any, Any, Any],
        engagement_id: UUID,
        action: str,
        read: Callable[[FormMultiDict], ActionInput],
    ) -> Response[Any]:
        """Fire ``action`` through the same function as the API; a refusal is shown beside its form."""
        form = await request.form()
        try:
            data = read(form)
            async with conn.transaction():
                await engagement_actions.fire_action(
                    conn, caller, engagement_id, action, data, None, state.clock()
                )
            return Redirect(f"/portal/engagements/{engagement_id}?done={action}", status_code=303)
        except NotFound:
            raise
        except DomainError as exc:
            status = 422 if isinstance(exc, RuleViolation) else _STATUS.get(type(exc).__name__, 409)
            message = _sentences(exc)
        view = await engagement_view(conn, caller, engagement_id)
        return self._engagement_page(
            request,
            view,
            status,
            form="approve" if action == "approve" else "request_changes",
            form_error=message,
            form_values={k: form.getall(k) for k in form},
        )

    @post("/engagements/{engagement_id:uuid}/approve", status_code=303)
    async def approve(
        self,
        conn: Conn,
        caller: CurrentCaller,
        state: State,
        request: Request[Any, Any, Any],
        engagement_id: FromPath[UUID],
    ) -> Response[Any]:
        return await self._review(conn, caller, state, request, engagement_id, "approve", _approval)

    @post("/engagements/{engagement_id:uuid}/request-changes", status_code=303)
    async def request_changes(
        self,
        conn: Conn,
        caller: CurrentCaller,
        state: State,
        request: Request[Any, Any, Any],
        engagement_id: FromPath[UUID],
    ) -> Response[Any]:
        return await self._review(
            conn, caller, state, request, engagement_id, "request_revision", _change_request
        )

    @get("/engagements/{engagement_id:uuid}/compare", name="portal:compare")
    async def compare(
        self,
        conn: Conn,
        caller: CurrentCaller,
        request: Request[Any, Any, Any],
        engagement_id: FromPath[UUID],
        from_id: Annotated[UUID, QueryParameter(name="from")],
        to_id: Annotated[UUID, QueryParameter(name="to")],
    ) -> Template:
        row = await visible_engagement(conn, caller, engagement_id)
        old, _ = await contracts.comparable_versions(conn, caller, from_id, to_id)
        if old.engagement_id != row.id:
            raise NotFound(f"contract {from_id} is not a version of this engagement")
        comparison = await contracts.compare(conn, caller, from_id, to_id)
        return _page(request, "compare.html", e=row, reference=reference(row.id), c=comparison)

    # --- documents and links -------------------------------------------------------------------

    @get("/contracts/{contract_id:uuid}/document", name="portal:document")
    async def document(
        self, conn: Conn, caller: CurrentCaller, contract_id: FromPath[UUID]
    ) -> Response[bytes]:
        return docx_response(await contracts.contract_document(conn, caller, contract_id))

    @get("/contracts/{contract_id:uuid}/compare/{other_id:uuid}/redline", name="portal:redline")
    async def redline(
        self, conn: Conn, caller: CurrentCaller, contract_id: FromPath[UUID], other_id: FromPath[UUID]
    ) -> Response[bytes]:
        return docx_response(await contracts.redline(conn, caller, contract_id, other_id))

    @post("/contracts/{contract_id:uuid}/links", status_code=201)
    async def create_link(
        self,
        conn: Conn,
        caller: CurrentCaller,
        state: State,
        request: Request[Any, Any, Any],
        contract_id: FromPath[UUID],
    ) -> Template:
        form = await request.form()
        raw = str(form.get("expires_in_days", "7")).strip() or "7"
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LINK_DAYS:
            raise RuleViolation.one(
                "expires_in_days", f"must be a whole number of days from 1 to {MAX_LINK_DAYS}"
            )
        async with conn.transaction():
            created = await links.create_link(
                conn,
                caller,
                contract_id,
                LinkCreate(expires_in_days=int(raw)),
                now=state.clock(),
                secret=state.secret,
                base_url=public_base_url(request),
            )
        contract = await contracts.visible_contract(conn, caller, contract_id)
        return _page(
            request,
            "link.html",
            201,
            link=created,
            contract=contract,
            reference=reference(contract.engagement_id),
        )

    @post("/contracts/{contract_id:uuid}/links/{link_id:uuid}/revoke", status_code=303)
    async def revoke_link(
        self,
        conn: Conn,
        caller: CurrentCaller,
        state: State,
        contract_id: FromPath[UUID],
        link_id: FromPath[UUID],
    ) -> Redirect:
        async with conn.transaction():
            await links.revoke_link(conn, caller, contract_id, link_id, state.clock())
        contract = await contracts.visible_contract(conn, caller, contract_id)
        return Redirect(f"/portal/engagements/{contract.engagement_id}?done=link_revoked", status_code=303)

    @get("/links/{token:str}", opt=PUBLIC, name="portal:link")
    async def link_download(self, conn: Conn, state: State, token: FromPath[str]) -> Response[bytes]:
        """A mailed link: the document without a key, each use recorded in the audit trail."""
        async with conn.transaction():
            download = await links.download_by_link(conn, token, now=state.clock(), secret=state.secret)
        return docx_response(download)


def _sentences(exc: DomainError) -> str:
    if isinstance(exc, RuleViolation) and exc.errors:
        return " ".join(f"{_field_words(e.field)}: {e.message}." for e in exc.errors)
    return exc.detail[:1].upper() + exc.detail[1:] + ("" if exc.detail.endswith(".") else ".")


def _field_words(name: str) -> str:
    parts = name.split(".")
    if parts[0] == "clause_comments" and len(parts) == 3 and parts[1].isdigit():
        return f"Clause comment {int(parts[1]) + 1}, {words(parts[2]).replace('clause id', 'clause')}"
    return {"document_sha256": "Document", "comment": "Comment"}.get(name, words(name).capitalize())


def sign_in_redirect(request: Request[Any, Any, Any]) -> Redirect:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/portal/sign-in?next={quote(target, safe='')}", status_code=303)
