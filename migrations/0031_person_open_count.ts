import { sql, type Kysely } from 'kysely'

// Routing compares the open referrals of each candidate referent (and says « N saisines en cours » on the timeline).
// Counting them at every filing made filing slower as backlogs grew. A trigger keeps the count instead, exact, in
// a few rows per person: each database session adds its +1/-1 to its own shard (its backend pid), so concurrent
// filings for the same referent do not queue on one counter row; the count is the sum of the person's shards.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create table person_open_count (
      tenant_id uuid not null references tenant(id),
      person_id uuid not null references person(id),
      shard smallint not null,
      open integer not null,
      primary key (person_id, shard)
    );
    alter table person_open_count enable row level security;
    alter table person_open_count force row level security;
    create policy tenant_isolation on person_open_count using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
    grant select on person_open_count to relais_app;

    -- Owned by the owner role, which alone writes the counts: the application only reads them.
    create function referral_open_count() returns trigger language plpgsql security definer set search_path = public as $fn$
    declare
      was_open boolean := tg_op <> 'INSERT' and old.holder_person_id is not null and old.status in ('submitted', 'assigned', 'awaiting_info');
      is_open boolean := tg_op <> 'DELETE' and new.holder_person_id is not null and new.status in ('submitted', 'assigned', 'awaiting_info');
      v_shard smallint := pg_backend_pid() % 64;
    begin
      if was_open and is_open and old.holder_person_id = new.holder_person_id then return null; end if;
      if was_open then
        insert into person_open_count (tenant_id, person_id, shard, open) values (old.tenant_id, old.holder_person_id, v_shard, -1)
        on conflict (person_id, shard) do update set open = person_open_count.open - 1;
      end if;
      if is_open then
        insert into person_open_count (tenant_id, person_id, shard, open) values (new.tenant_id, new.holder_person_id, v_shard, 1)
        on conflict (person_id, shard) do update set open = person_open_count.open + 1;
      end if;
      return null;
    end $fn$;
    revoke all on function referral_open_count() from public;
    create trigger referral_open_count after insert or delete or update of status, holder_person_id on referral
      for each row execute function referral_open_count();

    insert into person_open_count (tenant_id, person_id, shard, open)
    select tenant_id, holder_person_id, 0, count(*) from referral
    where holder_person_id is not null and status in ('submitted', 'assigned', 'awaiting_info') group by tenant_id, holder_person_id;
  `).execute(db)
}
