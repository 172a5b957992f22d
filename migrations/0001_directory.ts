import { sql, type Kysely } from 'kysely'
import { enableTenantRls, grantToApp } from '@relais/db/migration-helpers'

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    do $$ begin
      if not exists (select from pg_roles where rolname = 'relais_app') then
        create role relais_app login nosuperuser nobypassrls nocreatedb nocreaterole noinherit;
      end if;
    end $$;

    create function app_tenant_id() returns uuid language sql stable as
      $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;

    create table tenant (
      id uuid primary key default gen_random_uuid(),
      code text not null unique check (code ~ '^[0-9][0-9AB][0-9]?$'),
      name text not null,
      time_zone text not null default 'Europe/Paris',
      created_at timestamptz not null default now()
    );

    -- National reference data (INSEE codes), loaded from @etalab/decoupage-administratif.
    create table commune (
      insee text primary key,
      name text not null,
      departement text not null,
      epci_code text,
      epci_name text
    );
    create index commune_departement on commune (departement);
    create index commune_epci on commune (epci_code);

    create table organisation (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      kind text not null check (kind in ('mairie', 'partner', 'msap', 'mission_tic')),
      name text not null check (length(name) between 1 and 200),
      short_name text,
      commune_insee text references commune(insee),
      email text,
      address text,
      opening_hours jsonb,
      status text not null default 'onboarding' check (status in ('onboarding', 'active', 'suspended')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (kind <> 'mairie' or commune_insee is not null)
    );
    create unique index organisation_mairie_commune on organisation (tenant_id, commune_insee) where kind = 'mairie';
    create index organisation_tenant_kind_name on organisation (tenant_id, kind, name, id);

    create table person (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      organisation_id uuid not null references organisation(id),
      email text not null check (email = lower(email) and email like '%_@_%'),
      name text not null check (length(name) between 1 and 200),
      role text not null check (role in ('secretary', 'referent', 'org_admin', 'network_admin')),
      active boolean not null default true,
      password_hash text,
      absent_from timestamptz,
      absent_until timestamptz,
      backup_person_id uuid references person(id),
      email_bounced_at timestamptz,
      sessions_revoked_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (backup_person_id is null or backup_person_id <> id),
      check (absent_until is null or absent_from is null or absent_until > absent_from)
    );
    create unique index person_tenant_email on person (tenant_id, email);
    create index person_email on person (email);
    create index person_organisation on person (organisation_id, name, id);

    create table theme (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      code text not null check (code ~ '^[a-z0-9][a-z0-9_-]{0,49}$'),
      label text not null check (length(label) between 1 and 200),
      sla_response_minutes integer check (sla_response_minutes > 0),
      active boolean not null default true,
      created_at timestamptz not null default now(),
      unique (tenant_id, code)
    );

    create table routing_rule (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      theme_id uuid not null references theme(id),
      territory_kind text not null check (territory_kind in ('commune', 'epci', 'departement')),
      territory_code text not null,
      organisation_id uuid not null references organisation(id),
      person_id uuid references person(id),
      active boolean not null default true,
      created_at timestamptz not null default now()
    );
    create unique index routing_rule_unique on routing_rule (tenant_id, theme_id, territory_kind, territory_code) where active;

    create table coverage (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      organisation_id uuid not null references organisation(id),
      person_id uuid references person(id),
      theme_id uuid not null references theme(id),
      territory_kind text not null check (territory_kind in ('commune', 'epci', 'departement')),
      territory_code text not null,
      active boolean not null default true,
      created_at timestamptz not null default now()
    );
    create unique index coverage_unique on coverage (tenant_id, organisation_id, coalesce(person_id, '00000000-0000-0000-0000-000000000000'::uuid), theme_id, territory_kind, territory_code) where active;

    create table refresh_session (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      person_id uuid not null references person(id),
      family_id uuid not null,
      token_hash text not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      revoked_at timestamptz,
      replaced_by uuid
    );
    create index refresh_session_person on refresh_session (person_id) where revoked_at is null;
    create index refresh_session_family on refresh_session (family_id);

    -- Login knows an email, not a tenant: this narrow definer function is the only way across tenants,
    -- and it returns only what password verification needs.
    create function auth_candidates(p_email text)
      returns table (tenant_id uuid, person_id uuid, password_hash text)
      language sql stable security definer set search_path = public as
      $$ select p.tenant_id, p.id, p.password_hash from person p
         where p.email = lower(p_email) and p.active and p.password_hash is not null $$;
    revoke all on function auth_candidates(text) from public;
    grant execute on function auth_candidates(text) to relais_app;

    grant usage on schema public to relais_app;
    grant select on commune to relais_app;
    grant execute on function app_tenant_id() to relais_app;
  `).execute(db)

  for (const table of ['tenant', 'organisation', 'person', 'theme', 'routing_rule', 'coverage', 'refresh_session']) {
    if (table === 'tenant') await enableTenantRls(db, table, 'id')
    else await enableTenantRls(db, table)
    await grantToApp(db, table)
  }
}
