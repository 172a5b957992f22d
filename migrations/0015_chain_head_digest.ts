import { sql, type Kysely } from 'kysely'
import { enableTenantRls } from '@relais/db/migration-helpers'

// Each tenant's chain heads, published once a day (and mailed to the mission TIC): the owner role can recompute a
// chain without its key and pass it off as older than the key (verify-chain --ancien), but not the digest of heads
// published before, signed with the timeline key. Append-only: the application role may only insert and read, and a
// trigger refuses UPDATE, DELETE and TRUNCATE for everyone, so even the owner must drop it first, which is visible.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create table chain_head_digest (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      day date not null,
      published_at timestamptz not null,
      referrals integer not null check (referrals >= 0),
      heads jsonb not null,
      digest text not null check (digest ~ '^[0-9a-f]{64}$'),
      key_id text not null,
      signature text not null check (signature ~ '^[0-9a-f]{64}$')
    );
    create unique index chain_head_digest_once_a_day on chain_head_digest (tenant_id, day);

    create function chain_head_digest_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'chain_head_digest est en ajout seul : % refusé', tg_op using errcode = 'insufficient_privilege';
      end $$;
    create trigger chain_head_digest_append_only before update or delete on chain_head_digest
      for each row execute function chain_head_digest_append_only();
    create trigger chain_head_digest_no_truncate before truncate on chain_head_digest
      for each statement execute function chain_head_digest_append_only();

    grant select, insert on chain_head_digest to relais_app;

    -- The worker's only way across tenants for this: which tenants have not published the day's heads yet.
    create function chain_heads_due(p_day date)
      returns table (tenant_id uuid)
      language sql stable security definer set search_path = public as
      $$ select t.id from tenant t
         where not exists (select 1 from chain_head_digest d where d.tenant_id = t.id and d.day = p_day)
         order by t.id $$;
    revoke all on function chain_heads_due(date) from public;
    grant execute on function chain_heads_due(date) to relais_app;
  `).execute(db)
  await enableTenantRls(db, 'chain_head_digest')
}
