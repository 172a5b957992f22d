import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { parse } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'
import { InvalidInput, authorizeRole, conflict } from '@relais/core'
import {
  ASSIGNMENT_CSV_COLUMN, ASSIGNMENT_CSV_COLUMNS, assignmentCsvLine, assignmentHeaderIssue, assignmentIssues, duplicateIssues,
  type AssignmentField, type AssignmentInput, type CsvIssue, type CsvRecord, type OrganisationRef, type PersonRef,
} from '@relais/core/directory'
import { sql, type TerritoryKind, type Tx } from '@relais/db'
import { page } from '@relais/db/paging'
import {
  assignmentCursor, deactivateAssignments, directoryLookups, getAssignment, insertAssignments, listAssignments, organisationNameKey,
  organisationRef, personRef, tenantTerritory, themeByCode, updateAssignment, type AssignmentTable, type AssignmentValues,
} from '@relais/db/directory'
import { ErrorBody, IdParams, Page } from '../../schemas/common.ts'
import { Assignment, AssignmentCreate, AssignmentPatch, AssignmentQuery, ImportResult } from '../../schemas/directory.ts'
import { UUID, actorOf, invalidFields, missing, readCursor, readErrors, secured, uniquely, writeErrors } from './common.ts'

const API_FIELD: Record<AssignmentField, string> = {
  theme: 'themeCode', territoryKind: 'territoryKind', territoryCode: 'territoryCode', organisation: 'organisationId', person: 'personId',
}

interface Kind {
  table: AssignmentTable
  path: string
  tag: string
  /** French, for summaries and messages. */
  one: string
  all: string
  many: string
  file: string
  /** What makes two entries the same one: a routing rule per theme × territory, a coverage per organisation × referent × theme × territory. */
  key(v: AssignmentValues): string
}

const KINDS: Kind[] = [
  {
    table: 'routing_rule', path: '/routing-rules', tag: 'annuaire', one: 'la règle de routage', all: 'toutes les règles de routage', many: 'Les règles de routage', file: 'regles-de-routage',
    key: (v) => `${v.themeId}|${v.territoryKind}|${v.territoryCode}`,
  },
  {
    table: 'coverage', path: '/coverage', tag: 'annuaire', one: 'la couverture', all: 'toute la couverture', many: 'La couverture des thèmes et territoires', file: 'couverture',
    key: (v) => `${v.organisationId}|${v.personId ?? ''}|${v.themeId}|${v.territoryKind}|${v.territoryCode}`,
  },
]

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
    return rows.map(({ record, info }) => ({ line: info.lines - record.reduce((n, v) => n + (v.match(/\n/g)?.length ?? 0), 0), values: record }))
  } catch (err) {
    const e = err as { code?: string; lines?: number }
    throw csvInvalid([{ line: e.lines ?? 1, message: CSV_ERRORS[e.code ?? ''] ?? 'Ligne illisible au format CSV (séparateur : point-virgule).' }])
  }
}

