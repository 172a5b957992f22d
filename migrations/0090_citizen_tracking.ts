import { sql, type Kysely } from 'kysely'
import { enableTenantRls } from '@relais/db/migration-helpers'

// The citizen (issue 18). A referral carries a hash of its tracking code (the code itself is printed on the
// receipt or mailed, never stored); each tenant sets its data protection officer's contact and how long citizens'
// data are kept after closure; organisations may give a phone number (CRPA R112-5: the service in charge's phone).
// /suivi has no login and so no tenant: tracking_candidate(reference) is the one way across, and returns only the
// tenant, the referral's id and the code's hash, for the app to compare.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    alter table referral add column tracking_code_hash text check (tracking_code_hash ~ '^[0-9a-f]{64}$');
    alter table organisation add column phone text check (length(phone) <= 40);

    create table citizen_privacy (
      tenant_id uuid primary key references tenant(id),
      dpo_contact text not null check (length(dpo_contact) between 1 and 500),
      retention_months integer not null default 24 check (retention_months between 1 and 120),
      referent_mail_contact boolean not null default false,
      updated_at timestamptz not null default now()
    );
    grant select, insert, update on citizen_privacy to relais_app;

    create index referral_reference_tracked on referral (reference) include (tenant_id, tracking_code_hash) where tracking_code_hash is not null;
    create function tracking_candidate(p_reference text)
      returns table (tenant_id uuid, referral_id uuid, tracking_code_hash text)
      language sql stable security definer set search_path = public as
      $$ select r.tenant_id, r.id, r.tracking_code_hash from referral r
         where r.reference = p_reference and r.tracking_code_hash is not null $$;
    revoke all on function tracking_candidate(text) from public;
    grant execute on function tracking_candidate(text) to relais_app;
  `).execute(db)
  await enableTenantRls(db, 'citizen_privacy')
}
