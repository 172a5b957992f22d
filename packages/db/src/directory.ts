import { sql, type Expression, type SqlBool } from 'kysely'
import type { TenantTerritory, ThemeRef, OrganisationRef, PersonRef } from '@relais/core/directory'
import type { WeeklyHours } from '@relais/core'
import type { OrganisationKind, OrganisationStatus, Role, TerritoryKind } from './schema.ts'
import type { Tx } from './index.ts'

// Queries of the network's directory. Every query names its tenant even though RLS would filter
// anyway: the policy is the backstop, not the only wall. Rows come back in the API's camelCase shape.

export type Cursor = string[]

/** Keyset condition `(a, b, …) > (x, y, …)`: all sort keys ascending, the last one a unique id. */
function after(columns: string[], values: Cursor): Expression<SqlBool> {
  return sql<SqlBool>`(${sql.join(columns.map((c) => sql.ref(c)))}) > (${sql.join(values)})`
}

/** A text filter matches anywhere, case-insensitively; LIKE wildcards typed by the user are literal. */
export const containsPattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

export async function tenantTerritory(trx: Tx, tenantId: string): Promise<TenantTerritory> {
  const tenant = await trx.selectFrom('tenant').select('code').where('id', '=', tenantId).executeTakeFirstOrThrow()
  const rows = await trx.selectFrom('commune').select(['insee', 'epci_code']).where('departement', '=', tenant.code).execute()
  return {
    departement: tenant.code,
    communes: new Set(rows.map((r) => r.insee)),
    epcis: new Set(rows.flatMap((r) => (r.epci_code ? [r.epci_code] : []))),
  }
}

export async function communeOfDepartement(trx: Tx, tenantId: string, insee: string): Promise<boolean> {
  const row = await trx.selectFrom('commune').innerJoin('tenant', 'tenant.code', 'commune.departement')
    .select('commune.insee').where('tenant.id', '=', tenantId).where('commune.insee', '=', insee).executeTakeFirst()
  return !!row
}

// ---------------------------------------------------------------- organisations

export type OpeningHours = WeeklyHours
export interface Organisation {
  id: string; kind: OrganisationKind; name: string; shortName: string | null; communeInsee: string | null
  email: string | null; address: string | null; openingHours: OpeningHours | null; status: OrganisationStatus
  createdAt: Date; updatedAt: Date
}

const organisationColumns = ['id', 'kind', 'name', 'short_name', 'commune_insee', 'email', 'address', 'opening_hours', 'status', 'created_at', 'updated_at'] as const

function toOrganisation(r: { id: string; kind: OrganisationKind; name: string; short_name: string | null; commune_insee: string | null; email: string | null; address: string | null; opening_hours: unknown; status: OrganisationStatus; created_at: Date; updated_at: unknown }): Organisation {
  return {
    id: r.id, kind: r.kind, name: r.name, shortName: r.short_name, communeInsee: r.commune_insee, email: r.email,
    address: r.address, openingHours: (r.opening_hours as OpeningHours | null) ?? null, status: r.status, createdAt: r.created_at, updatedAt: r.updated_at as Date,
  }
}

export interface OrganisationFilter { kind?: OrganisationKind; status?: OrganisationStatus; q?: string; communeInsee?: string }

export async function listOrganisations(trx: Tx, tenantId: string, f: OrganisationFilter, cursor: Cursor | undefined, limit: number) {
  let q = trx.selectFrom('organisation').select(organisationColumns).where('tenant_id', '=', tenantId)
  if (f.kind) q = q.where('kind', '=', f.kind)
  if (f.status) q = q.where('status', '=', f.status)
  if (f.communeInsee) q = q.where('commune_insee', '=', f.communeInsee)
  if (f.q) q = q.where('name', 'ilike', containsPattern(f.q))
  if (cursor) q = q.where(after(['name', 'id'], cursor))
  const rows = await q.orderBy('name').orderBy('id').limit(limit + 1).execute()
  return rows.map(toOrganisation)
}

export async function getOrganisation(trx: Tx, tenantId: string, id: string): Promise<Organisation | undefined> {
  const row = await trx.selectFrom('organisation').select(organisationColumns).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
  return row && toOrganisation(row)
}

