-- Processes cache authenticated keys; a revocation tells every one of them at once.
create function api_keys_notify_revocation() returns trigger language plpgsql as $$
begin
    if new.revoked_at is not null and old.revoked_at is null then
        perform pg_notify('jointip_api_keys', new.id::text);
    end if;
    return new;
end $$;
create trigger api_keys_notify_revocation after update of revoked_at on api_keys
    for each row execute function api_keys_notify_revocation();

-- Requests per API key are now counted in each process (a shared store cost a database round trip
-- on every request); failed authentications stay counted here, in rate_counters.
drop table kv_store;
