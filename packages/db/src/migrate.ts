import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FileMigrationProvider, Kysely, Migrator, PostgresDialect } from 'kysely'
import pg from 'pg'
import { databaseName, withDatabase } from '@relais/config'
import { createRequire } from 'node:module'
import { createPool } from './index.ts'

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
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: createPool(url, 2) }) })
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

export interface EtalabCommune { code: string; nom: string; departement: string; type: string; anciensCodes?: string[] }
export interface EtalabEpci { code: string; nom: string; membres: { code: string }[] }
/** The official lists (COG) as @etalab/decoupage-administratif packages them; a test passes older ones. */
export interface CommuneLists { communes: EtalabCommune[]; epcis: EtalabEpci[] }

export function packagedCommuneLists(): CommuneLists {
  const require = createRequire(import.meta.url)
  return { communes: require('@etalab/decoupage-administratif/data/communes.json'), epcis: require('@etalab/decoupage-administratif/data/epci.json') }
}

export interface CommuneRefresh { added: number; changed: number; merged: number; removed: number; formerCodes: number }

type CommuneRow = { insee: string; name: string; departement: string; epci_code: string | null; epci_name: string | null; status: string; merged_into: string | null }

/**
 * Communes, EPCI and old codes from the official list, never typed by hand. Compares content, not counts, and
 * writes only what differs: renames and EPCI moves apply; a commune gone from the list stays (referrals filed there
 * keep their code), marked merged into the commune that lists its code among its former ones, or removed.
 */
export async function loadCommunes(db: Kysely<any>, lists: CommuneLists = packagedCommuneLists()): Promise<CommuneRefresh> {
  const epciOf = new Map<string, EtalabEpci>()
  for (const e of lists.epcis) for (const m of e.membres) epciOf.set(m.code, e)
  const current = lists.communes.filter((c) => c.type === 'commune-actuelle')
  const wanted = new Map<string, CommuneRow>(current.map((c) => [c.code, {
    insee: c.code, name: c.nom, departement: c.departement, epci_code: epciOf.get(c.code)?.code ?? null, epci_name: epciOf.get(c.code)?.nom ?? null,
    status: 'current', merged_into: null,
  }]))
  // Old code → the commune carrying it now, following a chain of mergers to its end.
  const successor = new Map<string, string>()
  for (const c of current) for (const old of c.anciensCodes ?? []) if (!wanted.has(old)) successor.set(old, c.code)
  const finalOf = (code: string) => {
    let at = code
    for (let i = 0; i < 20 && successor.has(at); i++) at = successor.get(at)!
    return at
  }

  const existing = new Map((await db.selectFrom('commune').select(['insee', 'name', 'departement', 'epci_code', 'epci_name', 'status', 'merged_into']).execute() as CommuneRow[]).map((r) => [r.insee, r]))
  const same = (a: CommuneRow, b: CommuneRow) => a.name === b.name && a.departement === b.departement && a.epci_code === b.epci_code && a.epci_name === b.epci_name && a.status === b.status && a.merged_into === b.merged_into
  const result: CommuneRefresh = { added: 0, changed: 0, merged: 0, removed: 0, formerCodes: 0 }

  // Successors first: merged rows and former codes point at them.
  const upserts: CommuneRow[] = []
  for (const row of wanted.values()) {
    const had = existing.get(row.insee)
    if (!had) result.added++
    else if (!same(had, row)) result.changed++
    else continue
    upserts.push(row)
  }
  for (let i = 0; i < upserts.length; i += 2000) {
    await db.insertInto('commune').values(upserts.slice(i, i + 2000))
      .onConflict((oc) => oc.column('insee').doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'), departement: eb.ref('excluded.departement'), epci_code: eb.ref('excluded.epci_code'),
        epci_name: eb.ref('excluded.epci_name'), status: eb.ref('excluded.status'), merged_into: eb.ref('excluded.merged_into'),
      }))).execute()
  }
  // Gone from the list: kept with its last name, marked.
  for (const had of existing.values()) {
    if (wanted.has(had.insee)) continue
    const into = successor.has(had.insee) ? finalOf(had.insee) : null
    const status = into ? 'merged' : 'removed'
    if (had.status === status && had.merged_into === into) continue
    await db.updateTable('commune').set({ status, merged_into: into }).where('insee', '=', had.insee).execute()
    if (into) result.merged++
    else result.removed++
  }

  const former = new Map([...successor.keys()].map((code) => [code, finalOf(code)]))
  const stored = new Map((await db.selectFrom('commune_former_code').select(['code', 'commune_insee']).execute() as { code: string; commune_insee: string }[]).map((r) => [r.code, r.commune_insee]))
  const gone = [...stored.keys()].filter((code) => !former.has(code))
  for (let i = 0; i < gone.length; i += 2000) await db.deleteFrom('commune_former_code').where('code', 'in', gone.slice(i, i + 2000)).execute()
  const formerRows = [...former].filter(([code, into]) => stored.get(code) !== into).map(([code, into]) => ({ code, commune_insee: into }))
  for (let i = 0; i < formerRows.length; i += 2000) {
    await db.insertInto('commune_former_code').values(formerRows.slice(i, i + 2000))
      .onConflict((oc) => oc.column('code').doUpdateSet((eb) => ({ commune_insee: eb.ref('excluded.commune_insee') }))).execute()
  }
  result.formerCodes = formerRows.length + gone.length
  return result
}
