import { sql, type Kysely } from 'kysely'

// Every tenant-owned table gets the same row-level security: rows are visible and writable
// only when app.tenant_id (set per transaction with SET LOCAL) names their tenant.
export async function enableTenantRls(db: Kysely<any>, table: string, column = 'tenant_id'): Promise<void> {
  await sql.raw(`
    alter table ${table} enable row level security;
    alter table ${table} force row level security;
    create policy tenant_isolation on ${table}
      using (${column} = app_tenant_id()) with check (${column} = app_tenant_id());
  `).execute(db)
}

export async function grantToApp(db: Kysely<any>, table: string): Promise<void> {
  await sql.raw(`grant select, insert, update, delete on ${table} to relais_app`).execute(db)
}
