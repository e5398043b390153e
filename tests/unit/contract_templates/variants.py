"""Every variant of the agreement: 5 IP models x 2 governing laws, funded and unfunded."""

from __future__ import annotations

import itertools
from functools import cache

from contract_templates import ContractInput, render_contract
from tests.unit.contract_templates.docx_reading import Reopened
from tests.unit.contract_templates.factories import contract, funding, terms
from workflows import Signatories, Signatory

MODELS = ("client_owns", "vendor_owns_licensed", "joint", "field_split", "lead_exploiter")
LAWS = ("NO", "LT")
VARIANTS = [(model, law, funded) for model, law, funded in itertools.product(MODELS, LAWS, (True, False))]
SIGNATORIES = Signatories(
    vendor=Signatory(
        name="Rūta Jonaitė",
        title="Director",
        authority="Head of the company under its articles of association",
    ),
    startup=Signatory(
        name="Ola Nordmann", title="Daglig leder", authority="Signature right under the articles"
    ),
)


def variant_id(model: str, law: str, funded: bool) -> str:
    return f"{model}-{law}-{'funded' if funded else 'unfunded'}"


def variant(model: str, law: str, funded: bool) -> ContractInput:
    return contract(
        terms(model, governing_law=law),
        milestone_count=3,
        funding=funding() if funded else None,
        signatories=SIGNATORIES,
    )


@cache
def rendered(model: str, law: str, funded: bool) -> bytes:
    return render_contract(variant(model, law, funded))


@cache
def reopened(model: str, law: str, funded: bool) -> Reopened:
    return Reopened.of(rendered(model, law, funded))
