import { createHash } from 'node:crypto'
import { CompiledQuery, Kysely, PostgresDialect, sql, type Compilable, type QueryResult } from 'kysely'
import pg from 'pg'
import { isUuid } from '@relais/core'
import type { Database } from './schema.ts'

export * from './schema.ts'
export { sql }
/** The bare pool. Tenant queries do not accept it: they take a TenantTx, which only withTenant() makes. */
export type DB = Kysely<Database>

declare const tenantTx: unique symbol
/**
 * A connection inside a tenant transaction. The brand is a type-level mark only: nothing outside
 * withTenant() can produce one without a visible cast, so a repository call on the bare pool does not compile.
 */
export type TenantTx = Kysely<Database> & { readonly [tenantTx]: true }
/** Kept for the transition; prefer TenantTx. */
export type Tx = TenantTx

declare const crossTenantDb: unique symbol
/**
 * The application pool used for cross-tenant work no tenant transaction can do: the worker's outbox relay
 * and SLA sweep, through security-definer functions that hand out ids only. Named apart so it is visible.
 */
export type CrossTenantDb = Kysely<Database> & { readonly [crossTenantDb]: true }
export const crossTenant = (db: DB): CrossTenantDb => db as CrossTenantDb

declare const ownerDb: unique symbol
/** A connection as the tables' owner (DATABASE_URL): RLS does not apply. Seed and operator scripts only. */
export type OwnerDb = Kysely<Database> & { readonly [ownerDb]: true }
export function createOwnerKysely(pool: pg.Pool): OwnerDb {
  return createKysely(pool) as OwnerDb
}

/** A statement whose text starts with this comment is prepared once per connection under that name (see below). */
export const preparedName = (name: string) => `/* prepared:${name} */`
const PREPARED = /^\/\* prepared:([a-z_]+) \*\//

/**
 * Runs a query built with Kysely as a named prepared statement (see withPreparedStatements): for the statements of the
 * hot paths (a filing, a mail sent), planned once per connection instead of at every call. The name is the one given
 * plus a digest of the text, so a query whose text varies (an `in` list of another length) is another statement.
 */
export async function runPrepared<R>(db: Kysely<Database>, name: string, query: Compilable<R>): Promise<QueryResult<R>> {
  const c = query.compile()
  return db.executeQuery<R>(CompiledQuery.raw(preparedName(name) + c.sql, [...c.parameters]))
}

/** What Kysely's PostgresDriver uses of a pooled client. */
interface KyselyClient {
  query(text: string, values: unknown[]): Promise<pg.QueryResult>
  release(): void
}
const wrappers = new WeakMap<pg.PoolClient, KyselyClient>()
const names = new Map<string, string>()
/** One name per text: node-postgres refuses a name already prepared with another text on the connection. */
function statementName(name: string, text: string): string {
  let n = names.get(text)
  if (!n) {
    n = `${name}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`
    if (names.size < 10_000) names.set(text, n)
  }
  return n
}

/**
 * Kysely sends every statement unnamed, so PostgreSQL plans it afresh each time. A statement run at every filing
 * (the routing snapshot: 7 ms of planning for 1 ms of work) is named instead: prepared once per connection, then
 * planned once for all when PostgreSQL finds its generic plan as good (after five executions).
 * Kysely is handed a small wrapper around each pooled client rather than the client itself: the client stays
 * untouched for everyone else (pg.Pool's own query(), the readiness check's, once waited for ever on a patched one).
 */
function withPreparedStatements(pool: pg.Pool) {
  return {
    async connect(): Promise<KyselyClient> {
      const client = await pool.connect()
      let wrapper = wrappers.get(client)
      if (!wrapper) {
        wrapper = {
          query(text, values) {
            const m = PREPARED.exec(text)
            return m ? client.query({ name: statementName(m[1], text), text, values }) : client.query(text, values)
          },
          release: () => client.release(),
        }
        wrappers.set(client, wrapper)
      }
      return wrapper
    },
    end: () => pool.end(),
  }
}

// timestamptz only; int8/numeric counts are parsed where they are read.
export function createKysely(pool: pg.Pool): DB {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: withPreparedStatements(pool) as unknown as pg.Pool }) })
}

/**
 * An idle client's error (the server restarted or terminated it) is emitted on the pool, and an unheard 'error'
 * event ends the process: the pool drops that client and connects another when needed, so it is heard here.
 * Callers with a logger add their own listener.
 */
export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5000 })
  pool.on('error', () => undefined)
  return pool
}

export interface TenantScope {
  tenantId: string
  personId?: string
  organisationId?: string
}


function uuidLiteral(value: string | undefined, what: string): string {
  if (value === undefined || value === '') return "''"
  if (!isUuid(value)) throw new Error(`withTenant: ${what} is not a uuid`)
  return `'${value}'`
}

/**
 * Runs fn in one transaction whose settings name the tenant: RLS policies read app.tenant_id,
 * so a query that forgets its tenant filter still sees only this tenant's rows.
 * BEGIN and the settings travel in one round trip (the values are checked uuids, hence inlined):
 * every request pays for this, so it is worth one string.
 */
export async function withTenant<T>(db: DB, scope: TenantScope, fn: (trx: TenantTx) => Promise<T>): Promise<T> {
  const begin = `begin; select set_config('app.tenant_id', ${uuidLiteral(scope.tenantId, 'tenantId')}, true), ` +
    `set_config('app.person_id', ${uuidLiteral(scope.personId, 'personId')}, true), ` +
    `set_config('app.organisation_id', ${uuidLiteral(scope.organisationId, 'organisationId')}, true)`
  return db.connection().execute(async (conn) => {
    await sql.raw(begin).execute(conn)
    let result: T
    try {
      result = await fn(conn as TenantTx)
    } catch (err) {
      await sql.raw('rollback').execute(conn).catch(() => undefined)
      throw err
    }
    await sql.raw('commit').execute(conn)
    return result
  })
}
