import { sql } from 'kysely'
import type { OrganisationRef, PersonRef, ThemeRef } from '@relais/core/directory'
import type { TenantTx, TerritoryKind } from '../index.ts'
import { after, changes, type Cursor } from './keyset.ts'

// Routing rules and coverage, scoped by tenant explicitly (RLS is the backstop).

/** Routing rules and coverage share a shape: theme × territory → organisation (and optionally a referent). */
export type AssignmentTable = 'routing_rule' | 'coverage'

export interface Assignment {
  id: string; themeId: string; themeCode: string; territoryKind: TerritoryKind; territoryCode: string
  organisationId: string; organisationName: string; personId: string | null; personEmail: string | null; active: boolean; createdAt: Date
}

function assignmentQuery(trx: TenantTx, table: AssignmentTable, tenantId: string) {
  // The two tables have the same columns; kysely's types are written for one of them.
  return trx.selectFrom(`${table} as a` as 'routing_rule as a')
    .innerJoin('theme as t', 't.id', 'a.theme_id')
    .innerJoin('organisation as o', 'o.id', 'a.organisation_id')
    .leftJoin('person as p', 'p.id', 'a.person_id')
    .select(['a.id', 'a.theme_id', 't.code as theme_code', 'a.territory_kind', 'a.territory_code', 'a.organisation_id',
      'o.name as organisation_name', 'a.person_id', 'p.email as person_email', 'a.active', 'a.created_at'])
    .where('a.tenant_id', '=', tenantId)
}

type AssignmentRow = Awaited<ReturnType<ReturnType<typeof assignmentQuery>['executeTakeFirstOrThrow']>>
const toAssignment = (r: AssignmentRow): Assignment => ({
  id: r.id, themeId: r.theme_id, themeCode: r.theme_code, territoryKind: r.territory_kind, territoryCode: r.territory_code,
  organisationId: r.organisation_id, organisationName: r.organisation_name, personId: r.person_id, personEmail: r.person_email ?? null,
  active: r.active, createdAt: r.created_at,
})

export interface AssignmentFilter {
  themeCode?: string; territoryKind?: TerritoryKind; territoryCode?: string; organisationId?: string; personId?: string; active?: boolean
}

export const ASSIGNMENT_ORDER = ['t.code', 'a.territory_kind', 'a.territory_code', 'a.id']
export const assignmentCursor = (a: Assignment) => [a.themeCode, a.territoryKind, a.territoryCode, a.id]

export async function listAssignments(trx: TenantTx, table: AssignmentTable, tenantId: string, f: AssignmentFilter, cursor: Cursor | undefined, limit: number | null): Promise<Assignment[]> {
  let q = assignmentQuery(trx, table, tenantId)
  if (f.themeCode) q = q.where('t.code', '=', f.themeCode)
  if (f.territoryKind) q = q.where('a.territory_kind', '=', f.territoryKind)
  if (f.territoryCode) q = q.where('a.territory_code', '=', f.territoryCode)
  if (f.organisationId) q = q.where('a.organisation_id', '=', f.organisationId)
  if (f.personId) q = q.where('a.person_id', '=', f.personId)
  if (f.active !== undefined) q = q.where('a.active', '=', f.active)
  if (cursor) q = q.where(after(ASSIGNMENT_ORDER, cursor))
  let ordered = q.orderBy('t.code').orderBy('a.territory_kind').orderBy('a.territory_code').orderBy('a.id')
  if (limit !== null) ordered = ordered.limit(limit + 1)
  return (await ordered.execute()).map(toAssignment)
}

export async function getAssignment(trx: TenantTx, table: AssignmentTable, tenantId: string, id: string): Promise<Assignment | undefined> {
  const r = await assignmentQuery(trx, table, tenantId).where('a.id', '=', id).executeTakeFirst()
  return r && toAssignment(r)
}

export interface AssignmentValues { themeId: string; territoryKind: TerritoryKind; territoryCode: string; organisationId: string; personId: string | null }

export async function insertAssignments(trx: TenantTx, table: AssignmentTable, tenantId: string, values: AssignmentValues[]): Promise<string[]> {
  if (values.length === 0) return []
  const ids: string[] = []
  // Chunked: one statement per 1,000 lines keeps the parameter count far below Postgres' limit.
  for (let i = 0; i < values.length; i += 1000) {
    const rows = await trx.insertInto(table as 'routing_rule').values(values.slice(i, i + 1000).map((v) => ({
      tenant_id: tenantId, theme_id: v.themeId, territory_kind: v.territoryKind, territory_code: v.territoryCode,
      organisation_id: v.organisationId, person_id: v.personId,
    }))).returning('id').execute()
    ids.push(...rows.map((r) => r.id))
  }
  return ids
}

export async function updateAssignment(trx: TenantTx, table: AssignmentTable, tenantId: string, id: string, v: Partial<AssignmentValues> & { active?: boolean }): Promise<Assignment> {
  const set = changes(v, {
    themeId: 'theme_id', territoryKind: 'territory_kind', territoryCode: 'territory_code', organisationId: 'organisation_id', personId: 'person_id', active: 'active',
  })
  if (Object.keys(set).length) await trx.updateTable(table as 'routing_rule').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).execute()
  return (await getAssignment(trx, table, tenantId, id))!
}

export async function deactivateAssignments(trx: TenantTx, table: AssignmentTable, tenantId: string, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 5000) {
    await trx.updateTable(table as 'routing_rule').set({ active: false }).where('tenant_id', '=', tenantId).where('id', 'in', ids.slice(i, i + 5000)).execute()
  }
}

/** Everything a CSV import resolves names against, loaded once per file. */
export interface DirectoryLookups {
  themes: Map<string, ThemeRef>
  organisationsById: Map<string, OrganisationRef>
  organisationsByName: Map<string, OrganisationRef[]>
  peopleByEmail: Map<string, PersonRef>
}

export const organisationNameKey = (name: string) => name.trim().toLocaleLowerCase('fr')

export async function directoryLookups(trx: TenantTx, tenantId: string): Promise<DirectoryLookups> {
  const themes = await trx.selectFrom('theme').select(['id', 'code', 'active']).where('tenant_id', '=', tenantId).execute()
  const orgs = await trx.selectFrom('organisation').select(['id', 'name', 'kind', 'status']).where('tenant_id', '=', tenantId).execute()
  const people = await trx.selectFrom('person').select(['id', 'email', 'organisation_id', 'role', 'active']).where('tenant_id', '=', tenantId).execute()
  const byName = new Map<string, OrganisationRef[]>()
  for (const o of orgs) byName.set(organisationNameKey(o.name), [...(byName.get(organisationNameKey(o.name)) ?? []), o])
  return {
    themes: new Map(themes.map((t) => [t.code, t])),
    organisationsById: new Map(orgs.map((o) => [o.id, o])),
    organisationsByName: byName,
    peopleByEmail: new Map(people.map((p) => [p.email, { id: p.id, email: p.email, organisationId: p.organisation_id, role: p.role, active: p.active }])),
  }
}

/** One import at a time per tenant and table: the second waits until the first commits, then replaces its result. */
export async function lockAssignmentImport(trx: TenantTx, table: AssignmentTable, tenantId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`${table}:${tenantId}`}))`.execute(trx)
}
