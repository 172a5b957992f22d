import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { Database } from './schema.ts'

export * from './schema.ts'
export { sql }
export type DB = Kysely<Database>
/** A connection inside a tenant transaction (see withTenant). */
export type Tx = Kysely<Database>

// timestamptz only; int8/numeric counts are parsed where they are read.
export function createKysely(pool: pg.Pool): DB {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
}

export function createPool(connectionString: string, max = 10): pg.Pool {
  return new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5000 })
}

export interface TenantScope {
  tenantId: string
  personId?: string
  organisationId?: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function uuidLiteral(value: string | undefined, what: string): string {
  if (value === undefined || value === '') return "''"
  if (!UUID.test(value)) throw new Error(`withTenant: ${what} is not a uuid`)
  return `'${value}'`
}

/**
 * Runs fn in one transaction whose settings name the tenant: RLS policies read app.tenant_id,
 * so a query that forgets its tenant filter still sees only this tenant's rows.
 * BEGIN and the settings travel in one round trip (the values are checked uuids, hence inlined):
 * every request pays for this, so it is worth one string.
 */
export async function withTenant<T>(db: DB, scope: TenantScope, fn: (trx: Tx) => Promise<T>): Promise<T> {
  const begin = `begin; select set_config('app.tenant_id', ${uuidLiteral(scope.tenantId, 'tenantId')}, true), ` +
    `set_config('app.person_id', ${uuidLiteral(scope.personId, 'personId')}, true), ` +
    `set_config('app.organisation_id', ${uuidLiteral(scope.organisationId, 'organisationId')}, true)`
  return db.connection().execute(async (conn) => {
    await sql.raw(begin).execute(conn)
    let result: T
    try {
      result = await fn(conn as Tx)
    } catch (err) {
      await sql.raw('rollback').execute(conn).catch(() => undefined)
      throw err
    }
    await sql.raw('commit').execute(conn)
    return result
  })
}
