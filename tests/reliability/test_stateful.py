"""Random sequences of actions through the service layer, over real PostgreSQL.

A hypothesis ``RuleBasedStateMachine`` drives the functions the controllers call (no HTTP): engagement
and milestone actions, deliveries, proposal revisions, edits and reads, by random keys (admins and
members of the parties, a foreign tenant's keys, the operator) on a few engagements, a foreign tenant's
engagement and an id that does not exist. Inputs are sometimes right and often wrong; one rule walks
the happy path so examples reach signatures, delivery and payment. After every step:

- each engagement's state is reachable in the workflow table, and a successful action moved it along
  a row of the table (``WORKFLOW`` / ``MILESTONE_WORKFLOW``);
- a successful action appended exactly one audit event, a refused one none (and changed nothing);
- every engagement's audit chain verifies, and its party rows carry its ``updated_at`` (the list order);
- a key whose organisation is no party to an engagement gets ``NotFound`` (404) for every call on it.

CI runs ``JOINTIP_STATEFUL_EXAMPLES`` examples (default 200) of ``JOINTIP_STATEFUL_STEPS`` steps
(default 30). A longer local run: ``JOINTIP_STATEFUL_EXAMPLES=2000 JOINTIP_STATEFUL_STEPS=40 pytest
tests/reliability/test_stateful.py``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import asyncpg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from contract_templates.samples import sample_funding, sample_proposal
from db import migrate
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
from service.demo import random_registration_code
from service.engagements import create_engagement, get_engagement, patch_engagement
from service.errors import PreconditionRequired
from service.schemas.api_keys import ApiKeyCreate
from service.schemas.engagements import EngagementCreate, EngagementPatch
from service.schemas.organisations import OrganisationCreate
from workflows import (
    MILESTONE_WORKFLOW,
    WORKFLOW,
    ActionInput,
    ComponentInput,
    Conflict,
    DeliveryInput,
    DomainError,
    EngagementState,
    MilestoneActionInput,
    MilestoneState,
    NotFound,
)

EXAMPLES = int(os.environ.get("JOINTIP_STATEFUL_EXAMPLES", "200"))
STEPS = int(os.environ.get("JOINTIP_STATEFUL_STEPS", "30"))
OPERATOR = Caller(None, "operator", "operator", None)
T = TypeVar("T")

ENGAGEMENT_ACTIONS = [row.action for row in WORKFLOW] + ["fly_to_the_moon"]
MILESTONE_ACTIONS = [row.action for row in MILESTONE_WORKFLOW] + ["teleport"]
MILESTONE_KEYS = ["m1", "m2", "m9"]


def _targets(rows: Any, action: str, source: Any) -> set[Any]:
    """Where ``action`` may take an object from ``source``, per its table."""
    found: set[Any] = set()
    for row in rows:
        if row.action != action or source not in row.sources:
            continue
        if row.stay is not None:
            found.add(source)
        if row.to is None:  # back to where the source state was entered from
            found |= {s for r in rows if r.to is source for s in r.sources}
        else:
            found.add(row.to)
    return found


def _reachable(rows: Any, initial: Any) -> set[Any]:
    seen, todo = {initial}, [initial]
    while todo:
        state = todo.pop()
        for row in rows:
            if state in row.sources:
                for target in _targets(rows, row.action, state) - seen:
                    seen.add(target)
                    todo.append(target)
    return seen


REACHABLE = _reachable(WORKFLOW, EngagementState.DRAFT)
MILESTONE_REACHABLE = _reachable(MILESTONE_WORKFLOW, MilestoneState.PLANNED)


@dataclass
class Tracked:
    """An engagement the machine acts on; ``parties``: the organisations that may see it."""

    id: uuid.UUID
    parties: frozenset[uuid.UUID]
    exists: bool = True


# --- input strategies: right values named symbolically, resolved against the database at run time ---

texts = st.sampled_from([None, "", "   ", "Please change the ownership clause.", "bad \x00 text", "ok"])
revisions = st.sampled_from(["latest", "latest", None, 1, 99])
hashes = st.sampled_from(["latest", "latest", None, "0" * 64, "not a hash"])
signers = st.sampled_from([None, ("Rūta Jonaitė", "Director"), ("", "")])
amounts = st.sampled_from(["fee", "fee", "half", None, "-1", "1e9"])


class ServiceMachine(RuleBasedStateMachine):
    """Set by the test before running: the loop it owns and one connection on it."""

    loop: ClassVar[asyncio.AbstractEventLoop]
    conn: ClassVar[asyncpg.Connection]
    #: Over the whole run: outcomes per kind of call, and every engagement state seen.
    outcomes: ClassVar[Counter[str]] = Counter()
    seen_states: ClassVar[set[str]] = set()

    def __init__(self) -> None:
        super().__init__()
        self.callers: list[Caller] = []
        self.engagements: list[Tracked] = []
        self.now = datetime.now(UTC)
        self.steps = 0

    # --- plumbing ---------------------------------------------------------------------------

    def run(self, work: Awaitable[T]) -> T:
        return self.loop.run_until_complete(work)  # type: ignore[arg-type]

    async def _events(self, engagement_id: uuid.UUID) -> int:
        return int(
            await self.conn.fetchval(
                "select count(*) from audit_events where engagement_id = $1", engagement_id
            )
        )

    async def _state(self, engagement_id: uuid.UUID) -> tuple[str | None, int | None]:
        row = await self.conn.fetchrow("select state, version from engagements where id = $1", engagement_id)
        return (row["state"], row["version"]) if row else (None, None)

    async def _milestone_state(self, engagement_id: uuid.UUID, key: str) -> str | None:
        return await self.conn.fetchval(  # type: ignore[no-any-return]
            "select state from milestones where engagement_id = $1 and key = $2", engagement_id, key
        )

    def attempt(
        self,
        caller: Caller,
        target: Tracked,
        work: Callable[[], Awaitable[Any]],
        *,
        writes: bool,
        check: Callable[[str | None, str | None], Awaitable[None]] | None = None,
    ) -> bool:
        """Run one service call in its own transaction and hold it to the invariants of one step."""

        async def go() -> bool:
            before_events = await self._events(target.id)
            before_state, before_version = await self._state(target.id)
            refusal: Exception | None = None
            try:
                async with self.conn.transaction():
                    await work()
            except (DomainError, PreconditionRequired) as refused:
                refusal = refused
            ok = refusal is None
            self.outcomes[("ok " if ok else "refused ") + ("write" if writes else "read")] += 1
            if foreign := caller.organisation_id not in target.parties:
                self.outcomes["foreign"] += 1
            if foreign:  # foreign or missing: 404, whatever the call
                # (a PATCH without If-Match is refused before the engagement is looked up: it says
                # nothing about it; over HTTP the tenant guard answers 404 even before that)
                assert isinstance(refusal, NotFound | PreconditionRequired), (
                    f"{caller.name} on engagement {target.id} (no party to it) must get NotFound, got {refusal!r}"
                )
            after_events = await self._events(target.id)
            after_state, after_version = await self._state(target.id)
            if after_state is not None:
                self.seen_states.add(after_state)
            if ok and writes:
                assert after_events == before_events + 1, (
                    f"a successful action appended {after_events - before_events} audit events"
                )
                if check is not None:
                    await check(before_state, after_state)
            else:
                assert after_events == before_events, "a refused call or a read appended audit events"
                assert (after_state, after_version) == (before_state, before_version), (
                    "a refused call or a read changed the engagement"
                )
            return ok

        self.steps += 1
        return self.run(go())

    # --- the world of one example --------------------------------------------------------------

    @initialize()
    def world(self) -> None:
        async def make() -> None:
            async def org(kind: str, country: str) -> uuid.UUID:
                for _ in range(10):  # random codes: thousands of examples may draw one twice
                    body = OrganisationCreate(
                        name=f"{kind} {secrets.token_hex(3)}",
                        kind=kind,  # type: ignore[arg-type]
                        country=country,  # type: ignore[arg-type]
                        registration_code=random_registration_code(country),
                    )
                    try:
                        async with self.conn.transaction():
                            made = await organisations.create_organisation(self.conn, OPERATOR, body)
                    except Conflict:
                        continue
                    return made.id
                raise AssertionError("no free registration code in 10 draws")

            async def key(org_id: uuid.UUID, kind: str, role: str) -> Caller:
                made = await organisations.create_api_key(
                    self.conn,
                    OPERATOR,
                    org_id,
                    ApiKeyCreate(name=f"{kind} {role}", role=role),  # type: ignore[arg-type]
                )
                return Caller(made.id, f"{kind} {role}", role, org_id, kind)  # type: ignore[arg-type]

            async with self.conn.transaction():
                vendor, startup, reviewer = (
                    await org("vendor", "LT"),
                    await org("startup", "NO"),
                    await org("legal", "LT"),
                )
                other_vendor, other_startup = await org("vendor", "LT"), await org("startup", "NO")
                self.callers = [
                    await key(vendor, "vendor", "admin"),
                    await key(vendor, "vendor", "member"),
                    await key(startup, "startup", "admin"),
                    await key(startup, "startup", "member"),
                    await key(reviewer, "legal", "admin"),
                    await key(other_vendor, "vendor", "admin"),
                    await key(other_startup, "startup", "admin"),
                    OPERATOR,
                ]
                self.vendor, self.startup, self.reviewer = self.callers[0], self.callers[2], self.callers[4]
                self.foreign_vendor = self.callers[5]
                mine = frozenset({vendor, startup, reviewer})
                for _ in range(2):
                    made = await self._create(self.vendor, vendor, startup, reviewer)
                    self.engagements.append(Tracked(made, mine))
                foreign = await self._create(self.foreign_vendor, other_vendor, other_startup, None)
                self.engagements.append(Tracked(foreign, frozenset({other_vendor, other_startup})))
                self.engagements.append(Tracked(uuid.uuid4(), frozenset(), exists=False))

        self.run(make())

    async def _create(
        self, caller: Caller, vendor: uuid.UUID, startup: uuid.UUID, reviewer: uuid.UUID | None
    ) -> uuid.UUID:
        made = await create_engagement(
            self.conn,
            caller,
            EngagementCreate(
                vendor_id=vendor,
                startup_id=startup,
                reviewer_id=reviewer,
                title="Stateful MVP",
                currency="EUR",
                funding=sample_funding(),
            ),
        )
        return made.id

    # --- resolving symbolic inputs ---------------------------------------------------------------

    async def _latest_revision(self, target: Tracked) -> int | None:
        return await self.conn.fetchval(  # type: ignore[no-any-return]
            "select max(revision) from proposal_revisions where engagement_id = $1", target.id
        )

    async def _latest_sha(self, target: Tracked) -> str | None:
        return await self.conn.fetchval(  # type: ignore[no-any-return]
            "select sha256 from contract_versions where engagement_id = $1 order by version desc limit 1",
            target.id,
        )

    async def _action_input(
        self, target: Tracked, comment: Any, reason: Any, revision: Any, sha: Any, signer: Any
    ) -> ActionInput:
        return ActionInput(
            comment=comment,
            reason=reason,
            revision=await self._latest_revision(target) if revision == "latest" else revision,
            document_sha256=await self._latest_sha(target) if sha == "latest" else sha,
            signer_name=signer[0] if signer else None,
            signer_title=signer[1] if signer else None,
        )

    async def _payment(self, target: Tracked, key: str, amount: Any) -> MilestoneActionInput:
        fee = await self.conn.fetchval(
            "select fee - paid_total from milestones where engagement_id = $1 and key = $2", target.id, key
        )
        value = {"fee": fee, "half": fee / 2 if fee else None}.get(amount, amount)
        return MilestoneActionInput(
            amount=None if value is None else Decimal(value),
            paid_on=date.today(),
            reference="INV-1",
            reason="Does not meet the acceptance criteria",
        )

    def _engagement_check(self, action: str) -> Callable[[str | None, str | None], Awaitable[None]]:
        async def check(before: str | None, after: str | None) -> None:
            assert before is not None
            assert after is not None
            allowed = _targets(WORKFLOW, action, EngagementState(before))
            assert EngagementState(after) in allowed, f"{action} moved {before} -> {after}, not in the table"

        return check

    # --- rules ------------------------------------------------------------------------------------

    @rule(
        who=st.integers(0, 7),
        which=st.integers(0, 3),
        action=st.sampled_from(ENGAGEMENT_ACTIONS),
        comment=texts,
        reason=texts,
        revision=revisions,
        sha=hashes,
        signer=signers,
    )
    def engagement_action(
        self,
        who: int,
        which: int,
        action: str,
        comment: Any,
        reason: Any,
        revision: Any,
        sha: Any,
        signer: Any,
    ) -> None:
        caller, target = self.callers[who], self.engagements[which]

        async def work() -> None:
            data = await self._action_input(target, comment, reason, revision, sha, signer)
            await engagement_actions.fire_action(self.conn, caller, target.id, action, data, None, self.now)

        self.attempt(caller, target, work, writes=True, check=self._engagement_check(action))

    @rule(
        who=st.integers(0, 7),
        which=st.integers(0, 3),
        key=st.sampled_from(MILESTONE_KEYS),
        action=st.sampled_from(MILESTONE_ACTIONS),
        amount=amounts,
    )
    def milestone_action(self, who: int, which: int, key: str, action: str, amount: Any) -> None:
        caller, target = self.callers[who], self.engagements[which]
        before: list[str | None] = []

        async def work() -> None:
            before.append(await self._milestone_state(target.id, key))
            data = await self._payment(target, key, amount)
            await milestones.fire_milestone_action(self.conn, caller, target.id, key, action, data, self.now)

        async def check(engagement_before: str | None, engagement_after: str | None) -> None:
            assert engagement_before == engagement_after, "a milestone action changed the engagement state"
            after = await self._milestone_state(target.id, key)
            assert before[0] is not None
            assert after is not None
            allowed = _targets(MILESTONE_WORKFLOW, action, MilestoneState(before[0]))
            assert MilestoneState(after) in allowed, f"{action} moved {key} {before[0]} -> {after}"

        self.attempt(caller, target, work, writes=True, check=check)

    @rule(
        who=st.integers(0, 7),
        which=st.integers(0, 3),
        key=st.sampled_from(MILESTONE_KEYS),
        checksum=st.sampled_from(["good", "good", "md5:abc"]),
        uri=st.sampled_from(["https://git.example.com/r.tar.gz", "file:///etc/passwd", ""]),
    )
    def delivery(self, who: int, which: int, key: str, checksum: str, uri: str) -> None:
        caller, target = self.callers[who], self.engagements[which]
        data = DeliveryInput(
            artifact_uri=uri,
            checksum="sha256:" + secrets.token_hex(32) if checksum == "good" else checksum,
            components=(ComponentInput(name="httpx", version="0.27.0", licence="BSD-3-Clause"),),
        )

        async def work() -> None:
            await deliveries.record_delivery(self.conn, caller, target.id, key, data, self.now)

        self.attempt(caller, target, work, writes=True, check=self._unchanged)

    async def _unchanged(self, before: str | None, after: str | None) -> None:
        assert before == after, "this call must not change the engagement state"

    @rule(
        who=st.integers(0, 7),
        which=st.integers(0, 3),
        shares=st.sampled_from([(50, 50), (40, 60), (101, -1)]),
        count=st.sampled_from([1, 2]),
    )
    def proposal(self, who: int, which: int, shares: tuple[int, int], count: int) -> None:
        caller, target = self.callers[who], self.engagements[which]

        async def work() -> None:
            data = sample_proposal(date.today(), shares=shares, milestones=count)
            await proposals.create_proposal(self.conn, caller, target.id, data)

        self.attempt(caller, target, work, writes=True, check=self._unchanged)

    @rule(
        who=st.integers(0, 7),
        which=st.integers(0, 3),
        title=st.sampled_from(["A new title", "Another title"]),
        stale=st.booleans(),
        if_match=st.sampled_from(["version", "version", "*", None]),
    )
    def edit(self, who: int, which: int, title: str, stale: bool, if_match: str | None) -> None:
        caller, target = self.callers[who], self.engagements[which]

        async def work() -> None:
            version = (await self._state(target.id))[1] or 1
            tag = f'"{version - 1 if stale else version}"' if if_match == "version" else if_match
            await patch_engagement(self.conn, caller, target.id, EngagementPatch(title=title), tag)

        self.attempt(caller, target, work, writes=True, check=self._unchanged)

    @rule(who=st.integers(0, 7), which=st.integers(0, 3), read=st.integers(0, 7))
    def read(self, who: int, which: int, read: int) -> None:
        caller, target = self.callers[who], self.engagements[which]
        conn, eid, now = self.conn, target.id, self.now

        async def work() -> None:
            if read == 0:
                await get_engagement(conn, caller, eid)
            elif read == 1:
                await milestones.list_milestones(conn, caller, eid, now)
            elif read == 2:
                await audit.list_events(conn, caller, eid, limit=10, cursor=None)
            elif read == 3:
                await audit.verify_events(conn, caller, eid)
            elif read == 4:
                await contracts.list_contracts(conn, caller, eid, limit=10, cursor=None)
            elif read == 5:
                await results.results_register(conn, caller, eid, now)
            elif read == 6:
                await proposals.list_proposals(conn, caller, eid, limit=10, cursor=None)
            else:  # a contract version by its own id
                contract = await conn.fetchval(
                    "select id from contract_versions where engagement_id = $1", eid
                )
                if contract is None:
                    await get_engagement(conn, caller, eid)
                else:
                    await contracts.contract_document(conn, caller, contract)

        self.attempt(caller, target, work, writes=False)

    @rule(which=st.integers(0, 1), choice=st.integers(0, 1), steps=st.integers(1, 8))
    def advance(self, which: int, choice: int, steps: int) -> None:
        """Up to ``steps`` steps along the happy path, each by the party whose turn it is."""
        for _ in range(steps):
            self._advance(which, choice)

    def _advance(self, which: int, choice: int) -> None:
        """The next step of the happy path, by the party whose turn it is, with right inputs."""
        target = self.engagements[which]
        state, _ = self.run(self._state(target.id))
        assert state is not None
        s = EngagementState(state)
        ms = self.run(
            self.conn.fetch(
                "select key, state, deliveries_since_start from milestones where engagement_id = $1 order by position",
                target.id,
            )
        )
        pending = [(m["key"], m["state"], m["deliveries_since_start"]) for m in ms]
        sign = ("Rūta Jonaitė", "Director")

        def fire(who: Caller, action: str, **inputs: Any) -> None:
            async def work() -> None:
                data = await self._action_input(
                    target,
                    inputs.get("comment"),
                    inputs.get("reason"),
                    "latest",
                    "latest",
                    inputs.get("signer"),
                )
                await engagement_actions.fire_action(self.conn, who, target.id, action, data, None, self.now)

            self.attempt(who, target, work, writes=True, check=self._engagement_check(action))

        def milestone(action: str, key: str, who: Caller) -> None:
            self.milestone_action(self.callers.index(who), which, key, action, "fee")

        latest_submitted = self.run(
            self.conn.fetchval(
                "select submitted_at is not null from proposal_revisions where engagement_id = $1 "
                "order by revision desc limit 1",
                target.id,
            )
        )
        if s in (EngagementState.DRAFT, EngagementState.NEGOTIATING):
            if latest_submitted in (None, True):
                self.proposal(0, which, (50, 50), 1)
            else:
                fire(self.vendor, "submit_proposal")
        elif s is EngagementState.PROPOSED:
            fire(self.startup, "accept_proposal")
        elif s is EngagementState.TERMS_AGREED:
            fire(self.vendor, "generate_contract")
        elif s is EngagementState.CONTRACT_DRAFTED:
            fire(self.startup, "submit_for_review")
        elif s is EngagementState.IN_REVIEW:
            fire(self.reviewer, "approve")
        elif s is EngagementState.APPROVED:
            fire((self.vendor, self.startup)[choice], "sign", signer=sign)
        elif s is EngagementState.SIGNED:
            fire(self.vendor, "start_development")
        elif s is EngagementState.IN_DEVELOPMENT:
            for key, m_state, delivered in pending:
                if m_state in ("planned", "rejected"):
                    return milestone("start", key, self.vendor)
                if m_state == "in_progress":
                    if not delivered:
                        return self.delivery(0, which, key, "good", "https://git.example.com/r.tar.gz")
                    return milestone("submit", key, self.vendor)
            fire(self.vendor, "deliver")
        elif s is EngagementState.DELIVERED:
            for key, m_state, _ in pending:
                if m_state == "submitted":
                    return milestone("accept", key, self.startup)
            fire(self.startup, "accept_delivery")
        elif s is EngagementState.ACCEPTED:
            for key, m_state, _ in pending:
                if m_state == "accepted":
                    return milestone("record_payment", key, self.startup)
            fire(self.startup, "complete")
        return None

    # --- invariants ---------------------------------------------------------------------------------

    @invariant()
    def states_are_reachable_and_chains_verify(self) -> None:
        async def check() -> None:
            for target in self.engagements:
                if not target.exists:
                    continue
                state, _ = await self._state(target.id)
                assert state is not None
                assert EngagementState(state) in REACHABLE, state
                self.seen_states.add(state)
                for m in await self.conn.fetch(
                    "select state from milestones where engagement_id = $1", target.id
                ):
                    assert MilestoneState(m["state"]) in MILESTONE_REACHABLE
                stale = await self.conn.fetchval(  # the list's copy of updated_at (migration 0014)
                    """select count(*) from engagement_parties p join engagements e on e.id = p.engagement_id
                        where e.id = $1 and p.updated_at <> e.updated_at""",
                    target.id,
                )
                assert stale == 0, "engagement_parties.updated_at fell behind the engagement's"
                party = next(c for c in self.callers if c.organisation_id in target.parties)
                verdict = await audit.verify_events(self.conn, party, target.id)
                assert verdict.valid, f"the audit chain of {target.id} does not verify: {verdict}"

        if self.engagements:
            self.run(check())


@pytest.mark.once
def test_random_actions_keep_every_invariant(database_url: str) -> None:
    loop = asyncio.new_event_loop()
    try:
        conn = loop.run_until_complete(asyncpg.connect(database_url))
        try:
            loop.run_until_complete(migrate(conn))
            ServiceMachine.loop, ServiceMachine.conn = loop, conn
            ServiceMachine.outcomes.clear()
            ServiceMachine.seen_states.clear()
            run_state_machine_as_test(
                ServiceMachine,
                settings=settings(
                    max_examples=EXAMPLES,
                    stateful_step_count=STEPS,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                ),
            )
        finally:
            loop.run_until_complete(conn.close())
        # The run explored: successes and refusals of both kinds, foreign calls, and the happy path
        # went past the signatures (these are facts about the run, not timings).
        outcomes, states = ServiceMachine.outcomes, ServiceMachine.seen_states
        print(f"stateful run: {dict(outcomes)}; states seen: {sorted(states)}")
        for kind in ("ok write", "refused write", "ok read", "refused read", "foreign"):
            assert outcomes[kind] > 0, (kind, outcomes)
        assert {"signed", "in_development"} <= states, states
    finally:
        loop.close()
