import { sql, type Kysely } from 'kysely'
import { enableTenantRls } from '@relais/db/migration-helpers'

// Issue 13: the links a mail carries to choose a password — an invitation (7 days) or a forgotten password (1 hour).
// Only a SHA-256 of the link's secret is stored; a link is used once (used_at), and a newer link of the same kind
// for the same person cancels the older one (cancelled_at). Rows are never deleted: they say who was invited when.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create table account_link (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      person_id uuid not null references person(id),
      kind text not null check (kind in ('invitation', 'password_reset')),
      token_hash text not null unique,
      created_by uuid references person(id),
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz,
      cancelled_at timestamptz
    );
    create index account_link_person on account_link (tenant_id, person_id, kind) where used_at is null and cancelled_at is null;
    grant select, insert, update on account_link to relais_app;
  `).execute(db)
  await enableTenantRls(db, 'account_link')
}
