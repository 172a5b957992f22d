import { sql, type Kysely } from 'kysely'

// Communes change every year (renames, EPCI moves, mergers). The refresh after each migration run
// (packages/db/src/migrate.ts, loadCommunes) compares content: a commune that left the official list is
// kept (referrals filed there keep their code) and marked merged into its successor, or removed; the
// successors of old INSEE codes are listed apart, so filing with an old code lands on the new commune.
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    alter table commune
      add column status text not null default 'current' check (status in ('current', 'merged', 'removed')),
      add column merged_into text references commune(insee),
      add check (status = 'merged' or merged_into is null);

    create table commune_former_code (
      code text primary key,
      commune_insee text not null references commune(insee)
    );
    create index commune_former_code_commune on commune_former_code (commune_insee);

    -- National reference data, shared like commune: read-only for the application.
    grant select on commune_former_code to relais_app;
  `).execute(db)
}