/** Routing rules and coverage: the same routes, the same checks, one table each (mission TIC only). */
export async function assignmentRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  // CSV bodies arrive as text; the parser is scoped to the directory's routes.
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_req, body, done) => done(null, body))

  for (const kind of KINDS) {
    const { table, path, tag } = kind
    const tags = [tag]
    const notFound = missing[table]

    async function validated(trx: Tx, tenantId: string, input: AssignmentInput & { organisationId: string; personId?: string | null }): Promise<AssignmentValues> {
      const theme = await themeByCode(trx, tenantId, input.themeCode)
      const organisation = await organisationRef(trx, tenantId, input.organisationId)
      const person = input.personId ? await personRef(trx, tenantId, { id: input.personId }) : undefined
      const issues = assignmentIssues(input, { theme, organisation, person }, await tenantTerritory(trx, tenantId))
      if (issues.length) throw invalidFields(issues.map((i) => ({ path: API_FIELD[i.field], message: i.message })))
      return {
        themeId: theme!.id, territoryKind: input.territoryKind as TerritoryKind, territoryCode: input.territoryCode,
        organisationId: organisation!.id, personId: person?.id ?? null,
      }
    }

    app.get(path, {
      config: { access: 'routing.read' },
      schema: { tags, summary: `${kind.many} (mission TIC)`, ...secured, querystring: AssignmentQuery, response: { 200: Page(Assignment), ...readErrors } },
    }, async (request) => {
      const actor = actorOf(request)
      const { limit = 50, cursor, ...filter } = request.query
      const after = readCursor(cursor, 4)
      const rows = await app.tx(request, (trx) => listAssignments(trx, table, actor.tenantId, filter, after, limit))
      return page(rows, limit, assignmentCursor)
    })

    app.get(`${path}.csv`, {
      config: { access: 'routing.read' },
      schema: {
        tags, summary: `${kind.many} en vigueur, au format CSV (séparateur ;, UTF-8) : une ligne par territoire × thème`, ...secured,
        response: { 200: { description: ASSIGNMENT_CSV_COLUMNS.join(';'), content: { 'text/csv': { schema: Type.String() } } }, 401: ErrorBody, 403: ErrorBody },
      },
    }, async (request, reply) => {
      const actor = actorOf(request)
      const { rows, lookups, departement } = await app.tx(request, async (trx) => ({
        rows: await listAssignments(trx, table, actor.tenantId, { active: true }, undefined, null),
        lookups: await directoryLookups(trx, actor.tenantId),
        departement: (await tenantTerritory(trx, actor.tenantId)).departement,
      }))
      // An organisation is written by its name, which people can read, unless another one shares it.
      const orgLabel = (id: string, name: string) => ((lookups.organisationsByName.get(organisationNameKey(name))?.length ?? 0) === 1 ? name : id)
      const csv = stringify(rows.map((r) => [r.themeCode, r.territoryKind, r.territoryCode, orgLabel(r.organisationId, r.organisationName), r.personEmail ?? '']), {
        delimiter: ';', bom: true, header: true, columns: [...ASSIGNMENT_CSV_COLUMNS], record_delimiter: '\r\n',
      })
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${kind.file}-${departement}.csv"`).send(csv)
    })

    app.post(`${path}/import`, {
      config: { access: 'routing.import' },
      bodyLimit: 10 * 1024 * 1024,
      schema: {
        tags, summary: `Remplace ${kind.all} en vigueur par le contenu d’un fichier CSV ; une ligne fausse et rien n’est importé`,
        description: `Colonnes : ${ASSIGNMENT_CSV_COLUMNS.join(';')} (la dernière facultative). La colonne organisation accepte le nom ou l’identifiant.`,
        ...secured, body: { content: { 'text/csv': { schema: Type.String() } } },
        response: { 200: ImportResult, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    }, async (request) => {
      const actor = actorOf(request)
      const records = readCsv(typeof request.body === 'string' ? request.body : '')
      const headerIssue = assignmentHeaderIssue(records[0])
      if (headerIssue) throw csvInvalid([headerIssue])
      return app.tx(request, async (trx) => {
        // One import at a time per tenant and table: the second waits and then replaces the first's result.
        await sql`select pg_advisory_xact_lock(hashtext(${`${table}:${actor.tenantId}`}))`.execute(trx)
        const lookups = await directoryLookups(trx, actor.tenantId)
        const territory = await tenantTerritory(trx, actor.tenantId)
        const issues: CsvIssue[] = []
        const lines: (AssignmentValues & { line: number })[] = []
        for (const record of records.slice(1)) {
          const parsed = assignmentCsvLine(record)
          if (Array.isArray(parsed)) { issues.push(...parsed); continue }
          let organisation: OrganisationRef | undefined
          let ambiguous = false
          if (UUID.test(parsed.organisation)) organisation = lookups.organisationsById.get(parsed.organisation.toLowerCase())
          else {
            const named = lookups.organisationsByName.get(organisationNameKey(parsed.organisation)) ?? []
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
        issues.push(...duplicateIssues(lines, kind.key, table === 'routing_rule' ? 'Règle (thème et territoire)' : 'Couverture'))
        if (issues.length) throw csvInvalid(issues.sort((a, b) => a.line - b.line))

        // Unchanged entries keep their id (referrals may point at them); the others are replaced.
        const current = await listAssignments(trx, table, actor.tenantId, { active: true }, undefined, null)
        const wanted = new Map(lines.map((l) => [kind.key(l), l]))
        const same = (a: AssignmentValues, b: AssignmentValues) => a.organisationId === b.organisationId && a.personId === b.personId
        const kept = new Set<string>()
        const retired: string[] = []
        for (const c of current) {
          const k = kind.key(c)
          const w = wanted.get(k)
          if (w && !kept.has(k) && same(w, c)) kept.add(k)
          else retired.push(c.id)
        }
        await deactivateAssignments(trx, table, actor.tenantId, retired)
        const created = await uniquely(insertAssignments(trx, table, actor.tenantId, lines.filter((l) => !kept.has(kind.key(l)))))
        return { created: created.length, unchanged: kept.size, deactivated: retired.length }
      })
    })

    app.get(`${path}/:id`, {
      config: { access: 'routing.read', afterLookup: true },
      schema: { tags, summary: `Une entrée : ${kind.one}`, ...secured, params: IdParams, response: { 200: Assignment, ...readErrors } },
    }, async (request) => {
      const actor = actorOf(request)
      const row = await app.tx(request, (trx) => getAssignment(trx, table, actor.tenantId, request.params.id))
      if (!row) throw notFound()
      authorizeRole(actor, 'routing.read')
      return row
    })

    app.post(path, {
      config: { access: 'directory.write' },
      schema: { tags, summary: `Ajoute ${kind.one} (mission TIC)`, ...secured, body: AssignmentCreate, response: { 201: Assignment, ...writeErrors } },
    }, async (request, reply) => {
      const actor = actorOf(request)
      const b = request.body
      const row = await app.tx(request, async (trx) => {
        const values = await validated(trx, actor.tenantId, { ...b, organisation: b.organisationId, person: b.personId ?? undefined })
        const [id] = await uniquely(insertAssignments(trx, table, actor.tenantId, [values]))
        return (await getAssignment(trx, table, actor.tenantId, id))!
      })
      return reply.code(201).send(row)
    })

    app.patch(`${path}/:id`, {
      config: { access: 'directory.write', afterLookup: true },
      schema: { tags, summary: `Modifie ${kind.one} (mission TIC)`, ...secured, params: IdParams, body: AssignmentPatch, response: { 200: Assignment, ...writeErrors } },
    }, async (request) => {
      const actor = actorOf(request)
      const b = request.body
      return app.tx(request, async (trx) => {
        const current = await getAssignment(trx, table, actor.tenantId, request.params.id)
        if (!current) throw notFound()
        authorizeRole(actor, 'directory.write')
        if (!current.active) throw conflict('inactive', 'Cette entrée n’est plus en vigueur : créez-en une nouvelle.')
        const next = {
          themeCode: b.themeCode ?? current.themeCode, territoryKind: b.territoryKind ?? current.territoryKind,
          territoryCode: b.territoryCode ?? current.territoryCode, organisationId: b.organisationId ?? current.organisationId,
          personId: b.personId === undefined ? current.personId : b.personId,
        }
        const values = await validated(trx, actor.tenantId, { ...next, organisation: next.organisationId, person: next.personId ?? undefined })
        return uniquely(updateAssignment(trx, table, actor.tenantId, current.id, values))
      })
    })

    app.post(`${path}/:id/deactivate`, {
      config: { access: 'directory.write', afterLookup: true },
      schema: { tags, summary: `Retire ${kind.one} (mission TIC) ; l’historique est gardé`, ...secured, params: IdParams, response: { 200: Assignment, ...writeErrors } },
    }, async (request) => {
      const actor = actorOf(request)
      return app.tx(request, async (trx) => {
        const current = await getAssignment(trx, table, actor.tenantId, request.params.id)
        if (!current) throw notFound()
        authorizeRole(actor, 'directory.write')
        return updateAssignment(trx, table, actor.tenantId, current.id, { active: false })
      })
    })
  }
}
