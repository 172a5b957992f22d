// Shared by the security suites (test/security): the route table as Fastify sees it, the schemas of each
// route, demo logins, and minimal valid values derived from a JSON schema.
import { createHmac } from 'node:crypto'
import type { FastifyInstance } from 'fastify'

export interface RouteInfo { method: string; url: string }

/**
 * Every route of the app, read from Fastify's own route table (printRoutes), so that a route added later is
 * covered without editing a test. HEAD routes Fastify adds for each GET are left out.
 */
export function listRoutes(app: FastifyInstance): RouteInfo[] {
  const tree = app.printRoutes({ commonPrefix: false })
  const stack: string[] = []
  const routes: RouteInfo[] = []
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (!m) continue
    const depth = m[1].length / 4
    const path = (depth > 0 ? stack[depth - 1] : '') + m[2]
    stack[depth] = path
    stack.length = depth + 1
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      if (method !== 'HEAD') routes.push({ method, url: path })
    }
  }
  return routes
}

export type JsonSchema = Record<string, any>
export interface RouteSchema { params: Record<string, JsonSchema>; query: Record<string, { schema: JsonSchema; required: boolean }>; body?: JsonSchema; bodyRequired: boolean }

/** The request schemas of a route, from the OpenAPI document @fastify/swagger builds off the same route table. */
export function routeSchema(app: FastifyInstance, route: RouteInfo): RouteSchema {
  const doc = app.swagger() as { paths: Record<string, Record<string, any>> }
  const op = doc.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()]
  const out: RouteSchema = { params: {}, query: {}, bodyRequired: false }
  if (!op) return out
  for (const p of op.parameters ?? []) {
    if (p.in === 'path') out.params[p.name] = p.schema
    if (p.in === 'query') out.query[p.name] = { schema: p.schema, required: !!p.required }
  }
  const json = op.requestBody?.content?.['application/json']?.schema
  if (json) { out.body = json; out.bodyRequired = !!op.requestBody.required }
  return out
}

export const DEMO_PASSWORD = 'relais-demo'

export interface Account { email: string; tenant: '36' | '18'; role: 'network_admin' | 'secretary' | 'referent' | 'org_admin' }
/** Every demo login, each role of each tenant. */
export const ACCOUNTS: Account[] = [
  { email: 'tic@indre.demo', tenant: '36', role: 'network_admin' },
  { email: 'secretaire@ardentes.demo', tenant: '36', role: 'secretary' },
  { email: 'secretaire@issoudun.demo', tenant: '36', role: 'secretary' },
  { email: 'referent@caf36.demo', tenant: '36', role: 'referent' },
  { email: 'admin@caf36.demo', tenant: '36', role: 'org_admin' },
  { email: 'referent@ddt36.demo', tenant: '36', role: 'referent' },
  { email: 'tic@cher.demo', tenant: '18', role: 'network_admin' },
  { email: 'secretaire@bourges.demo', tenant: '18', role: 'secretary' },
  { email: 'referent@caf18.demo', tenant: '18', role: 'referent' },
  { email: 'referent@prefecture18.demo', tenant: '18', role: 'referent' },
]

let ipCounter = 0
/** Logs in from an address of its own each time (the login throttle counts per address). */
export async function accessToken(app: FastifyInstance, email: string, password = DEMO_PASSWORD): Promise<string> {
  ipCounter++
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: `10.77.${(ipCounter >> 8) & 255}.${ipCounter & 255}` })
  if (res.statusCode !== 200) throw new Error(`login ${email}: ${res.statusCode} ${res.body}`)
  return res.json().accessToken
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` })

/** A JWT signed by hand, so a test can set any header and claim (HMAC-SHA256 unless told otherwise). */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: string | Buffer): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const input = `${enc(header)}.${enc(payload)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

/**
 * A minimal value that satisfies the schema (required properties only, or the first one when the object
 * needs at least one). `hint(name, schema)` may supply a value for a named field (ids, codes, patterns).
 */
export function sampleValue(schema: JsonSchema | undefined, hint: (name: string, schema: JsonSchema) => unknown = () => undefined, name = ''): unknown {
  if (!schema) return undefined
  const hinted = hint(name, schema)
  if (hinted !== undefined) return hinted
  if (schema.default !== undefined) return schema.default
  if (schema.const !== undefined) return schema.const
  if (Array.isArray(schema.enum)) return schema.enum[0]
  if (Array.isArray(schema.anyOf)) return sampleValue(schema.anyOf.find((s: JsonSchema) => s.type !== 'null') ?? schema.anyOf[0], hint, name)
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...schema.allOf.map((s: JsonSchema) => sampleValue(s, hint, name)))
  switch (schema.type) {
    case 'object': {
      const props: Record<string, JsonSchema> = schema.properties ?? {}
      const required: string[] = schema.required ?? []
      const keys = required.length || !schema.minProperties ? required : Object.keys(props).slice(0, schema.minProperties)
      return Object.fromEntries(keys.map((k) => [k, sampleValue(props[k], hint, k)]))
    }
    case 'array': return Array.isArray(schema.items) ? schema.items.map((s: JsonSchema) => sampleValue(s, hint, name)) : Array.from({ length: schema.minItems ?? 0 }, () => sampleValue(schema.items, hint, name))
    case 'integer': case 'number': return schema.minimum ?? 1
    case 'boolean': return false
    case 'null': return null
    case 'string': {
      if (schema.format === 'uuid') return '00000000-0000-4000-8000-000000000000'
      if (schema.format === 'date-time') return new Date(Date.now() + 7 * 86400_000).toISOString()
      if (schema.format === 'email') return 'sonde@example.org'
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1))
    }
    default: return 'x'
  }
}

