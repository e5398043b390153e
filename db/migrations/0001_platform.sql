-- Platform foundation: organisations and API keys.

create table organisations (
    id                uuid primary key default gen_random_uuid(),
    name              text not null,
    kind              text not null check (kind in ('vendor', 'startup', 'legal')),
    country           char(2) not null check (country ~ '^[A-Z]{2}$'),
    registration_code text not null,
    vat_code          text,
    address           text,
    clusters          text[] not null default '{}',
    created_at        timestamptz not null default now(),
    unique (country, registration_code)
);

-- organisation_id is null only for operator keys, which belong to the platform.
create table api_keys (
    id              uuid primary key default gen_random_uuid(),
    organisation_id uuid references organisations (id),
    name            text not null,
    role            text not null check (role in ('admin', 'member', 'operator')),
    secret_hash     bytea not null unique,
    prefix          text not null,
    created_at      timestamptz not null default now(),
    revoked_at      timestamptz,
    check ((role = 'operator') = (organisation_id is null))
);

create index api_keys_organisation_idx on api_keys (organisation_id, created_at);
