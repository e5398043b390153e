from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from service import contracts
from service.openapi import refuses
from service.schemas.common import Page
from service.schemas.contracts import CitableClause


class ClauseController(Controller):
    path = "/clauses"
    tags = ["contracts"]

    @get(
        "/",
        operation_id="listClauses",
        summary="Clause ids and headings a review comment may cite",
        opt=refuses(404),
    )
    async def clauses(
        self,
        template: Annotated[
            str | None,
            QueryParameter(description="template id; the current template when omitted", max_length=100),
        ] = None,
    ) -> Page[CitableClause]:
        """Every part and clause of the contract template in document order. A clause comment's
        `clause_id` names one of these ids: a clause (`results_ip.joint`) or a whole part (`results_ip`)."""
        return contracts.clause_catalogue(template)
