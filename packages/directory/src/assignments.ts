import { parse } from 'csv-parse/sync'
import { fromSpreadsheetCell, writeCsv } from '@relais/core/csv'
import { InvalidInput, authorizeRole, conflict, invalidFields, isUuid } from '@relais/core'
import {
  ASSIGNMENT_CSV_COLUMN, ASSIGNMENT_CSV_COLUMNS, assignmentCsvLine, assignmentHeaderIssue, assignmentIssues, duplicateIssues,
  type AssignmentField, type AssignmentInput, type CsvIssue, type CsvRecord, type OrganisationRef, type PersonRef,
} from '@relais/core/directory'
import type { TenantTx, TerritoryKind } from '@relais/db'
import * as repo from '@relais/db/repositories/assignments'
import type { Cursor } from '@relais/db/repositories/keyset'
import { organisationRef } from '@relais/db/repositories/organisations'
import { personRef } from '@relais/db/repositories/people'
import { tenantTerritory } from '@relais/db/repositories/territory'
import { themeByCode } from '@relais/db/repositories/themes'
import { missing, uniquely, type DirectoryActor } from './common.ts'
import { audit } from './audit.ts'

export type { Assignment, AssignmentFilter, AssignmentTable } from '@relais/db/repositories/assignments'
export { assignmentCursor } from '@relais/db/repositories/assignments'

// Routing rules and coverage: the same use cases, the same checks, one table each (mission TIC only).

/** An entry as people read it on the audit log. */
const assignmentLabel = (a: repo.Assignment) => `${a.themeCode} — ${a.territoryKind} ${a.territoryCode} → ${a.organisationName}${a.personEmail ? ` (${a.personEmail})` : ''}`

/** What makes two entries the same one: a routing rule per theme × territory, a coverage per organisation × referent × theme × territory. */
const KEY: Record<repo.AssignmentTable, (v: repo.AssignmentValues) => string> = {
  routing_rule: (v) => `${v.themeId}|${v.territoryKind}|${v.territoryCode}`,
  coverage: (v) => `${v.organisationId}|${v.personId ?? ''}|${v.themeId}|${v.territoryKind}|${v.territoryCode}`,
}
const DUPLICATE: Record<repo.AssignmentTable, string> = { routing_rule: 'Règle (thème et territoire)', coverage: 'Couverture' }
/** The CSV file's name, before the département's code. */
export const ASSIGNMENT_FILE: Record<repo.AssignmentTable, string> = { routing_rule: 'regles-de-routage', coverage: 'couverture' }

const API_FIELD: Record<AssignmentField, string> = {
  theme: 'themeCode', territoryKind: 'territoryKind', territoryCode: 'territoryCode', organisation: 'organisationId', person: 'personId',
}

export interface AssignmentFields { themeCode: string; territoryKind: string; territoryCode: string; organisationId: string; personId?: string | null }

const csvInvalid = (issues: CsvIssue[]) => new InvalidInput('csv_invalid',
  `Le fichier contient ${issues.length > 1 ? `${issues.length} erreurs` : 'une erreur'} : rien n’a été importé. Corrigez les lignes indiquées puis recommencez.`,
  issues.slice(0, 200))

const CSV_ERRORS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'Un guillemet ouvert n’est jamais fermé.',
  CSV_INVALID_CLOSING_QUOTE: 'Guillemet mal placé : une valeur entre guillemets doit être suivie d’un point-virgule ou d’une fin de ligne.',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'Guillemet mal placé : une valeur entre guillemets doit être suivie d’un point-virgule ou d’une fin de ligne.',
}

