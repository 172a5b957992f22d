import { sql, type Kysely } from 'kysely'
import { enableTenantRls } from '@relais/db/migration-helpers'

// Issue 13: an organisation's admin signs the convention version in force for its kind; the mission TIC countersigns,
// which makes the organisation active. Both are evidence: the application role may only insert and read, and a
// trigger refuses UPDATE, DELETE and TRUNCATE for everyone (as for convention_version and audit_log).
// The receipt PDF is kept as written (bytes and their SHA-256): a mail retried, a download or a verification later
// see the very document the signer got.
// auth_principal (0011) also says the status of the person's organisation: people of an organisation still
// onboarding reach only the onboarding pages, checked on every request like the rest of the principal.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create table convention_signature (
      id uuid primary key,
      tenant_id uuid not null references tenant(id),
      convention_version_id uuid not null references convention_version(id),
      organisation_id uuid not null references organisation(id),
      person_id uuid not null references person(id),
      signer_name text not null check (length(signer_name) between 1 and 200),
      capacity text not null check (length(capacity) between 1 and 300),
      document_sha256 text not null check (document_sha256 ~ '^[0-9a-f]{64}$'),
      signed_at timestamptz not null,
      ip text not null,
      user_agent text not null,
      receipt_pdf bytea not null,
      receipt_sha256 text not null check (receipt_sha256 ~ '^[0-9a-f]{64}$'),
      unique (tenant_id, organisation_id, convention_version_id)
    );
    create index convention_signature_receipt on convention_signature (tenant_id, receipt_sha256);

    create table convention_countersignature (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      signature_id uuid not null references convention_signature(id),
      organisation_id uuid not null references organisation(id),
      person_id uuid not null references person(id),
      countersigned_at timestamptz not null,
      unique (tenant_id, signature_id)
    );

    create function convention_evidence_immutable() returns trigger language plpgsql as $$
      begin
        raise exception '% ne change jamais : % refusé', tg_table_name, tg_op using errcode = 'insufficient_privilege';
      end $$;
    create trigger convention_signature_immutable before update or delete on convention_signature
      for each row execute function convention_evidence_immutable();
    create trigger convention_signature_no_truncate before truncate on convention_signature
      for each statement execute function convention_evidence_immutable();
    create trigger convention_countersignature_immutable before update or delete on convention_countersignature
      for each row execute function convention_evidence_immutable();
    create trigger convention_countersignature_no_truncate before truncate on convention_countersignature
      for each statement execute function convention_evidence_immutable();

    grant select, insert on convention_signature, convention_countersignature to relais_app;

    drop function auth_principal(uuid, uuid, uuid);
    create function auth_principal(p_tenant uuid, p_person uuid, p_family uuid)
      returns table (organisation_id uuid, role text, active boolean, sessions_revoked_at timestamptz, session_live boolean, organisation_status text)
      language sql stable security definer set search_path = public as
      $$ select p.organisation_id, p.role, p.active, p.sessions_revoked_at,
                exists (select 1 from refresh_session s
                        where s.tenant_id = p_tenant and s.person_id = p_person and s.family_id = p_family
                          and s.revoked_at is null and s.expires_at > now()),
                o.status
         from person p join organisation o on o.tenant_id = p.tenant_id and o.id = p.organisation_id
         where p.tenant_id = p_tenant and p.id = p_person $$;
    revoke all on function auth_principal(uuid, uuid, uuid) from public;
    grant execute on function auth_principal(uuid, uuid, uuid) to relais_app;
  `).execute(db)
  await enableTenantRls(db, 'convention_signature')
  await enableTenantRls(db, 'convention_countersignature')
}
