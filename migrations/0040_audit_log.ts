import { sql, type Kysely } from 'kysely'
import { enableTenantRls } from '@relais/db/migration-helpers'

// Every change to the directory and the SLA policy (who, when, before → after), read by the mission TIC. Append-only
// like chain_head_digest: the application role may only insert and read, and a trigger refuses UPDATE, DELETE and
// TRUNCATE for everyone, so rewriting the log means dropping the trigger first, which is visible.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create table audit_log (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      at timestamptz not null default now(),
      actor_person_id uuid references person(id),
      entity text not null check (entity in ('person', 'organisation', 'theme', 'routing_rule', 'coverage', 'sla_policy')),
      entity_id text,
      action text not null check (action in ('create', 'update', 'deactivate', 'import')),
      label text not null check (length(label) <= 500),
      before jsonb,
      after jsonb
    );
    create index audit_log_recent on audit_log (tenant_id, at desc, id desc);

    create function audit_log_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_log est en ajout seul : % refusé', tg_op using errcode = 'insufficient_privilege';
      end $$;
    create trigger audit_log_append_only before update or delete on audit_log
      for each row execute function audit_log_append_only();
    create trigger audit_log_no_truncate before truncate on audit_log
      for each statement execute function audit_log_append_only();

    grant select, insert on audit_log to relais_app;
  `).execute(db)
  await enableTenantRls(db, 'audit_log')
}
