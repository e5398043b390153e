"""Every bound on input (SPEC section 10), in one place, as msgspec constraints.

The Structs that take input annotate their fields with these types, so a value outside a bound is
refused when the body is decoded (422 naming the field) and the bound appears in the OpenAPI
document. No bound is longer than what the next step accepts: an engagement title ends up in the
DOCX core properties, whose ``title`` python-docx limits to 255 characters, behind the results
schedule's prefix ("IP results register: "), so a title is at most 200. The list bounds keep the
largest allowed proposal a contract that renders well under a second (docs/engineering-notes.md,
"Limits", has the measurement).

Rates and money are decimals, which msgspec cannot constrain: their scale and range are rules
(``workflows.terms.amount_errors``, ``workflows.funding.funding_errors``) and the OpenAPI document
states them (``service.openapi.DECIMALS``).
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from msgspec import Meta

__all__ = [
    "MAX_ASSETS",
    "MAX_CLAUSE_COMMENTS",
    "MAX_CLUSTERS",
    "MAX_COMPONENTS",
    "MAX_FIELDS",
    "MAX_IDENTIFIER",
    "MAX_LICENCES",
    "MAX_LONG_TEXT",
    "MAX_MILESTONES",
    "MAX_NAME",
    "MAX_PARAGRAPH",
    "MAX_TEXT",
    "MAX_TITLE",
    "RATE_PLACES",
    "Digest",
    "Identifier",
    "LongText",
    "Name",
    "Paragraph",
    "Text",
    "Title",
    "Uri",
]

#: An engagement's title (see the module docstring for why 200).
MAX_TITLE = 200
#: A name or a short label: a person, a signer's title, a milestone title, a component, a cluster.
MAX_NAME = 200
#: A paragraph the contract shows: a milestone's description or acceptance criteria, an asset's
#: description, a licence's terms.
MAX_PARAGRAPH = 2_000
#: A text no document shows in full: a comment, a reason, a delivery's notes.
MAX_TEXT = 10_000
#: A whole text: an engagement's summary, a proposal's scope.
MAX_LONG_TEXT = 20_000

#: Milestones in one proposal. With every text at its bound the largest proposal renders in about
#: 50 ms, and a redline of two such contracts that differ in every word in well under 2 s
#: (measured, see the engineering notes "Limits").
MAX_MILESTONES = 50
#: Background-IP assets per party.
MAX_ASSETS = 20
#: Licence ids in an open-source policy (the SPDX list has about 700).
MAX_LICENCES = 100
#: Fields per party under ``field_split``.
MAX_FIELDS = 50
#: Components in one delivery's inventory.
MAX_COMPONENTS = 1_000
#: Clause comments on one review (the clause library has about 175 citable ids).
MAX_CLAUSE_COMMENTS = 500
#: Clusters an organisation belongs to.
MAX_CLUSTERS = 20
#: Decimal places of a rate from 0 to 1 (``cofinancing_rate``: 0.8525 is 85.25 %).
RATE_PLACES = 4

Title: TypeAlias = Annotated[str, Meta(max_length=MAX_TITLE)]
Name: TypeAlias = Annotated[str, Meta(max_length=MAX_NAME)]
Paragraph: TypeAlias = Annotated[str, Meta(max_length=MAX_PARAGRAPH)]
Text: TypeAlias = Annotated[str, Meta(max_length=MAX_TEXT)]
LongText: TypeAlias = Annotated[str, Meta(max_length=MAX_LONG_TEXT)]
#: An identifier such as an SPDX licence expression or a clause id.
MAX_IDENTIFIER = 200
Identifier: TypeAlias = Annotated[str, Meta(max_length=MAX_IDENTIFIER)]
#: A URI: artifact locations (``workflows.deliveries`` checks the scheme).
Uri: TypeAlias = Annotated[str, Meta(max_length=2048)]
#: A hex digest, possibly algorithm-prefixed (``sha512:`` + 128 hex digits is the longest).
Digest: TypeAlias = Annotated[str, Meta(max_length=200)]
