import { sql, type Kysely } from 'kysely'

// Every authenticated request checks that its person is still active and not revoked. One definer
// function answers that in a single round trip, outside any transaction, for exactly the ids a verified
// token names.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create function auth_principal(p_tenant uuid, p_person uuid)
      returns table (organisation_id uuid, role text, active boolean, sessions_revoked_at timestamptz)
      language sql stable security definer set search_path = public as
      $$ select p.organisation_id, p.role, p.active, p.sessions_revoked_at from person p
         where p.tenant_id = p_tenant and p.id = p_person $$;
    revoke all on function auth_principal(uuid, uuid) from public;
    grant execute on function auth_principal(uuid, uuid) to relais_app;
  `).execute(db)
}
