-- The shape of one workflow action as one transaction: lock the engagement row, move its state,
-- append the next audit event chained to the previous hash. Each client owns one engagement
-- (bench_targets row client_id + 1), as each HTTP client does.
\set n :client_id + 1
begin;
select id, state from engagements where id = (select id from bench_targets where n = :n) for update \gset
update engagements
   set state = case when state = 'in_development' then 'disputed' else 'in_development' end,
       version = version + 1, updated_at = clock_timestamp()
 where id = :id;
select seq, hash as prev from audit_events where engagement_id = :id order by seq desc limit 1 \gset
insert into audit_events (engagement_id, seq, actor_org_id, actor_key_id, at, type, payload, prev_hash, hash)
    values (:id, :seq + 1, null, null, clock_timestamp(), 'dispute_raised', '{"reason": "pgbench"}', :prev,
            encode(sha256(convert_to(:prev || '{"reason": "pgbench"}', 'UTF8')), 'hex'));
commit;