export interface OrganisationValues {
  kind: OrganisationKind; name: string; shortName?: string | null; communeInsee?: string | null; email?: string | null
  address?: string | null; openingHours?: OpeningHours | null; status?: OrganisationStatus
}

export async function insertOrganisation(trx: Tx, tenantId: string, v: OrganisationValues): Promise<Organisation> {
  const row = await trx.insertInto('organisation').values({
    tenant_id: tenantId, kind: v.kind, name: v.name, short_name: v.shortName ?? null, commune_insee: v.communeInsee ?? null,
    email: v.email ?? null, address: v.address ?? null, opening_hours: v.openingHours ? JSON.stringify(v.openingHours) : null,
    status: v.status ?? 'onboarding',
  }).returning(organisationColumns).executeTakeFirstOrThrow()
  return toOrganisation(row)
}

export async function updateOrganisation(trx: Tx, tenantId: string, id: string, v: Partial<Omit<OrganisationValues, 'kind'>>): Promise<Organisation> {
  const set: Record<string, unknown> = { updated_at: new Date() }
  if (v.name !== undefined) set.name = v.name
  if (v.shortName !== undefined) set.short_name = v.shortName
  if (v.communeInsee !== undefined) set.commune_insee = v.communeInsee
  if (v.email !== undefined) set.email = v.email
  if (v.address !== undefined) set.address = v.address
  if (v.openingHours !== undefined) set.opening_hours = v.openingHours === null ? null : JSON.stringify(v.openingHours)
  if (v.status !== undefined) set.status = v.status
  const row = await trx.updateTable('organisation').set(set).where('tenant_id', '=', tenantId).where('id', '=', id)
    .returning(organisationColumns).executeTakeFirstOrThrow()
  return toOrganisation(row)
}

// ---------------------------------------------------------------- people

export interface Person {
  id: string; organisationId: string; organisationName: string; email: string; name: string; role: Role; active: boolean
  absentFrom: Date | null; absentUntil: Date | null; backupPersonId: string | null; hasPassword: boolean
  emailBouncedAt: Date | null; createdAt: Date; updatedAt: Date
}

function peopleQuery(trx: Tx, tenantId: string) {
  return trx.selectFrom('person as p').innerJoin('organisation as o', 'o.id', 'p.organisation_id')
    .select(['p.id', 'p.organisation_id', 'o.name as organisation_name', 'p.email', 'p.name', 'p.role', 'p.active', 'p.absent_from',
      'p.absent_until', 'p.backup_person_id', 'p.email_bounced_at', 'p.created_at', 'p.updated_at'])
    .select(sql<boolean>`p.password_hash is not null`.as('has_password'))
    .where('p.tenant_id', '=', tenantId)
}

type PersonRow = Awaited<ReturnType<ReturnType<typeof peopleQuery>['executeTakeFirstOrThrow']>>
function toPerson(r: PersonRow): Person {
  return {
    id: r.id, organisationId: r.organisation_id, organisationName: r.organisation_name, email: r.email, name: r.name, role: r.role,
    active: r.active, absentFrom: r.absent_from, absentUntil: r.absent_until, backupPersonId: r.backup_person_id,
    hasPassword: r.has_password, emailBouncedAt: r.email_bounced_at, createdAt: r.created_at, updatedAt: r.updated_at as unknown as Date,
  }
}

export interface PersonFilter { organisationId?: string; role?: Role; active?: boolean; q?: string }

export async function listPeople(trx: Tx, tenantId: string, f: PersonFilter, cursor: Cursor | undefined, limit: number): Promise<Person[]> {
  let q = peopleQuery(trx, tenantId)
  if (f.organisationId) q = q.where('p.organisation_id', '=', f.organisationId)
  if (f.role) q = q.where('p.role', '=', f.role)
  if (f.active !== undefined) q = q.where('p.active', '=', f.active)
  if (f.q) { const pattern = containsPattern(f.q); q = q.where((eb) => eb.or([eb('p.name', 'ilike', pattern), eb('p.email', 'ilike', pattern)])) }
  if (cursor) q = q.where(after(['p.name', 'p.id'], cursor))
  const rows = await q.orderBy('p.name').orderBy('p.id').limit(limit + 1).execute()
  return rows.map(toPerson)
}

