from __future__ import annotations

from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, Response, get
from litestar.params import FromPath, HeaderParameter

from contract_templates import MEDIA_TYPE
from service import contracts
from service.deps import Conn, CurrentCaller
from service.schemas.common import Page
from service.schemas.contracts import Comparison, ContractVersion, Review
from service.tenancy import engagement_guard


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII ``filename`` fallback and the exact name as UTF-8 ``filename*``."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class ContractController(Controller):
    path = "/contracts"
    tags = ["contracts"]
    guards = [engagement_guard]

    @get("/{contract_id:uuid}", operation_id="getContract")
    async def read(self, conn: Conn, caller: CurrentCaller, contract_id: FromPath[UUID]) -> ContractVersion:
        return await contracts.get_contract(conn, caller, contract_id)

    @get(
        "/{contract_id:uuid}/document",
        operation_id="downloadContract",
        media_type=MEDIA_TYPE,
        summary="The MEDIA_TYPE, with ETag = its SHA-256 and Repr-Digest",
    )
    async def document(
        self,
        conn: Conn,
        caller: CurrentCaller,
        contract_id: FromPath[UUID],
        if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match")] = None,
    ) -> Response[bytes]:
        download = await contracts.contract_document(conn, caller, contract_id)
        etag = f'"{download.sha256}"'
        headers = {"ETag": etag, "Cache-Control": "private, max-age=0, must-revalidate"}
        if if_none_match and (
            if_none_match.strip() == "*" or etag in [t.strip() for t in if_none_match.split(",")]
        ):
            return Response(b"", status_code=304, headers=headers, media_type=MEDIA_TYPE)
        headers |= {
            "Content-Disposition": content_disposition(download.filename),
            "Repr-Digest": contracts.repr_digest(download.sha256),
        }
        return Response(download.content, media_type=MEDIA_TYPE, headers=headers)

    @get("/{contract_id:uuid}/compare/{other_id:uuid}", operation_id="compareContracts")
    async def compare(
        self, conn: Conn, caller: CurrentCaller, contract_id: FromPath[UUID], other_id: FromPath[UUID]
    ) -> Comparison:
        return await contracts.compare(conn, caller, contract_id, other_id)

    @get("/{contract_id:uuid}/reviews", operation_id="listContractReviews")
    async def reviews(self, conn: Conn, caller: CurrentCaller, contract_id: FromPath[UUID]) -> Page[Review]:
        return await contracts.list_reviews(conn, caller, contract_id)
