import { sql, type Kysely } from 'kysely'
import { enableTenantRls, grantToApp } from '@relais/db/migration-helpers'

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    -- SLA policy: one row per tenant (theme_id null) and optional overrides per theme.
    create table sla_policy (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      theme_id uuid references theme(id),
      response_minutes integer not null check (response_minutes between 1 and 525600),
      clock_mode text not null check (clock_mode in ('calendar', 'working_days', 'business_hours')),
      reminder_before_minutes integer not null check (reminder_before_minutes >= 0),
      escalations jsonb not null,
      opening_hours jsonb,
      updated_at timestamptz not null default now()
    );
    create unique index sla_policy_scope on sla_policy (tenant_id, coalesce(theme_id, '00000000-0000-0000-0000-000000000000'::uuid));

    create table referral_sequence (
      tenant_id uuid not null references tenant(id),
      year integer not null,
      last_value integer not null,
      primary key (tenant_id, year)
    );

    create table referral (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      reference text not null,
      mairie_organisation_id uuid not null references organisation(id),
      filed_by_person_id uuid not null references person(id),
      theme_id uuid not null references theme(id),
      commune_insee text not null references commune(insee),
      question text not null check (length(question) between 1 and 10000),
      citizen_name text not null check (length(citizen_name) between 1 and 200),
      citizen_email text,
      citizen_phone text,
      citizen_preferred_channel text not null check (citizen_preferred_channel in ('email', 'phone', 'post', 'counter')),
      internal_note text,
      status text not null check (status in ('submitted', 'assigned', 'awaiting_info', 'answered', 'appointment_proposed', 'closed', 'cancelled')),
      holder_organisation_id uuid not null references organisation(id),
      holder_person_id uuid references person(id),
      filed_at timestamptz not null,
      clock_started_at timestamptz not null,
      due_at timestamptz,
      next_step text,
      next_step_at timestamptz,
      sla_met_at timestamptz,
      sla_minutes_taken integer,
      sla_minutes_vs_target integer,
      closed_at timestamptz,
      updated_at timestamptz not null default now(),
      unique (tenant_id, reference)
    );
    create index referral_mairie on referral (tenant_id, mairie_organisation_id, filed_at desc);
    create index referral_holder on referral (tenant_id, holder_organisation_id, status);
    create index referral_holder_person_open on referral (holder_person_id) where status in ('submitted', 'assigned', 'awaiting_info');
    -- The sweep reads only what is due: its cost follows what is due, not what is open.
    create index referral_next_step on referral (next_step_at) where next_step_at is not null;

    create table referral_event (
      id bigserial primary key,
      tenant_id uuid not null references tenant(id),
      referral_id uuid not null references referral(id),
      seq integer not null,
      at timestamptz not null,
      actor_person_id uuid references person(id),
      actor_organisation_id uuid references organisation(id),
      kind text not null,
      data jsonb not null default '{}',
      prev_hash text not null,
      hash text not null,
      unique (referral_id, seq)
    );

    create table outbox (
      id bigserial primary key,
      tenant_id uuid not null references tenant(id),
      referral_id uuid references referral(id),
      kind text not null,
      recipient_person_id uuid references person(id),
      recipient_email text not null,
      payload jsonb not null default '{}',
      created_at timestamptz not null,
      relayed_at timestamptz,
      claimed_until timestamptz,
      attempts integer not null default 0,
      next_attempt_at timestamptz not null,
      last_error text,
      sent_at timestamptz,
      failed_at timestamptz,
      message_id text not null
    );
    create index outbox_pending on outbox (next_attempt_at) where sent_at is null and failed_at is null;

    -- The worker serves every tenant but connects as relais_app like the API: these definer functions
    -- hand it only ids and tenant ids of due work; everything else it reads inside a tenant transaction.
    create function outbox_due(p_now timestamptz, p_relay_grace interval, p_limit integer)
      returns table (id bigint, tenant_id uuid, attempts integer)
      language sql stable security definer set search_path = public as
      $$ select o.id, o.tenant_id, o.attempts from outbox o
         where o.sent_at is null and o.failed_at is null and o.next_attempt_at <= p_now
           and (o.relayed_at is null or (o.relayed_at < p_now - p_relay_grace and (o.claimed_until is null or o.claimed_until < p_now)))
         order by o.next_attempt_at limit p_limit $$;
    create function sla_due(p_now timestamptz, p_limit integer)
      returns table (id uuid, tenant_id uuid, next_step text, next_step_at timestamptz)
      language sql stable security definer set search_path = public as
      $$ select r.id, r.tenant_id, r.next_step, r.next_step_at from referral r
         where r.next_step_at is not null and r.next_step_at <= p_now
         order by r.next_step_at limit p_limit $$;
    create function sla_tenants_with_open()
      returns table (tenant_id uuid)
      language sql stable security definer set search_path = public as
      $$ select distinct r.tenant_id from referral r where r.status in ('submitted', 'assigned', 'awaiting_info') $$;
    revoke all on function outbox_due(timestamptz, interval, integer) from public;
    revoke all on function sla_due(timestamptz, integer) from public;
    revoke all on function sla_tenants_with_open() from public;
    grant execute on function outbox_due(timestamptz, interval, integer) to relais_app;
    grant execute on function sla_due(timestamptz, integer) to relais_app;
    grant execute on function sla_tenants_with_open() to relais_app;
  `).execute(db)

  for (const table of ['sla_policy', 'referral_sequence', 'referral', 'outbox']) {
    await enableTenantRls(db, table)
    await grantToApp(db, table)
  }
  // The timeline is append-only: the application may read and add events, never change or remove them.
  await enableTenantRls(db, 'referral_event')
  await sql.raw(`grant select, insert on referral_event to relais_app;
    grant usage on sequence referral_event_id_seq to relais_app;
    grant usage on sequence outbox_id_seq to relais_app;`).execute(db)
}
