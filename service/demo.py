"""`jointip demo`: seed fictional organisations and walk one engagement to ``completed``.

It goes through the same service functions the API handlers call (so every rule, audit event
and document is real) and prints one plain line per step (``[ 7/36] ...``). On the way the legal
reviewer sends the first contract version back, so there are two versions to compare. At the end
it saves the signed contract, the redline between the two versions and the IP results schedule,
and writes every organisation's key to ``demo.env`` in the data dir (readable by this user only),
so a ``curl`` can download the contract. Registration codes are fresh on every run, so the demo
can be run again on the same database.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from contract_templates.samples import sample_funding, sample_proposal, sample_signatories
from db.types import Connection
from service import (
    audit,
    contracts,
    deliveries,
    engagement_actions,
    milestones,
    organisations,
    proposals,
    results,
)
from service.auth import Caller
from service.engagements import create_engagement, get_engagement, patch_engagement
from service.schemas.api_keys import ApiKeyCreate
from service.schemas.engagements import EngagementCreate, EngagementPatch
from service.schemas.organisations import OrganisationCreate
from service.snapshots import reference
from workflows import (
    ActionInput,
    ComponentInput,
    Conflict,
    DeliveryInput,
    MilestoneActionInput,
    SignatoriesPatch,
    norwegian_check_digit,
)

OPERATOR = Caller(None, "demo operator", "operator", None)
ENV_FILE = "demo.env"  # in the data dir; the README's curl reads it


def random_registration_code(country: str) -> str:
    """A random registration code the organisation rules accept: a Lithuanian company code, or a
    Norwegian organisasjonsnummer with its mod-11 check digit. Also used by the stateful test and
    the benchmark seed, which make organisations in databases that already hold some."""
    if country == "LT":
        return "30" + "".join(secrets.choice("0123456789") for _ in range(7))
    while True:
        first = "9" + "".join(secrets.choice("0123456789") for _ in range(7))
        check = norwegian_check_digit(first)
        if check is not None:
            return first + str(check)


@dataclass(slots=True)
class DemoResult:
    """What the demo made: the keys (shown once), the engagement and the files it saved."""

    keys: dict[str, str] = field(default_factory=dict)  # party -> API key secret
    organisations: dict[str, UUID] = field(default_factory=dict)
    engagement_id: UUID | None = None
    state: str = ""
    contract_ids: list[UUID] = field(default_factory=list)  # version 1, version 2, ...
    files: dict[str, Path] = field(default_factory=dict)  # contract, redline, results schedule
    env_file: Path | None = None


async def _organisation(
    conn: Connection, kind: str, name: str, country: str, address: str
) -> tuple[Caller, str]:
    for _ in range(10):  # a random code may be taken already (by an earlier run)
        body = OrganisationCreate(
            name=name,
            kind=kind,  # type: ignore[arg-type]
            country=country,
            registration_code=random_registration_code(country),
            address=address,
        )
        try:
            async with conn.transaction():
                org = await organisations.create_organisation(conn, OPERATOR, body)
        except Conflict:
            continue
        key = await organisations.create_api_key(
            conn, OPERATOR, org.id, ApiKeyCreate(name=f"{name} admin", role="admin")
        )
        return Caller(key.id, key.name, "admin", org.id, kind), key.key
    raise RuntimeError(f"no free {country} registration code in 10 draws")


def _delivery(key: str) -> DeliveryInput:
    artefact = f"nordlys-payments-{key}.tar.gz"
    return DeliveryInput(
        artifact_uri=f"https://git.example.com/nordlys/releases/{artefact}",
        checksum="sha256:" + secrets.token_hex(32),
        notes=f"Release of milestone {key}",
        components=(
            ComponentInput(name="litestar", version="2.12.0", licence="MIT"),
            ComponentInput(name="httpx", version="0.27.0", licence="BSD-3-Clause"),
        ),
    )


def _write_files(out_dir: Path, documents: dict[str, tuple[str, bytes]]) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, (filename, content) in documents.items():
        path = out_dir / filename
        path.write_bytes(content)
        written[name] = path
    return written


def write_env_file(data_dir: Path, result: DemoResult) -> Path:
    """``<data dir>/demo.env``: shell variables with the demo's keys and ids (mode 0600)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / ENV_FILE
    lines = [
        "# written by `jointip demo`: the demo's API keys and ids (fictional organisations)",
        *(f"{party.upper()}_KEY={secret}" for party, secret in result.keys.items()),
        f"ENGAGEMENT_ID={result.engagement_id}",
        f"CONTRACT_ID={result.contract_ids[-1]}",
    ]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)  # an older file keeps its mode through O_TRUNC
    return path


