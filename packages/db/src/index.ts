import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely'
import pg from 'pg'
import type { Database } from './schema.ts'

export * from './schema.ts'
export { sql }
export type DB = Kysely<Database>
export type Tx = Transaction<Database>

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

/**
 * Runs fn in one transaction whose settings name the tenant: RLS policies read app.tenant_id,
 * so a query that forgets its tenant filter still sees only this tenant's rows.
 */
export async function withTenant<T>(db: DB, scope: TenantScope, fn: (trx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('app.tenant_id', ${scope.tenantId}, true),
                     set_config('app.person_id', ${scope.personId ?? ''}, true),
                     set_config('app.organisation_id', ${scope.organisationId ?? ''}, true)`.execute(trx)
    return fn(trx)
  })
}

export function toInt(value: unknown): number {
  const n = typeof value === 'number' ? value : Number.parseInt(String(value), 10)
  return Number.isFinite(n) ? n : 0
}
