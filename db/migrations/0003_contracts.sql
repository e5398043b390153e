-- Contract versions (immutable DOCX records), reviews, signatures and the signature record.

alter table engagements
    add column latest_contract_sha256 text,
    add column approved_sha256        text,
    add column signed_parties         text[] not null default '{}';

create table contract_versions (
    id               uuid primary key default gen_random_uuid(),
    engagement_id    uuid not null references engagements (id),
    version          integer not null check (version >= 1),
    revision         integer not null,
    template_id      text not null,
    template_version text not null,
    sha256           text not null check (sha256 ~ '^[0-9a-f]{64}$'),
    size             integer not null check (size > 0),
    document         bytea not null,
    clauses          jsonb not null,  -- clause id -> rendered text, for clause-level compare
    status           text not null default 'draft'
                     check (status in ('draft', 'in_review', 'changes_requested', 'approved', 'signed')),
    created_by_org   uuid references organisations (id),
    created_by_key   uuid references api_keys (id),
    created_at       timestamptz not null default clock_timestamp(),
    unique (engagement_id, version),
    foreign key (engagement_id, revision) references proposal_revisions (engagement_id, revision)
);

-- A contract is a legal record: its bytes, hash and provenance never change; only its status moves.
create function contract_versions_immutable() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'contract versions are never deleted' using errcode = 'restrict_violation';
    end if;
    if (new.engagement_id, new.version, new.revision, new.template_id, new.template_version, new.sha256,
        new.size, new.document, new.clauses, new.created_by_org, new.created_by_key, new.created_at)
       is distinct from
       (old.engagement_id, old.version, old.revision, old.template_id, old.template_version, old.sha256,
        old.size, old.document, old.clauses, old.created_by_org, old.created_by_key, old.created_at) then
        raise exception 'contract version %/% is immutable', old.engagement_id, old.version
            using errcode = 'restrict_violation';
    end if;
    return new;
end $$;
create trigger contract_versions_immutable before update or delete on contract_versions
    for each row execute function contract_versions_immutable();

create table contract_reviews (
    id              uuid primary key default gen_random_uuid(),
    contract_id     uuid not null references contract_versions (id),
    engagement_id   uuid not null references engagements (id),
    organisation_id uuid not null references organisations (id),
    key_id          uuid references api_keys (id),
    decision        text not null check (decision in ('approve', 'request_revision')),
    comment         text,
    clause_comments jsonb not null default '[]',
    document_sha256 text not null,
    created_at      timestamptz not null default clock_timestamp()
);
create index contract_reviews_contract_idx on contract_reviews (contract_id, created_at);

create table signatures (
    contract_id     uuid not null references contract_versions (id),
    engagement_id   uuid not null references engagements (id),
    party           text not null check (party in ('vendor', 'startup')),
    organisation_id uuid not null references organisations (id),
    key_id          uuid references api_keys (id),
    signer_name     text not null,
    signer_title    text not null,
    document_sha256 text not null,
    signed_at       timestamptz not null default clock_timestamp(),
    primary key (contract_id, party)
);

create table signature_records (
    engagement_id uuid primary key references engagements (id),
    contract_id   uuid not null references contract_versions (id),
    record        jsonb not null,
    created_at    timestamptz not null default clock_timestamp()
);