async def run_demo(
    conn: Connection, out_dir: Path | None = None, say: Callable[[str], Any] = print
) -> DemoResult:
    """Walk one engagement from proposal to ``completed``; save its documents under ``out_dir``."""
    now = datetime.now(UTC)
    today = date.today()
    result = DemoResult()
    parties: dict[str, Caller] = {}
    steps: list[tuple[str, Callable[[], Awaitable[str]]]] = []

    def step(text: str) -> Callable[[Callable[[], Awaitable[str]]], Callable[[], Awaitable[str]]]:
        def add(work: Callable[[], Awaitable[str]]) -> Callable[[], Awaitable[str]]:
            steps.append((text, work))
            return work

        return add

    def eid() -> UUID:
        assert result.engagement_id is not None
        return result.engagement_id

    def act(party: str, action: str, **fields: Any) -> Callable[[], Awaitable[str]]:
        async def work() -> str:
            async with conn.transaction():
                done = await engagement_actions.fire_action(
                    conn, parties[party], eid(), action, ActionInput(**fields), None, now
                )
            return f"engagement {done.state}"

        return work

    def milestone(party: str, key: str, action: str, **fields: Any) -> Callable[[], Awaitable[str]]:
        async def work() -> str:
            async with conn.transaction():
                done = await milestones.fire_milestone_action(
                    conn, parties[party], eid(), key, action, MilestoneActionInput(**fields), now
                )
            return f"milestone {key} {done.state}"

        return work

    async def latest_sha() -> str:
        page = await contracts.list_contracts(conn, parties["vendor"], eid(), limit=100, cursor=None)
        result.contract_ids = [c.id for c in page.items]
        return page.items[-1].sha256

    @step("admit a Lithuanian vendor, a Norwegian start-up and a Lithuanian law firm (keys below)")
    async def _admit() -> str:
        async with conn.transaction():
            for party, kind, name, country, address in (
                ("vendor", "vendor", "Šiaurės Kodas UAB", "LT", "Gedimino pr. 20, Vilnius"),
                ("startup", "startup", "Nordlys Fintech AS", "NO", "Karl Johans gate 5, Oslo"),
                ("reviewer", "legal", "Teisė ir Partneriai UAB", "LT", "Konstitucijos pr. 7, Vilnius"),
            ):  # fmt: skip
                caller, secret = await _organisation(conn, kind, name, country, address)
                parties[party], result.keys[party] = caller, secret
                assert caller.organisation_id is not None
                result.organisations[party] = caller.organisation_id
            result.keys["operator"] = await organisations.create_operator_key(conn, "demo operator")
        return "3 organisations, 4 keys"

    @step("vendor creates the engagement, co-funded by Norway Grants")
    async def _create() -> str:
        async with conn.transaction():
            made = await create_engagement(
                conn,
                parties["vendor"],
                EngagementCreate(
                    vendor_id=result.organisations["vendor"],
                    startup_id=result.organisations["startup"],
                    reviewer_id=result.organisations["reviewer"],
                    title="Nordlys payments MVP",
                    summary="Card-less payments for Nordic small businesses, co-funded by Norway Grants.",
                    currency="EUR",
                    funding=sample_funding(),
                ),
            )
        result.engagement_id = made.id
        return f"{reference(made.id)} ({made.id})"

    def revision(shares: tuple[int, int]) -> Callable[[], Awaitable[str]]:
        async def work() -> str:
            async with conn.transaction():
                made = await proposals.create_proposal(
                    conn, parties["vendor"], eid(), sample_proposal(today, shares=shares)
                )
            return f"revision {made.revision}, total fee EUR {made.total_fee}"

        return work

    step("vendor writes proposal revision 1: joint ownership 50/50")(revision((50, 50)))
    step("vendor submits the proposal")(act("vendor", "submit_proposal"))
    step("start-up accepts revision 1")(act("startup", "accept_proposal", revision=1))
    for party in ("vendor", "startup"):

        def name_signatory(party: str = party) -> Callable[[], Awaitable[str]]:
            async def work() -> str:
                signatory = getattr(sample_signatories(), party)
                async with conn.transaction():
                    current = await get_engagement(conn, parties[party], eid())
                    await patch_engagement(
                        conn,
                        parties[party],
                        eid(),
                        EngagementPatch(signatories=SignatoriesPatch(**{party: signatory})),
                        f'"{current.version}"',
                    )
                return f"{signatory.name}, {signatory.title}"

            return work

        step(f"{'start-up' if party == 'startup' else party} names its signatory")(name_signatory())

    def generate() -> Callable[[], Awaitable[str]]:
        fire = act("vendor", "generate_contract")

        async def work() -> str:
            state = await fire()
            await latest_sha()
            return f"{state}, contract version {len(result.contract_ids)}"

        return work

    step("vendor generates the contract")(generate())
    step("start-up submits it for legal review")(act("startup", "submit_for_review"))
    step("reviewer requests a revision: shares 40/60, as the funding plan says")(
        act("reviewer", "request_revision", comment="Ownership should be 40/60, as in the funding plan.")
    )
    step("vendor writes proposal revision 2: joint ownership 40/60")(revision((40, 60)))
    step("vendor submits the proposal")(act("vendor", "submit_proposal"))
    step("start-up accepts revision 2")(act("startup", "accept_proposal", revision=2))
    step("vendor generates the contract again")(generate())
    step("start-up submits it for legal review")(act("startup", "submit_for_review"))

    def with_sha(party: str, action: str) -> Callable[[], Awaitable[str]]:
        async def work() -> str:
            return await act(party, action, document_sha256=await latest_sha())()

        return work

    step("reviewer approves contract version 2")(with_sha("reviewer", "approve"))
    step("vendor signs (its named signatory)")(with_sha("vendor", "sign"))
    step("start-up signs (its named signatory)")(with_sha("startup", "sign"))
    step("vendor starts development")(act("vendor", "start_development"))
    for key in ("m1", "m2", "m3"):

        def deliver(key: str = key) -> Callable[[], Awaitable[str]]:
            async def work() -> str:
                async with conn.transaction():
                    await deliveries.record_delivery(conn, parties["vendor"], eid(), key, _delivery(key), now)
                return f"milestone {key} delivery recorded"

            return work

        def pay(key: str = key) -> Callable[[], Awaitable[str]]:
            async def work() -> str:
                due = (await milestones.get_milestone(conn, parties["startup"], eid(), key, now)).fee
                return await milestone(
                    "startup",
                    key,
                    "record_payment",
                    amount=due,
                    paid_on=today,
                    reference=f"INV-{key.upper()}",
                )()

            return work

        step(f"vendor starts milestone {key}")(milestone("vendor", key, "start"))
        step(f"vendor delivers milestone {key}")(deliver())
        step(f"vendor submits milestone {key}")(milestone("vendor", key, "submit"))
        step(f"start-up accepts milestone {key}")(milestone("startup", key, "accept"))
        step(f"start-up pays milestone {key}")(pay())
    step("vendor declares the engagement delivered")(act("vendor", "deliver"))
    step("start-up accepts the delivery")(act("startup", "accept_delivery"))
    step("start-up completes the engagement")(act("startup", "complete"))

    @step("check the audit trail")
    async def _verify() -> str:
        verdict = await audit.verify_events(conn, parties["vendor"], eid())
        if not verdict.valid:
            raise RuntimeError(f"the demo's audit chain does not verify: {verdict}")
        return f"{verdict.count} events, chain valid"

    @step("save the contract, the redline and the results schedule")
    async def _save() -> str:
        if out_dir is None:
            return "not asked to"
        vendor = parties["vendor"]
        first, last = result.contract_ids[0], result.contract_ids[-1]
        signed = await contracts.contract_document(conn, vendor, last)
        redline = await contracts.redline(conn, vendor, first, last)
        schedule, _ = await results.results_schedule(conn, vendor, eid(), now)
        documents = {
            "contract": (f"contract-v{len(result.contract_ids)}.docx", signed.content),
            "redline": (f"redline-v1-v{len(result.contract_ids)}.docx", redline.content),
            "results schedule": ("results-schedule.docx", schedule),
        }
        result.files = await asyncio.to_thread(_write_files, out_dir, documents)
        return f"3 files in {out_dir}"

    width = len(str(len(steps)))
    for number, (text, work) in enumerate(steps, start=1):
        outcome = await work()
        say(f"[{number:>{width}}/{len(steps)}] {text}: {outcome}")
    result.state = (await get_engagement(conn, parties["vendor"], eid())).state
    return result


def summary(result: DemoResult) -> list[str]:
    """The lines printed after the steps: keys, the engagement, the files."""
    lines = ["", "Keys (shown once; also in the env file below):"]
    lines += [f"  {party:<9}{secret}" for party, secret in result.keys.items()]
    lines += [
        f"Engagement {result.engagement_id} is {result.state}.",
        f"Contract versions: {', '.join(str(c) for c in result.contract_ids)}",
    ]
    lines += [f"Saved the {name}: {path}" for name, path in result.files.items()]
    if result.env_file is not None:
        lines.append(f"Keys and ids for the shell: {result.env_file}")
    return lines
