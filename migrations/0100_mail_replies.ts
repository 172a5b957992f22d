import { sql, type Kysely } from 'kysely'
import { enableTenantRls } from '@relais/db/migration-helpers'

// Replies by email (issue 15). A reply address names one outbox mail (r+<id>.<hmac>@MAIL_REPLY_DOMAIN), so it is unique
// to the person and the referral that mail was about, and no key needs storing: the HMAC proves we made it.
// - inbound_mail: each mail the inbound server took, once per Message-ID and tenant (a replay does nothing twice).
// - reply_outbox_tenant(): the inbound server serves every tenant and connects as relais_app: this definer function
//   tells it the tenant of the mail a (signature-checked) reply address names, and nothing else; the rest is read
//   inside that tenant's transaction under RLS.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create table inbound_mail (
      id bigserial primary key,
      tenant_id uuid not null references tenant(id),
      message_id text not null check (length(message_id) between 1 and 998),
      outbox_id bigint not null references outbox(id),
      referral_id uuid not null references referral(id),
      person_id uuid not null references person(id),
      received_at timestamptz not null,
      outcome text not null check (outcome in ('answer', 'provide_info', 'message', 'bounce', 'refused', 'ignored')),
      unique (tenant_id, message_id)
    );
    create index inbound_mail_referral on inbound_mail (tenant_id, referral_id);

    create function reply_outbox_tenant(p_outbox_id bigint)
      returns uuid language sql stable security definer set search_path = public as
      $$ select o.tenant_id from outbox o where o.id = p_outbox_id and o.referral_id is not null $$;
    revoke all on function reply_outbox_tenant(bigint) from public;
    grant execute on function reply_outbox_tenant(bigint) to relais_app;
  `).execute(db)
  await enableTenantRls(db, 'inbound_mail')
  // What came in stays as it came: the application only writes what became of it (outcome), once decided.
  await sql.raw(`grant select, insert, update (outcome) on inbound_mail to relais_app;
    grant usage on sequence inbound_mail_id_seq to relais_app;`).execute(db)
}
