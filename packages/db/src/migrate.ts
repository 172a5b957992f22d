import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileMigrationProvider, Kysely, Migrator, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import { databaseName, withDatabase } from '@relais/config'
import { createRequire } from 'node:module'

const migrationFolder = fileURLToPath(new URL('../../../migrations', import.meta.url))

/** Creates the database named in url if it does not exist (connecting to the maintenance database). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url)
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres') })
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name])
    if (found.rowCount) return false
    await client.query(`create database "${name.replace(/"/g, '""')}"`)
    return true
  } finally {
    await client.end()
  }
}

/** Runs every pending migration as the owner; forward-only. Then refreshes reference data. */
export async function migrateToLatest(url: string): Promise<string[]> {
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) })
  try {
    // Kysely's migrator takes a lock, so several processes starting at once are safe.
    const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }), allowUnorderedMigrations: true })
    const { error, results } = await migrator.migrateToLatest()
    if (error) throw error
    await loadCommunes(db)
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
  } finally {
    await db.destroy()
  }
}

interface EtalabCommune { code: string; nom: string; departement: string; type: string }
interface EtalabEpci { code: string; nom: string; membres: { code: string }[] }

/** Communes and EPCI from @etalab/decoupage-administratif: never typed by hand. */
export async function loadCommunes(db: Kysely<any>): Promise<number> {
  const require = createRequire(import.meta.url)
  const communes: EtalabCommune[] = require('@etalab/decoupage-administratif/data/communes.json')
  const epcis: EtalabEpci[] = require('@etalab/decoupage-administratif/data/epci.json')
  const epciOf = new Map<string, EtalabEpci>()
  for (const e of epcis) for (const m of e.membres) epciOf.set(m.code, e)
  const rows = communes
    .filter((c) => c.type === 'commune-actuelle')
    .map((c) => ({ insee: c.code, name: c.nom, departement: c.departement, epci_code: epciOf.get(c.code)?.code ?? null, epci_name: epciOf.get(c.code)?.nom ?? null }))
  const existing = await sql<{ n: string }>`select count(*) as n from commune`.execute(db)
  if (Number(existing.rows[0].n) === rows.length) return rows.length
  for (let i = 0; i < rows.length; i += 2000) {
    await db.insertInto('commune').values(rows.slice(i, i + 2000))
      .onConflict((oc) => oc.column('insee').doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'), departement: eb.ref('excluded.departement'),
        epci_code: eb.ref('excluded.epci_code'), epci_name: eb.ref('excluded.epci_name'),
      }))).execute()
  }
  return rows.length
}
