import { sql, type Kysely } from 'kysely'
import { enableTenantRls } from '@relais/db/migration-helpers'

// The access log (issue 18): every display of a referral's citizen data — the referral page, the API's detail, a
// printed answer, an export of the person's data — is one row: who, when, which referral, how. Append-only like
// audit_log: the application role may only insert and read; a trigger refuses UPDATE, DELETE and TRUNCATE for everyone.
// The mission TIC reads it per referral and per citizen (through her referrals).
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create table referral_access (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      referral_id uuid not null references referral(id),
      person_id uuid not null references person(id),
      at timestamptz not null,
      via text not null check (via in ('page', 'api', 'print', 'export'))
    );
    create index referral_access_by_referral on referral_access (tenant_id, referral_id, at desc);
    create index referral_access_by_person on referral_access (tenant_id, person_id, at desc);

    create function referral_access_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'referral_access est en ajout seul : % refusé', tg_op using errcode = 'insufficient_privilege';
      end $$;
    create trigger referral_access_append_only before update or delete on referral_access
      for each row execute function referral_access_append_only();
    create trigger referral_access_no_truncate before truncate on referral_access
      for each statement execute function referral_access_append_only();

    grant select, insert on referral_access to relais_app;
  `).execute(db)
  await enableTenantRls(db, 'referral_access')
}
