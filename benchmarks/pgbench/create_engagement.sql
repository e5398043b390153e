-- The shape of POST /api/v1/engagements as one transaction: the engagement, its party rows (the
-- list's index) and the first audit event with its hash. Variables: vendor, startup, reviewer.
begin;
insert into engagements (vendor_id, startup_id, reviewer_id, title, summary, currency)
    values (:vendor, :startup, :reviewer, 'Benchmark payments MVP', 'An engagement created by pgbench.', 'EUR')
    returning id, created_at \gset
insert into engagement_parties (organisation_id, engagement_id, party, created_at, updated_at)
    values (:vendor, :id, 'vendor', :created_at, :created_at), (:startup, :id, 'startup', :created_at, :created_at),
           (:reviewer, :id, 'reviewer', :created_at, :created_at);
insert into audit_events (engagement_id, seq, actor_org_id, actor_key_id, at, type, payload, prev_hash, hash)
    values (:id, 1, :vendor, null, clock_timestamp(), 'engagement_created',
            '{"title": "Benchmark payments MVP", "currency": "EUR"}', repeat('0', 64),
            encode(sha256(convert_to(repeat('0', 64) || :id, 'UTF8')), 'hex'));
commit;