export async function getPerson(trx: Tx, tenantId: string, id: string): Promise<Person | undefined> {
  const row = await peopleQuery(trx, tenantId).where('p.id', '=', id).executeTakeFirst()
  return row && toPerson(row)
}

export interface PersonValues {
  organisationId: string; email: string; name: string; role: Role; passwordHash?: string | null
  absentFrom?: Date | null; absentUntil?: Date | null; backupPersonId?: string | null; active?: boolean
}

export async function insertPerson(trx: Tx, tenantId: string, v: PersonValues): Promise<Person> {
  const { id } = await trx.insertInto('person').values({
    tenant_id: tenantId, organisation_id: v.organisationId, email: v.email, name: v.name, role: v.role,
    password_hash: v.passwordHash ?? null, absent_from: v.absentFrom ?? null, absent_until: v.absentUntil ?? null,
    backup_person_id: v.backupPersonId ?? null,
  }).returning('id').executeTakeFirstOrThrow()
  return (await getPerson(trx, tenantId, id))!
}

export async function updatePerson(trx: Tx, tenantId: string, id: string, v: Partial<PersonValues> & { revokeSessions?: boolean }): Promise<Person> {
  const set: Record<string, unknown> = { updated_at: new Date() }
  if (v.organisationId !== undefined) set.organisation_id = v.organisationId
  if (v.email !== undefined) set.email = v.email
  if (v.name !== undefined) set.name = v.name
  if (v.role !== undefined) set.role = v.role
  if (v.passwordHash !== undefined) set.password_hash = v.passwordHash
  if (v.absentFrom !== undefined) set.absent_from = v.absentFrom
  if (v.absentUntil !== undefined) set.absent_until = v.absentUntil
  if (v.backupPersonId !== undefined) set.backup_person_id = v.backupPersonId
  if (v.active !== undefined) set.active = v.active
  if (v.revokeSessions) set.sessions_revoked_at = sql`now()`
  await trx.updateTable('person').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirstOrThrow()
  if (v.revokeSessions) {
    await trx.updateTable('refresh_session').set({ revoked_at: sql`now()` })
      .where('tenant_id', '=', tenantId).where('person_id', '=', id).where('revoked_at', 'is', null).execute()
  }
  return (await getPerson(trx, tenantId, id))!
}

/** The facts needed to accept someone as a backup or a referent. */
export async function personRef(trx: Tx, tenantId: string, by: { id: string } | { email: string }): Promise<PersonRef | undefined> {
  let q = trx.selectFrom('person').select(['id', 'email', 'organisation_id', 'role', 'active']).where('tenant_id', '=', tenantId)
  q = 'id' in by ? q.where('id', '=', by.id) : q.where('email', '=', by.email)
  const r = await q.executeTakeFirst()
  return r && { id: r.id, email: r.email, organisationId: r.organisation_id, role: r.role, active: r.active }
}

// ---------------------------------------------------------------- themes

export interface Theme { id: string; code: string; label: string; slaResponseMinutes: number | null; active: boolean }
const themeColumns = ['id', 'code', 'label', 'sla_response_minutes', 'active'] as const
const toTheme = (r: { id: string; code: string; label: string; sla_response_minutes: number | null; active: boolean }): Theme =>
  ({ id: r.id, code: r.code, label: r.label, slaResponseMinutes: r.sla_response_minutes, active: r.active })

export async function listThemes(trx: Tx, tenantId: string, f: { active?: boolean; q?: string }, cursor: Cursor | undefined, limit: number): Promise<Theme[]> {
  let q = trx.selectFrom('theme').select(themeColumns).where('tenant_id', '=', tenantId)
  if (f.active !== undefined) q = q.where('active', '=', f.active)
  if (f.q) { const pattern = containsPattern(f.q); q = q.where((eb) => eb.or([eb('label', 'ilike', pattern), eb('code', 'ilike', pattern)])) }
  if (cursor) q = q.where(after(['label', 'id'], cursor))
  return (await q.orderBy('label').orderBy('id').limit(limit + 1).execute()).map(toTheme)
}

