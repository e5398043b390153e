-- GET /engagements?sort=-updated_at and ?updated_since: each party row carries its engagement's
-- updated_at, so a page walks (organisation_id, updated_at, engagement_id) like the default order
-- walks created_at. A trigger keeps the copy in step with every update of engagements.updated_at.
alter table engagement_parties add column updated_at timestamptz;
update engagement_parties p set updated_at = e.updated_at from engagements e where e.id = p.engagement_id;
alter table engagement_parties alter column updated_at set not null;
create index engagement_parties_updated_idx on engagement_parties (organisation_id, updated_at, engagement_id);

create function engagement_parties_follow_updated_at() returns trigger language plpgsql as $$
begin
    update engagement_parties set updated_at = new.updated_at where engagement_id = new.id;
    return new;
end $$;
create trigger engagement_parties_follow_updated_at after update of updated_at on engagements
    for each row when (new.updated_at is distinct from old.updated_at)
    execute function engagement_parties_follow_updated_at();
