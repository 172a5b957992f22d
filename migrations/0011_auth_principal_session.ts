import { sql, type Kysely } from 'kysely'

// Logging out must end the access token too, not only the refresh cookie: an access token names its session
// family (claim sid), and the one definer function every request calls now also says whether that family
// still has a live session. It replaces the two-argument version (same name, so the least-privilege list of
// definer functions is unchanged).
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    drop function auth_principal(uuid, uuid);
    create function auth_principal(p_tenant uuid, p_person uuid, p_family uuid)
      returns table (organisation_id uuid, role text, active boolean, sessions_revoked_at timestamptz, session_live boolean)
      language sql stable security definer set search_path = public as
      $$ select p.organisation_id, p.role, p.active, p.sessions_revoked_at,
                exists (select 1 from refresh_session s
                        where s.tenant_id = p_tenant and s.person_id = p_person and s.family_id = p_family
                          and s.revoked_at is null and s.expires_at > now())
         from person p
         where p.tenant_id = p_tenant and p.id = p_person $$;
    revoke all on function auth_principal(uuid, uuid, uuid) from public;
    grant execute on function auth_principal(uuid, uuid, uuid) to relais_app;
  `).execute(db)
}