export async function getTheme(trx: Tx, tenantId: string, id: string): Promise<Theme | undefined> {
  const r = await trx.selectFrom('theme').select(themeColumns).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
  return r && toTheme(r)
}

export async function themeByCode(trx: Tx, tenantId: string, code: string): Promise<ThemeRef | undefined> {
  return trx.selectFrom('theme').select(['id', 'code', 'active']).where('tenant_id', '=', tenantId).where('code', '=', code).executeTakeFirst()
}

export async function insertTheme(trx: Tx, tenantId: string, v: { code: string; label: string; slaResponseMinutes?: number | null }): Promise<Theme> {
  return toTheme(await trx.insertInto('theme').values({ tenant_id: tenantId, code: v.code, label: v.label, sla_response_minutes: v.slaResponseMinutes ?? null })
    .returning(themeColumns).executeTakeFirstOrThrow())
}

export async function updateTheme(trx: Tx, tenantId: string, id: string, v: { code?: string; label?: string; slaResponseMinutes?: number | null; active?: boolean }): Promise<Theme> {
  const set: Record<string, unknown> = {}
  if (v.code !== undefined) set.code = v.code
  if (v.label !== undefined) set.label = v.label
  if (v.slaResponseMinutes !== undefined) set.sla_response_minutes = v.slaResponseMinutes
  if (v.active !== undefined) set.active = v.active
  if (Object.keys(set).length === 0) return (await getTheme(trx, tenantId, id))!
  return toTheme(await trx.updateTable('theme').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).returning(themeColumns).executeTakeFirstOrThrow())
}

// ---------------------------------------------------------------- routing rules and coverage

/** Routing rules and coverage share a shape: theme × territory → organisation (and optionally a referent). */
export type AssignmentTable = 'routing_rule' | 'coverage'

export interface Assignment {
  id: string; themeId: string; themeCode: string; territoryKind: TerritoryKind; territoryCode: string
  organisationId: string; organisationName: string; personId: string | null; personEmail: string | null; active: boolean; createdAt: Date
}

function assignmentQuery(trx: Tx, table: AssignmentTable, tenantId: string) {
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

export async function listAssignments(trx: Tx, table: AssignmentTable, tenantId: string, f: AssignmentFilter, cursor: Cursor | undefined, limit: number | null): Promise<Assignment[]> {
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

export async function getAssignment(trx: Tx, table: AssignmentTable, tenantId: string, id: string): Promise<Assignment | undefined> {
  const r = await assignmentQuery(trx, table, tenantId).where('a.id', '=', id).executeTakeFirst()
  return r && toAssignment(r)
}

export interface AssignmentValues { themeId: string; territoryKind: TerritoryKind; territoryCode: string; organisationId: string; personId: string | null }

export async function insertAssignments(trx: Tx, table: AssignmentTable, tenantId: string, values: AssignmentValues[]): Promise<string[]> {
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

export async function updateAssignment(trx: Tx, table: AssignmentTable, tenantId: string, id: string, v: Partial<AssignmentValues> & { active?: boolean }): Promise<Assignment> {
  const set: Record<string, unknown> = {}
  if (v.themeId !== undefined) set.theme_id = v.themeId
  if (v.territoryKind !== undefined) set.territory_kind = v.territoryKind
  if (v.territoryCode !== undefined) set.territory_code = v.territoryCode
  if (v.organisationId !== undefined) set.organisation_id = v.organisationId
  if (v.personId !== undefined) set.person_id = v.personId
  if (v.active !== undefined) set.active = v.active
  if (Object.keys(set).length) await trx.updateTable(table as 'routing_rule').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).execute()
  return (await getAssignment(trx, table, tenantId, id))!
}

export async function deactivateAssignments(trx: Tx, table: AssignmentTable, tenantId: string, ids: string[]): Promise<void> {
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

export async function directoryLookups(trx: Tx, tenantId: string): Promise<DirectoryLookups> {
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

export async function organisationRef(trx: Tx, tenantId: string, id: string): Promise<OrganisationRef | undefined> {
  return trx.selectFrom('organisation').select(['id', 'name', 'kind', 'status']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
}
