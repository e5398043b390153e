-- The reviewer portal: signed-in sessions, mailable download links, and failed sign-ins (for the
-- sign-in rate limit). Kept in the database so that every worker process and host sees the same.

-- A session is a random cookie value; only its SHA-256 is stored. Revoking the API key it was
-- opened with ends it (the lookup joins the active key).
create table portal_sessions (
    token_hash bytea primary key,
    key_id     uuid not null references api_keys (id),
    created_at timestamptz not null,
    expires_at timestamptz not null,
    check (expires_at > created_at)
);
create index portal_sessions_key_idx on portal_sessions (key_id);
create index portal_sessions_expiry_idx on portal_sessions (expires_at);

-- A link downloads one contract version without a key until it expires or is revoked. The URL
-- carries the id signed with the server's secret; every use is an audit event of the engagement.
create table contract_links (
    id             uuid primary key default gen_random_uuid(),
    contract_id    uuid not null references contract_versions (id),
    engagement_id  uuid not null references engagements (id),
    created_by_org uuid not null references organisations (id),
    created_by_key uuid references api_keys (id),
    created_at     timestamptz not null,
    expires_at     timestamptz not null,
    revoked_at     timestamptz,
    revoked_by_key uuid references api_keys (id),
    check (expires_at > created_at)
);
create index contract_links_contract_idx on contract_links (contract_id, created_at, id);

create table portal_sign_in_failures (
    client text not null,
    at     timestamptz not null
);
create index portal_sign_in_failures_idx on portal_sign_in_failures (client, at);
