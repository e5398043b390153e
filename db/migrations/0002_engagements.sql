-- Engagements, their parties (for tenant-scoped keyset listing), proposal revisions,
-- the hash-chained audit trail, and idempotency keys.

create table engagements (
    id            uuid primary key default gen_random_uuid(),
    vendor_id     uuid not null references organisations (id),
    startup_id    uuid not null references organisations (id),
    reviewer_id   uuid references organisations (id),
    title         text not null,
    summary       text not null,
    currency      text not null check (currency in ('EUR', 'NOK')),
    funding       jsonb,
    state         text not null default 'draft',
    disputed_from text,
    version       integer not null default 1,
    created_at    timestamptz not null default clock_timestamp(),
    updated_at    timestamptz not null default clock_timestamp(),
    check (vendor_id <> startup_id)
);

-- One row per organisation that may see an engagement (vendor, start-up, reviewer): the
-- list query walks (organisation_id, created_at, engagement_id) so a page costs the same
-- however many engagements exist. Kept in step with engagements by db/engagements.py.
create table engagement_parties (
    organisation_id uuid not null references organisations (id),
    engagement_id   uuid not null references engagements (id),
    party           text not null check (party in ('vendor', 'startup', 'reviewer')),
    created_at      timestamptz not null,
    primary key (organisation_id, engagement_id, party)
);
create index engagement_parties_page_idx on engagement_parties (organisation_id, created_at, engagement_id);
create index engagement_parties_engagement_idx on engagement_parties (engagement_id);

create table proposal_revisions (
    engagement_id uuid not null references engagements (id),
    revision      integer not null check (revision >= 1),
    scope         text not null,
    milestones    jsonb not null,
    ip_terms      jsonb not null,
    total_fee     numeric(14, 2) not null,
    advisories    jsonb not null default '[]',
    created_by    uuid references api_keys (id),
    created_at    timestamptz not null default clock_timestamp(),
    submitted_at  timestamptz,
    accepted_at   timestamptz,
    primary key (engagement_id, revision)
);

-- A submitted revision is immutable: only its accepted_at may still be set, once.
create function proposal_revisions_immutable() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'proposal revisions are never deleted' using errcode = 'restrict_violation';
    end if;
    if old.submitted_at is not null and (
        new.scope is distinct from old.scope or new.milestones is distinct from old.milestones
        or new.ip_terms is distinct from old.ip_terms or new.total_fee is distinct from old.total_fee
        or new.submitted_at is distinct from old.submitted_at
        or (old.accepted_at is not null and new.accepted_at is distinct from old.accepted_at)) then
        raise exception 'proposal revision %/% was submitted and is immutable', old.engagement_id, old.revision
            using errcode = 'restrict_violation';
    end if;
    return new;
end $$;
create trigger proposal_revisions_immutable before update or delete on proposal_revisions
    for each row execute function proposal_revisions_immutable();

create table audit_events (
    engagement_id uuid not null references engagements (id),
    seq           integer not null check (seq >= 1),
    actor_org_id  uuid,
    actor_key_id  uuid,
    at            timestamptz not null,
    type          text not null,
    payload       jsonb not null,
    prev_hash     text not null,
    hash          text not null,
    primary key (engagement_id, seq)
);

create function audit_events_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit events are append-only (% refused)', tg_op using errcode = 'restrict_violation';
end $$;
create trigger audit_events_append_only before update or delete on audit_events
    for each row execute function audit_events_append_only();

-- Idempotency-Key records, scoped to the API key that sent them; kept 24 hours.
create table idempotency_keys (
    api_key_id     text not null,
    key            text not null,
    request_hash   bytea not null,
    status         integer,
    response_body  bytea,
    response_headers jsonb,
    created_at     timestamptz not null default now(),
    completed_at   timestamptz,
    primary key (api_key_id, key)
);
create index idempotency_keys_created_idx on idempotency_keys (created_at);
