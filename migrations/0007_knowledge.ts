import { sql, type Kysely } from 'kysely'
import { enableTenantRls, grantToApp } from '@relais/db/migration-helpers'

// The knowledge base: fiches written by partners and the mission TIC, their immutable published versions,
// French full-text search that ignores accents (unaccent, then the French stemmer) with a trigram lexicon for
// typos, and the questions a fiche answered without a referral (deflections, no citizen data).
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    create extension if not exists unaccent;
    create extension if not exists pg_trgm;

    -- unaccent() is only stable (its dictionary could be swapped); pinned to the dictionary it can serve indexes.
    create function relais_unaccent(text) returns text language sql immutable parallel safe strict
      as $$ select public.unaccent('public.unaccent'::regdictionary, $1) $$;

    -- French stemming over unaccented words: « démarches » and « demarche » meet.
    create text search configuration relais_french (copy = pg_catalog.french);
    alter text search configuration relais_french
      alter mapping for hword, hword_part, word with public.unaccent, french_stem;

    create table fiche (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenant(id),
      organisation_id uuid not null references organisation(id),
      status text not null default 'draft' check (status in ('draft', 'published', 'archived')),
      -- The working copy that writers edit; readers see the last published version.
      title text not null check (length(title) between 1 and 200),
      body text not null check (length(body) between 1 and 50000),
      territory_kind text not null default 'departement' check (territory_kind in ('departement', 'epci', 'commune')),
      territory_codes text[] not null default '{}',
      review_by date not null,
      review_reminded_at timestamptz,
      created_by_person_id uuid references person(id),
      created_at timestamptz not null default now(),
      updated_by_person_id uuid references person(id),
      updated_at timestamptz not null default now(),
      -- The last published version, copied here for search: its title and its body as plain text.
      version integer not null default 0,
      published_title text,
      published_text text,
      published_at timestamptz,
      search tsvector generated always as (
        setweight(to_tsvector('relais_french', coalesce(published_title, '')), 'A') ||
        setweight(to_tsvector('relais_french', coalesce(published_text, '')), 'B')) stored,
      check (territory_kind = 'departement' or cardinality(territory_codes) between 1 and 1000),
      check ((status = 'draft') = (version = 0) or status = 'archived')
    );
    create index fiche_search on fiche using gin (search) where status = 'published';
    create index fiche_title_trgm on fiche using gin (relais_unaccent(lower(published_title)) gin_trgm_ops) where status = 'published';
    create index fiche_tenant_organisation on fiche (tenant_id, organisation_id, updated_at desc);
    create index fiche_review on fiche (review_by) where status = 'published';

    create table fiche_theme (
      tenant_id uuid not null references tenant(id),
      fiche_id uuid not null references fiche(id) on delete cascade,
      theme_id uuid not null references theme(id),
      primary key (fiche_id, theme_id)
    );
    create index fiche_theme_theme on fiche_theme (theme_id, fiche_id);

    -- A published version never changes: the application may add one, never alter or remove it.
    create table fiche_version (
      tenant_id uuid not null references tenant(id),
      fiche_id uuid not null references fiche(id),
      version integer not null check (version >= 1),
      title text not null,
      body text not null,
      theme_codes text[] not null,
      territory_kind text not null,
      territory_codes text[] not null,
      published_by_person_id uuid references person(id),
      published_at timestamptz not null,
      primary key (fiche_id, version)
    );

    -- Words of the published fiches, unaccented: a typed word absent from them is matched to the closest one.
    create table fiche_word (
      tenant_id uuid not null references tenant(id),
      word text not null,
      primary key (tenant_id, word)
    );
    create index fiche_word_trgm on fiche_word using gin (word gin_trgm_ops);

    create function fiche_version_words() returns trigger language plpgsql as $$
    begin
      insert into fiche_word (tenant_id, word)
        select distinct new.tenant_id, w
        from regexp_split_to_table(lower(relais_unaccent(new.title || ' ' || new.body)), '[^a-z0-9]+') as w
        where length(w) between 3 and 40
        on conflict do nothing;
      return new;
    end $$;
    create trigger fiche_version_words after insert on fiche_version for each row execute function fiche_version_words();

    -- A question a fiche answered instead of a referral: what, where, when and which mairie; nothing on the citizen.
    create table deflection (
      id bigserial primary key,
      tenant_id uuid not null references tenant(id),
      fiche_id uuid not null references fiche(id),
      theme_id uuid not null references theme(id),
      commune_insee text not null references commune(insee),
      mairie_organisation_id uuid not null references organisation(id),
      at timestamptz not null
    );
    create index deflection_tenant_at on deflection (tenant_id, at);
    create index deflection_fiche on deflection (fiche_id);

    -- How often a fiche was opened, per day, and the searches that found nothing (no words kept: they may name a citizen).
    create table fiche_open_day (
      tenant_id uuid not null references tenant(id),
      fiche_id uuid not null references fiche(id),
      day date not null,
      opens integer not null default 1,
      primary key (fiche_id, day)
    );
    create table search_miss (
      id bigserial primary key,
      tenant_id uuid not null references tenant(id),
      theme_id uuid references theme(id),
      organisation_id uuid references organisation(id),
      at timestamptz not null
    );
    create index search_miss_tenant_at on search_miss (tenant_id, at);
  `).execute(db)

  for (const table of ['fiche', 'fiche_theme', 'fiche_open_day']) {
    await enableTenantRls(db, table)
    await grantToApp(db, table)
  }
  for (const table of ['fiche_version', 'fiche_word', 'deflection', 'search_miss']) {
    await enableTenantRls(db, table)
    await sql.raw(`grant select, insert on ${table} to relais_app`).execute(db)
  }
  await sql.raw(`grant usage on sequence deflection_id_seq to relais_app;
    grant usage on sequence search_miss_id_seq to relais_app;`).execute(db)
}
