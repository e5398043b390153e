from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, Response, get, head
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, QueryParameter

from contract_templates import MEDIA_TYPE
from service import contracts
from service.contracts import Download
from service.controllers.params import IfNoneMatch
from service.deps import Conn, CurrentCaller
from service.http import none_match
from service.openapi import refuses
from service.responses import JsonResponse
from service.schemas.common import Page
from service.schemas.contracts import Comparison, ContractVersion, Review
from service.tenancy import engagement_guard


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII ``filename`` fallback and the exact name as UTF-8 ``filename*``."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_headers(download: Download) -> dict[str, str]:
    """What every download carries: its hash as ETag and Repr-Digest, and its file name."""
    return {
        "ETag": f'"{download.sha256}"',
        "Cache-Control": "private, max-age=0, must-revalidate",
        "Content-Disposition": content_disposition(download.filename),
        "Repr-Digest": contracts.repr_digest(download.sha256),
    }


def docx_response(download: Download, if_none_match: str | None = None) -> Response[bytes]:
    """A DOCX download with its headers, or 304 when ``If-None-Match`` names it (weak comparison)."""
    headers = download_headers(download)
    if none_match(if_none_match, headers["ETag"]):
        cached = {k: headers[k] for k in ("ETag", "Cache-Control")}
        return Response(b"", status_code=304, headers=cached, media_type=MEDIA_TYPE)
    return Response(download.content, media_type=MEDIA_TYPE, headers=headers)


class ContractController(Controller):
    path = "/contracts"
    tags = ["contracts"]
    guards = [engagement_guard]

    @get("/{contract_id:uuid}", operation_id="getContract", summary="One contract version")
    async def read(self, conn: Conn, caller: CurrentCaller, contract_id: FromPath[UUID]) -> ContractVersion:
        """A version's metadata: template, revision, SHA-256, size and review status."""
        return await contracts.get_contract(conn, caller, contract_id)

    @get(
        "/{contract_id:uuid}/document",
        operation_id="downloadContract",
        media_type=MEDIA_TYPE,
        summary="Download a contract version as DOCX",
    )
    async def document(
        self,
        conn: Conn,
        caller: CurrentCaller,
        contract_id: FromPath[UUID],
        if_none_match: IfNoneMatch = None,
    ) -> Response[bytes]:
        """The DOCX of one contract version. `ETag` is its SHA-256 (so `If-None-Match` gives 304),
        `Repr-Digest` the same hash in RFC 9530 form, `Content-Disposition` its file name."""
        return docx_response(await contracts.contract_document(conn, caller, contract_id), if_none_match)

    @head(
        "/{contract_id:uuid}/document",
        operation_id="headContract",
        media_type=MEDIA_TYPE,
        summary="A contract version's download headers",
    )
    async def document_head(
        self, conn: Conn, caller: CurrentCaller, contract_id: FromPath[UUID]
    ) -> Response[None]:
        """The headers `GET` would send (`ETag`, `Content-Length`, `Repr-Digest`, ...), without the DOCX."""
        download = await contracts.contract_document(conn, caller, contract_id)
        headers = download_headers(download) | {"Content-Length": str(len(download.content))}
        return JsonResponse(None, media_type=MEDIA_TYPE, headers=headers)

    @get(
        "/{contract_id:uuid}/compare/{other_id:uuid}",
        operation_id="compareContracts",
        summary="Differences between two versions: clause by clause, or as a redline DOCX",
        responses={200: ResponseSpec(Comparison, description="The differences", generate_examples=False)},
        opt=refuses(422),
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
        """Clauses added, removed or changed from `contract_id` to `other_id`, two versions of one
        engagement, compared on the clause texts stored when each version was generated. With
        `format=docx`: version `other_id` as a DOCX in which every difference from `contract_id` is a
        native tracked change (accept all gives `other_id`, reject all gives `contract_id`)."""
        if output == "docx":
            return docx_response(await contracts.redline(conn, caller, contract_id, other_id))
        return JsonResponse(await contracts.compare(conn, caller, contract_id, other_id))

    @get("/{contract_id:uuid}/reviews", operation_id="listContractReviews", summary="Reviews of a version")
    async def reviews(self, conn: Conn, caller: CurrentCaller, contract_id: FromPath[UUID]) -> Page[Review]:
        """The reviewer's decisions on this version, with comments per clause."""
        return await contracts.list_reviews(conn, caller, contract_id)
