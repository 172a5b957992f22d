import { sql, type Kysely } from 'kysely'
import { enableTenantRls } from '@relais/db/migration-helpers'

// Appointments at France services (issue 14): places (with desks, closures, the communes they serve), the
// permanences organisations hold there, and the appointments booked as a referral's answer. No double booking is
// PostgreSQL's job, not the code's: two exclusion constraints on the booked time range, one per referent and one
// per place desk, over the appointments that still stand (btree_gist lets uuid and int take part with =).
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create extension if not exists btree_gist;

    create table place (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      organisation_id uuid references organisation(id),
      name text not null check (length(name) between 1 and 200),
      address text check (length(address) <= 500),
      phone text check (length(phone) <= 40),
      opening_hours jsonb not null default '{}'::jsonb,
      closures jsonb not null default '[]'::jsonb,
      communes text[] not null default '{}',
      desks smallint not null default 1 check (desks between 1 and 50),
      what_to_bring text check (length(what_to_bring) <= 2000),
      active boolean not null default true,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (tenant_id, name)
    );
    create index place_communes on place using gin (communes);

    create table permanence (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      organisation_id uuid not null references organisation(id),
      place_id uuid not null references place(id),
      person_id uuid references person(id),
      weekday smallint not null check (weekday between 1 and 7),
      start_minute smallint not null check (start_minute between 0 and 1439),
      end_minute smallint not null check (end_minute between 1 and 1440 and end_minute > start_minute),
      every_weeks smallint not null default 1 check (every_weeks between 1 and 8),
      valid_from date not null,
      valid_until date check (valid_until is null or valid_until >= valid_from),
      slot_minutes smallint not null check (slot_minutes between 5 and 240),
      active boolean not null default true,
      created_at timestamptz not null default now()
    );
    create index permanence_place on permanence (tenant_id, place_id) where active;

    create table appointment (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      referral_id uuid not null references referral(id),
      place_id uuid not null references place(id),
      desk smallint not null default 1 check (desk >= 1),
      person_id uuid not null references person(id),
      organisation_id uuid not null references organisation(id),
      permanence_id uuid references permanence(id),
      starts_at timestamptz not null,
      ends_at timestamptz not null check (ends_at > starts_at),
      during tstzrange generated always as (tstzrange(starts_at, ends_at, '[)')) stored,
      status text not null default 'booked' check (status in ('booked', 'cancelled', 'held', 'no_show', 'citizen_cancelled')),
      sequence integer not null default 0,
      note text check (length(note) <= 2000),
      cancel_reason text check (length(cancel_reason) <= 2000),
      reminded_at timestamptz,
      booked_by_person_id uuid references person(id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint appointment_referent_free exclude using gist (person_id with =, during with &&)
        where (status in ('booked', 'held', 'no_show')),
      constraint appointment_desk_free exclude using gist (place_id with =, desk with =, during with &&)
        where (status in ('booked', 'held', 'no_show'))
    );
    create index appointment_referral on appointment (tenant_id, referral_id, created_at desc);
    create index appointment_person_time on appointment (tenant_id, person_id, starts_at);
    create index appointment_place_time on appointment (tenant_id, place_id, starts_at);

    grant select, insert, update on place to relais_app;
    grant select, insert, update on permanence to relais_app;
    grant select, insert, update on appointment to relais_app;
  `).execute(db)
  await enableTenantRls(db, 'place')
  await enableTenantRls(db, 'permanence')
  await enableTenantRls(db, 'appointment')
}