/** Reads `;`-separated UTF-8 (BOM allowed) into records that keep the number of the line where each starts. */
export function readCsv(text: string): CsvRecord[] {
  const bad = text.indexOf('\uFFFD')
  if (bad >= 0) {
    const line = text.slice(0, bad).split('\n').length
    throw csvInvalid([{ line, message: 'Le fichier doit être enregistré en UTF-8 (caractère illisible sur cette ligne).' }])
  }
  try {
    const rows = parse(text, { delimiter: ';', bom: true, info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as { record: string[]; info: { lines: number } }[]
    // info.lines is where a record ends; a quoted value may span lines.
    return rows.map(({ record, info }) => ({ line: info.lines - record.reduce((n, v) => n + (v.match(/\n/g)?.length ?? 0), 0), values: record.map(fromSpreadsheetCell) }))
  } catch (err) {
    const e = err as { code?: string; lines?: number }
    throw csvInvalid([{ line: e.lines ?? 1, message: CSV_ERRORS[e.code ?? ''] ?? 'Ligne illisible au format CSV (séparateur : point-virgule).' }])
  }
}

async function validated(trx: TenantTx, tenantId: string, given: AssignmentFields): Promise<repo.AssignmentValues> {
  const territory = await tenantTerritory(trx, tenantId)
  // The whole département needs no code: it can only be the tenant's own.
  const input = given.territoryKind === 'departement' && !given.territoryCode ? { ...given, territoryCode: territory.departement } : given
  const theme = await themeByCode(trx, tenantId, input.themeCode)
  const organisation = await organisationRef(trx, tenantId, input.organisationId)
  const person = input.personId ? await personRef(trx, tenantId, { id: input.personId }) : undefined
  const checked: AssignmentInput = { ...input, organisation: input.organisationId, person: input.personId ?? undefined }
  const issues = assignmentIssues(checked, { theme, organisation, person }, territory)
  if (issues.length) throw invalidFields(issues.map((i) => ({ path: API_FIELD[i.field], message: i.message })))
  return {
    themeId: theme!.id, territoryKind: input.territoryKind as TerritoryKind, territoryCode: input.territoryCode,
    organisationId: organisation!.id, personId: person?.id ?? null,
  }
}

async function found(trx: TenantTx, table: repo.AssignmentTable, actor: DirectoryActor, id: string): Promise<repo.Assignment> {
  const row = await repo.getAssignment(trx, table, actor.tenantId, id)
  if (!row) throw missing[table]()
  return row
}

export function listAssignments(trx: TenantTx, table: repo.AssignmentTable, actor: DirectoryActor, filter: repo.AssignmentFilter, after: Cursor | undefined, limit: number | null) {
  authorizeRole(actor, 'routing.read')
  return repo.listAssignments(trx, table, actor.tenantId, filter, after, limit)
}

export async function getAssignment(trx: TenantTx, table: repo.AssignmentTable, actor: DirectoryActor, id: string): Promise<repo.Assignment> {
  const row = await found(trx, table, actor, id)
  authorizeRole(actor, 'routing.read')
  return row
}

export async function createAssignment(trx: TenantTx, table: repo.AssignmentTable, actor: DirectoryActor, b: AssignmentFields): Promise<repo.Assignment> {
  authorizeRole(actor, 'directory.write')
  const values = await validated(trx, actor.tenantId, b)
  const [id] = await uniquely(repo.insertAssignments(trx, table, actor.tenantId, [values]))
  const row = (await repo.getAssignment(trx, table, actor.tenantId, id))!
  await audit(trx, actor, table, 'create', assignmentLabel(row), row.id, null, row)
  return row
}

export async function updateAssignment(trx: TenantTx, table: repo.AssignmentTable, actor: DirectoryActor, id: string, b: Partial<AssignmentFields>): Promise<repo.Assignment> {
  const current = await found(trx, table, actor, id)
  authorizeRole(actor, 'directory.write')
  if (!current.active) throw conflict('inactive', 'Cette entrée n’est plus en vigueur : créez-en une nouvelle.')
  const values = await validated(trx, actor.tenantId, {
    themeCode: b.themeCode ?? current.themeCode, territoryKind: b.territoryKind ?? current.territoryKind,
    territoryCode: b.territoryCode ?? current.territoryCode, organisationId: b.organisationId ?? current.organisationId,
    personId: b.personId === undefined ? current.personId : b.personId,
  })
  const row = await uniquely(repo.updateAssignment(trx, table, actor.tenantId, current.id, values))
  await audit(trx, actor, table, 'update', assignmentLabel(row), row.id, current, row)
  return row
}

/** Retired, the history is kept. */
export async function deactivateAssignment(trx: TenantTx, table: repo.AssignmentTable, actor: DirectoryActor, id: string): Promise<repo.Assignment> {
  const current = await found(trx, table, actor, id)
  authorizeRole(actor, 'directory.write')
  const row = await repo.updateAssignment(trx, table, actor.tenantId, current.id, { active: false })
  await audit(trx, actor, table, 'deactivate', assignmentLabel(row), row.id, current, row)
  return row
}

/** The entries in force as a CSV file (`;`, UTF-8 with BOM), one line per territory × theme, and its name. */
export async function exportAssignments(trx: TenantTx, table: repo.AssignmentTable, actor: DirectoryActor): Promise<{ csv: string; filename: string }> {
  authorizeRole(actor, 'routing.read')
  const rows = await repo.listAssignments(trx, table, actor.tenantId, { active: true }, undefined, null)
  const lookups = await repo.directoryLookups(trx, actor.tenantId)
  const { departement } = await tenantTerritory(trx, actor.tenantId)
  // An organisation is written by its name, which people can read, unless another one shares it.
  const orgLabel = (id: string, name: string) => ((lookups.organisationsByName.get(repo.organisationNameKey(name))?.length ?? 0) === 1 ? name : id)
  const csv = writeCsv(ASSIGNMENT_CSV_COLUMNS, rows.map((r) => [r.themeCode, r.territoryKind, r.territoryCode, orgLabel(r.organisationId, r.organisationName), r.personEmail]))
  return { csv, filename: `${ASSIGNMENT_FILE[table]}-${departement}.csv` }
}

/** Refuses a CSV file before any transaction opens: unreadable, or a wrong header. */
export function parseAssignmentCsv(actor: DirectoryActor, text: string): CsvRecord[] {
  authorizeRole(actor, 'routing.import')
  const records = readCsv(text)
  const headerIssue = assignmentHeaderIssue(records[0])
  if (headerIssue) throw csvInvalid([headerIssue])
  return records
}

/**
 * Replaces the entries in force by the file's: one wrong line and nothing is imported. Unchanged entries keep their
 * id (referrals may point at them); the others are replaced.
 */
export async function importAssignments(trx: TenantTx, table: repo.AssignmentTable, actor: DirectoryActor, records: CsvRecord[]) {
  authorizeRole(actor, 'routing.import')
  await repo.lockAssignmentImport(trx, table, actor.tenantId)
  const lookups = await repo.directoryLookups(trx, actor.tenantId)
  const territory = await tenantTerritory(trx, actor.tenantId)
  const key = KEY[table]
  const issues: CsvIssue[] = []
  const lines: (repo.AssignmentValues & { line: number })[] = []
  for (const record of records.slice(1)) {
    const parsed = assignmentCsvLine(record)
    if (Array.isArray(parsed)) { issues.push(...parsed); continue }
    let organisation: OrganisationRef | undefined
    let ambiguous = false
    if (isUuid(parsed.organisation)) organisation = lookups.organisationsById.get(parsed.organisation.toLowerCase())
    else {
      const named = lookups.organisationsByName.get(repo.organisationNameKey(parsed.organisation)) ?? []
      ambiguous = named.length > 1
      organisation = named.length === 1 ? named[0] : undefined
    }
    const person: PersonRef | undefined = parsed.person ? lookups.peopleByEmail.get(parsed.person.toLowerCase()) : undefined
    const theme = lookups.themes.get(parsed.themeCode)
    const lineIssues = assignmentIssues(parsed, { theme, organisation, person, organisationAmbiguous: ambiguous }, territory)
    if (lineIssues.length) { issues.push(...lineIssues.map((i) => ({ line: record.line, column: ASSIGNMENT_CSV_COLUMN[i.field], message: i.message }))); continue }
    lines.push({
      line: record.line, themeId: theme!.id, territoryKind: parsed.territoryKind as TerritoryKind, territoryCode: parsed.territoryCode,
      organisationId: organisation!.id, personId: person?.id ?? null,
    })
  }
  issues.push(...duplicateIssues(lines, key, DUPLICATE[table]))
  if (issues.length) throw csvInvalid(issues.sort((a, b) => a.line - b.line))

  const current = await repo.listAssignments(trx, table, actor.tenantId, { active: true }, undefined, null)
  const wanted = new Map(lines.map((l) => [key(l), l]))
  const same = (a: repo.AssignmentValues, b: repo.AssignmentValues) => a.organisationId === b.organisationId && a.personId === b.personId
  const kept = new Set<string>()
  const retired: string[] = []
  for (const c of current) {
    const k = key(c)
    const w = wanted.get(k)
    if (w && !kept.has(k) && same(w, c)) kept.add(k)
    else retired.push(c.id)
  }
  await repo.deactivateAssignments(trx, table, actor.tenantId, retired)
  const created = await uniquely(repo.insertAssignments(trx, table, actor.tenantId, lines.filter((l) => !kept.has(key(l)))))
  const result = { created: created.length, unchanged: kept.size, deactivated: retired.length }
  // One entry per import: what was in force before and after, line by line as people read them.
  const label = (a: repo.Assignment) => assignmentLabel(a)
  const after = await repo.listAssignments(trx, table, actor.tenantId, { active: true }, undefined, null)
  const retiredSet = new Set(retired)
  const createdSet = new Set(created)
  await audit(trx, actor, table, 'import', `Import CSV : ${result.created} créée(s), ${result.unchanged} inchangée(s), ${result.deactivated} retirée(s)`, null,
    null, { creees: after.filter((a) => createdSet.has(a.id)).map(label), retirees: current.filter((c) => retiredSet.has(c.id)).map(label) })
  return result
}
