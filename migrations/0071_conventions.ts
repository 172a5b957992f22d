import { sql, type Kysely } from 'kysely'
import { enableTenantRls } from '@relais/db/migration-helpers'

// Issue 13: the convention an organisation signs to join, per kind of organisation, published as numbered versions.
// A published version never changes: the application role may only insert and read, and a trigger refuses UPDATE,
// DELETE and TRUNCATE for everyone (as for audit_log), so the text a signature's hash names stays the text shown.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create table convention_version (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      kind text not null check (kind in ('mairie', 'partner', 'msap')),
      version integer not null check (version >= 1),
      title text not null check (length(title) between 1 and 200),
      body text not null check (length(body) between 1 and 200000),
      html text not null,
      sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
      effective_at timestamptz not null,
      published_by uuid references person(id),
      published_at timestamptz not null default now(),
      unique (tenant_id, kind, version)
    );

    create function convention_version_immutable() returns trigger language plpgsql as $$
      begin
        raise exception 'convention_version ne change jamais : % refusé', tg_op using errcode = 'insufficient_privilege';
      end $$;
    create trigger convention_version_immutable before update or delete on convention_version
      for each row execute function convention_version_immutable();
    create trigger convention_version_no_truncate before truncate on convention_version
      for each statement execute function convention_version_immutable();

    grant select, insert on convention_version to relais_app;
  `).execute(db)
  await enableTenantRls(db, 'convention_version')
}
