from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, Response, get
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, HeaderParameter, QueryParameter

from contract_templates import MEDIA_TYPE
from service import contracts
from service.contracts import Download
from service.deps import Conn, CurrentCaller
from service.schemas.common import Page
from service.schemas.contracts import Comparison, ContractVersion, Review
from service.tenancy import engagement_guard


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII ``filename`` fallback and the exact name as UTF-8 ``filename*``."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def docx_response(download: Download, if_none_match: str | None = None) -> Response[bytes]:
    """A DOCX download: ETag = its SHA-256 (304 when the client has it), Content-Disposition with
    an ASCII fallback, Repr-Digest."""
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
        return docx_response(await contracts.contract_document(conn, caller, contract_id), if_none_match)

    @get(
        "/{contract_id:uuid}/compare/{other_id:uuid}",
        operation_id="compareContracts",
        summary="Clause-level differences (JSON), or with format=docx a redline DOCX with tracked changes",
        responses={
            200: ResponseSpec(
                data_container=Comparison,
                generate_examples=False,
                description="The clause-level differences; with format=docx, the redline as "
                f"{MEDIA_TYPE} (version other_id with every difference as a tracked change)",
            )
        },
    )
    async def compare(
        self,
        conn: Conn,
        caller: CurrentCaller,
        contract_id: FromPath[UUID],
        other_id: FromPath[UUID],
        output: Annotated[
            Literal["json", "docx"],
            QueryParameter(
                name="format",
                description="docx: version other_id with every difference from contract_id as a tracked change",
            ),
        ] = "json",
    ) -> Response[Comparison] | Response[bytes]:
        if output == "docx":
            return docx_response(await contracts.redline(conn, caller, contract_id, other_id))
        return Response(await contracts.compare(conn, caller, contract_id, other_id))

    @get("/{contract_id:uuid}/reviews", operation_id="listContractReviews")
    async def reviews(self, conn: Conn, caller: CurrentCaller, contract_id: FromPath[UUID]) -> Page[Review]:
        return await contracts.list_reviews(conn, caller, contract_id)
