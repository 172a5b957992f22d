import { sql, type Kysely } from 'kysely'

// The application role had select/insert/update/delete on every tenant table (grantToApp). It needs less:
// it never writes the tenant table, never deletes a referral, a person, an outbox row or a policy. What the
// code does, table by table, is listed in test/security/privileges.test.ts, which compares it with the catalogue.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    revoke insert, update, delete, truncate, references, trigger on tenant from relais_app;
    revoke delete, truncate, references, trigger on organisation, person, theme, routing_rule, coverage, refresh_session,
      sla_policy, referral, outbox, fiche, fiche_open_day from relais_app;
    revoke update, truncate, references, trigger on fiche_theme from relais_app;
    -- Nobody but the owner creates objects in the schema (already PostgreSQL 15's default; explicit for older servers).
    revoke create on schema public from public;
  `).execute(db)
}
