import { sql, type Kysely } from 'kysely'

// Saving an SLA policy used to lock every open referral of the tenant and recompute them one by one inside the
// request (1 s at 1,000 open, linear). The request now records what to recompute (sla_recompute) and does the first
// batch itself; the worker does the rest in batches of a few statements each (read the batch with its timeline,
// compute in memory, one UPDATE), walking the running clocks of the tenant in id order from `after_id`, so each row is
// locked for one short batch only.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create table sla_recompute (
      id bigserial primary key,
      tenant_id uuid not null references tenant(id),
      -- null: the tenant's policy changed, every running clock of the tenant is recomputed.
      theme_id uuid references theme(id),
      requested_at timestamptz not null,
      after_id uuid,
      done_count integer not null default 0,
      done_at timestamptz
    );
    create index sla_recompute_pending on sla_recompute (id) where done_at is null;
    alter table sla_recompute enable row level security;
    alter table sla_recompute force row level security;
    create policy tenant_isolation on sla_recompute using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
    grant select, insert, update on sla_recompute to relais_app;
    grant usage on sequence sla_recompute_id_seq to relais_app;

    -- The running clocks of a tenant in id order: the recomputation's walk.
    create index referral_tenant_open_id on referral (tenant_id, id) where status in ('submitted', 'assigned', 'awaiting_info');

    -- The worker's way to the pending recomputations of every tenant: ids and tenants only.
    create function sla_recompute_pending(p_limit integer)
      returns table (id bigint, tenant_id uuid)
      language sql stable security definer set search_path = public as
      $$ select s.id, s.tenant_id from sla_recompute s where s.done_at is null order by s.id limit p_limit $$;
    revoke all on function sla_recompute_pending(integer) from public;
    grant execute on function sla_recompute_pending(integer) to relais_app;
  `).execute(db)
}
