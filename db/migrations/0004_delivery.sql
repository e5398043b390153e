-- Delivery: milestones (from the signed revision), deliveries with open-source inventories,
-- payments, and the IP results register.

create table milestones (
    engagement_id        uuid not null references engagements (id),
    key                  text not null,
    position             integer not null,
    revision             integer not null,
    title                text not null,
    due_date             date not null,
    fee                  numeric(14, 2) not null check (fee > 0),
    acceptance_days      integer not null check (acceptance_days >= 1),
    state                text not null default 'planned'
                         check (state in ('planned', 'in_progress', 'submitted', 'accepted', 'rejected', 'paid')),
    submitted_at         timestamptz,
    deliveries_since_start integer not null default 0,
    paid_total           numeric(14, 2) not null default 0,
    created_at           timestamptz not null default clock_timestamp(),
    updated_at           timestamptz not null default clock_timestamp(),
    primary key (engagement_id, key),
    unique (engagement_id, position)
);

create table deliveries (
    id             uuid primary key default gen_random_uuid(),
    engagement_id  uuid not null references engagements (id),
    milestone_key  text not null,
    artifact_uri   text not null,
    checksum       text not null,
    notes          text,
    components     jsonb not null default '[]',
    advisories     jsonb not null default '[]',
    needs_approval text[] not null default '{}',
    approved_at    timestamptz,
    created_by_org uuid references organisations (id),
    created_by_key uuid references api_keys (id),
    created_at     timestamptz not null default clock_timestamp(),
    foreign key (engagement_id, milestone_key) references milestones (engagement_id, key)
);
create index deliveries_milestone_idx on deliveries (engagement_id, milestone_key, created_at);

-- A delivery is a record of what was handed over; only the approval of its flagged components may be added.
create function deliveries_immutable() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'deliveries are never deleted' using errcode = 'restrict_violation';
    end if;
    if (new.engagement_id, new.milestone_key, new.artifact_uri, new.checksum, new.notes, new.components,
        new.advisories, new.needs_approval, new.created_at)
       is distinct from
       (old.engagement_id, old.milestone_key, old.artifact_uri, old.checksum, old.notes, old.components,
        old.advisories, old.needs_approval, old.created_at)
       or (old.approved_at is not null and new.approved_at is distinct from old.approved_at) then
        raise exception 'delivery % is immutable', old.id using errcode = 'restrict_violation';
    end if;
    return new;
end $$;
create trigger deliveries_immutable before update or delete on deliveries
    for each row execute function deliveries_immutable();

create table payments (
    id             uuid primary key default gen_random_uuid(),
    engagement_id  uuid not null references engagements (id),
    milestone_key  text not null,
    amount         numeric(14, 2) not null check (amount > 0),
    paid_on        date not null,
    reference      text not null,
    created_by_org uuid references organisations (id),
    created_by_key uuid references api_keys (id),
    created_at     timestamptz not null default clock_timestamp(),
    foreign key (engagement_id, milestone_key) references milestones (engagement_id, key)
);
create index payments_milestone_idx on payments (engagement_id, milestone_key, created_at);

-- One entry per vested result (a milestone's deliverables), written with the event that vests it.
create table results_register (
    engagement_id    uuid not null references engagements (id),
    milestone_key    text not null,
    entry            jsonb not null,
    effective_on     date not null,
    source_event_seq integer not null,
    created_at       timestamptz not null default clock_timestamp(),
    primary key (engagement_id, milestone_key),
    foreign key (engagement_id, milestone_key) references milestones (engagement_id, key)
);

create function results_register_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'the results register is append-only (% refused)', tg_op using errcode = 'restrict_violation';
end $$;
create trigger results_register_append_only before update or delete on results_register
    for each row execute function results_register_append_only();
