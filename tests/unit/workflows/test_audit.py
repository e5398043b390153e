"""Canonical event bytes and the hash chain: valid, tampered, re-sealed, reordered, gapped."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from msgspec.structs import replace

from workflows import (
    GENESIS_HASH,
    ChainEvent,
    canonical_event_bytes,
    chain_hash,
    format_event_time,
    seal_event,
    verify_chain,
)

AT = "2025-01-31T12:00:00.000000Z"
ACTOR = {"organisation_id": "org-1", "key_id": "key-1"}


def chain(n: int, engagement_id: str = "eng-1") -> list[ChainEvent]:
    events: list[ChainEvent] = []
    for seq in range(1, n + 1):
        events.append(
            seal_event(
                engagement_id=engagement_id,
                seq=seq,
                actor=None if seq == 1 else ACTOR,
                at=f"2025-01-31T12:00:{seq:02d}.000001Z",
                type="engagement_created" if seq == 1 else "proposal_submitted",
                payload={"revision": seq, "comment": "Ąžuolas ir Tromsø", "tags": ["a", "b"]},
                prev_hash=events[-1].hash if events else GENESIS_HASH,
            )
        )
    return events


def test_canonical_bytes_are_sorted_compact_utf8() -> None:
    canonical = canonical_event_bytes("e1", 1, None, AT, "t", {"b": "Žalgiris", "a": 1})
    assert (
        canonical
        == (
            '{"actor":null,"at":"2025-01-31T12:00:00.000000Z","engagement_id":"e1",'
            '"payload":{"a":1,"b":"Žalgiris"},"seq":1,"type":"t"}'
        ).encode()
    )


def test_canonical_bytes_ignore_key_order_and_survive_a_json_round_trip() -> None:
    payload = {"z": [1, {"y": True, "x": None}], "a": "å"}
    reordered = {"a": "å", "z": [1, {"x": None, "y": True}]}
    first = canonical_event_bytes("e1", 3, ACTOR, AT, "t", payload)
    assert first == canonical_event_bytes("e1", 3, dict(reversed(ACTOR.items())), AT, "t", reordered)
    stored = json.loads(json.dumps(payload))  # what jsonb gives back
    assert canonical_event_bytes("e1", 3, ACTOR, AT, "t", stored) == first


@pytest.mark.parametrize("value", [1.5, Decimal("1.50"), datetime(2025, 1, 1, tzinfo=UTC), (1, 2), {1: "x"}])
def test_non_json_native_payload_is_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        canonical_event_bytes("e1", 1, None, AT, "t", {"v": value})


@pytest.mark.parametrize(
    "at", ["2025-01-31T12:00:00Z", "2025-01-31T12:00:00.000000+00:00", "2025-01-31 12:00:00.000000Z"]
)
def test_event_time_must_be_utc_with_microseconds(at: str) -> None:
    with pytest.raises(ValueError, match="at must"):
        canonical_event_bytes("e1", 1, None, at, "t", {})


def test_format_event_time() -> None:
    oslo = timezone(timedelta(hours=1))
    assert format_event_time(datetime(2025, 1, 31, 13, 0, tzinfo=oslo)) == AT
    assert format_event_time(datetime(2025, 1, 31, 12, 0, 0, 42, tzinfo=UTC)) == "2025-01-31T12:00:00.000042Z"
    with pytest.raises(ValueError, match="timezone"):
        format_event_time(datetime(2025, 1, 31, 12, 0))  # naive on purpose


def test_chain_hash_is_sha256_over_previous_hash_and_canonical_bytes() -> None:
    canonical = canonical_event_bytes("e1", 1, None, AT, "t", {})
    expected = hashlib.sha256(GENESIS_HASH.encode("ascii") + canonical).hexdigest()
    assert chain_hash(GENESIS_HASH, canonical) == expected
    assert GENESIS_HASH == "0" * 64


def test_valid_chain() -> None:
    events = chain(5)
    verdict = verify_chain(events)
    assert (verdict.valid, verdict.count, verdict.head_hash, verdict.first_invalid_seq) == (
        True,
        5,
        events[-1].hash,
        None,
    )
    assert events[1].prev_hash == events[0].hash


def test_empty_chain_is_valid_at_genesis() -> None:
    verdict = verify_chain([])
    assert (verdict.valid, verdict.count, verdict.head_hash) == (True, 0, GENESIS_HASH)


def test_verify_accepts_any_iterable() -> None:
    assert verify_chain(iter(chain(3))).valid


@pytest.mark.parametrize(
    "change",
    [
        {"payload": {"revision": 99}},
        {"actor": {"organisation_id": "org-2", "key_id": "key-1"}},
        {"at": "2025-01-31T12:00:03.000002Z"},
        {"type": "proposal_accepted"},
        {"hash": "f" * 64},
        {"actor": None},
    ],
    ids=lambda change: next(iter(change)),
)
def test_tampered_event_is_found(change: dict[str, Any]) -> None:
    events = chain(5)
    events[2] = replace(events[2], **change)
    verdict = verify_chain(events)
    assert (verdict.valid, verdict.count, verdict.first_invalid_seq) == (False, 5, 3)


def test_resealed_tampering_breaks_the_next_link() -> None:
    events = chain(5)
    forged = events[2]
    events[2] = seal_event(
        engagement_id=forged.engagement_id,
        seq=3,
        actor=forged.actor,
        at=forged.at,
        type=forged.type,
        payload={"revision": 99},
        prev_hash=forged.prev_hash,
    )
    assert verify_chain(events).first_invalid_seq == 4


def test_reordered_events_are_invalid() -> None:
    events = chain(4)
    events[1], events[2] = events[2], events[1]
    assert verify_chain(events).first_invalid_seq == 2


def test_missing_event_is_a_gap() -> None:
    events = chain(5)
    del events[2]
    verdict = verify_chain(events)
    assert (verdict.valid, verdict.count, verdict.first_invalid_seq) == (False, 4, 3)


def test_well_linked_chain_with_skipped_seq_is_invalid() -> None:
    events: list[ChainEvent] = []
    for seq in (1, 2, 4):  # a writer bug: hashes link up, numbering does not
        prev = events[-1].hash if events else GENESIS_HASH
        events.append(
            seal_event(engagement_id="e", seq=seq, actor=None, at=AT, type="t", payload={}, prev_hash=prev)
        )
    assert verify_chain(events).first_invalid_seq == 3


def test_first_event_must_link_to_genesis() -> None:
    events = chain(2)
    assert verify_chain(events[1:]).first_invalid_seq == 1


def test_event_from_another_engagement_is_invalid_even_if_well_linked() -> None:
    events = chain(2)
    spliced = seal_event(
        engagement_id="eng-2",
        seq=3,
        actor=ACTOR,
        at=AT,
        type="t",
        payload={},
        prev_hash=events[-1].hash,
    )
    assert verify_chain([*events, spliced]).first_invalid_seq == 3


def test_stored_event_that_cannot_be_encoded_is_invalid_not_an_error() -> None:
    events = chain(2)
    events[1] = replace(events[1], payload={"amount": 1.5})
    assert verify_chain(events).first_invalid_seq == 2