/**
 * Run as the owner (no RLS): every row of one tenant that points at a row of another, through a foreign key
 * or an id written inside a JSON column. Found from the catalogue, so a table added later is checked too.
 */
export async function crossTenantReferences(ownerUrl: string): Promise<{ checked: number; rows: string[] }> {
  const pg = (await import('pg')).default
  const c = new pg.Client({ connectionString: ownerUrl })
  await c.connect()
  try {
    const tenantTables = new Set((await c.query<{ table_name: string }>(`select table_name from information_schema.columns where table_schema = 'public' and column_name = 'tenant_id'`)).rows.map((r) => r.table_name))
    // Each foreign key with its columns paired in order (a composite key is joined on all of its columns).
    const fks = (await c.query<{ child: string; cols: string[]; parent: string; pcols: string[] }>(`
      select c.conrelid::regclass::text as child, c.confrelid::regclass::text as parent,
        array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i) as cols,
        array(select a.attname::text from unnest(c.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i) as pcols
      from pg_constraint c where c.contype = 'f' and c.connamespace = 'public'::regnamespace`)).rows
    const rows: string[] = []
    let checked = 0
    for (const fk of fks) {
      if (!tenantTables.has(fk.child) || !tenantTables.has(fk.parent) || fk.cols.includes('tenant_id')) continue
      const on = fk.cols.map((col, i) => `y.${fk.pcols[i]} = x.${col}`).join(' and ')
      const r = await c.query(`select count(*)::int as n, (select count(*)::int from ${fk.child}) as total from ${fk.child} x join ${fk.parent} y on ${on} where x.tenant_id <> y.tenant_id`)
      checked += r.rows[0].total
      if (r.rows[0].n > 0) rows.push(`${fk.child}.${fk.cols.join(',')} → ${fk.parent}: ${r.rows[0].n} rows of another tenant`)
    }
    // Ids inside JSON (timeline data, outbox payloads) are not foreign keys: match them against every row id.
    const owners = new Map<string, string>()
    for (const table of tenantTables) {
      const hasId = (await c.query(`select 1 from information_schema.columns where table_schema = 'public' and table_name = $1 and column_name = 'id' and data_type = 'uuid'`, [table])).rowCount
      if (hasId) for (const r of (await c.query<{ id: string; tenant_id: string }>(`select id, tenant_id from ${table}`)).rows) owners.set(r.id, r.tenant_id)
    }
    const jsonCols = (await c.query<{ table_name: string; column_name: string }>(`select table_name, column_name from information_schema.columns where table_schema = 'public' and data_type in ('json', 'jsonb')`)).rows
    for (const col of jsonCols) {
      if (!tenantTables.has(col.table_name)) continue
      for (const r of (await c.query<{ tenant_id: string; v: string }>(`select tenant_id, ${col.column_name}::text as v from ${col.table_name}`)).rows) {
        checked++
        for (const id of r.v?.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? []) {
          const owner = owners.get(id)
          if (owner && owner !== r.tenant_id) rows.push(`${col.table_name}.${col.column_name}: holds ${id} of another tenant`)
        }
      }
    }
    return { checked, rows }
  } finally {
    await c.end()
  }
}
