-- Webhook subscriptions, the transactional outbox, and the event feed's commit-safe cursor.

-- The event feed (SSE and ?since=) orders events by the transaction that wrote them: a reader
-- returns only events whose transaction id is below the oldest transaction still running
-- (pg_snapshot_xmin), so every event it may return is final and no event can later commit
-- "behind" a cursor it handed out. stream_id orders events within one transaction.
alter table audit_events
    add column stream_id bigint generated always as identity,
    add column txid xid8 not null default pg_current_xact_id();
create index audit_events_stream_idx on audit_events (txid, stream_id);

-- The audit insert (db/audit.py) also NOTIFYs jointip_events, naming the organisations that can
-- see the event, and jointip_outbox when it wrote outbox rows: in its one statement, not in
-- triggers, so an event without subscriptions costs no trigger call.

-- An organisation's subscriptions. The secret signs (HMAC) and so is kept as given out;
-- during a rotation the previous one keeps signing until previous_secret_until.
create table webhook_subscriptions (
    id                    uuid primary key default gen_random_uuid(),
    organisation_id       uuid not null references organisations (id),
    url                   text not null,
    events                text[] not null check (cardinality(events) >= 1),
    secret                text not null,
    previous_secret       text,
    previous_secret_until timestamptz,
    created_at            timestamptz not null default clock_timestamp()
);
create index webhook_subscriptions_org_idx on webhook_subscriptions (organisation_id, created_at, id);

-- One row per (event, subscription) still to deliver ('pending') or given up on ('parked').
-- Written in the transaction that appends the audit event; a delivered row is deleted.
-- The body is built from audit_events at send time (the one source of truth).
create table webhook_outbox (
    id              uuid primary key default gen_random_uuid(),
    subscription_id uuid not null references webhook_subscriptions (id) on delete cascade,
    organisation_id uuid not null references organisations (id),
    engagement_id   uuid not null,
    seq             integer not null,
    event_type      text not null,
    status          text not null default 'pending' check (status in ('pending', 'parked')),
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null default clock_timestamp(),
    last_attempt_at timestamptz,
    last_error      text,
    created_at      timestamptz not null default clock_timestamp(),
    foreign key (engagement_id, seq) references audit_events (engagement_id, seq)
);
create index webhook_outbox_due_idx on webhook_outbox (next_attempt_at) where status = 'pending';
create index webhook_outbox_subscription_idx on webhook_outbox (subscription_id, created_at, id);
