import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ASSIGNMENT_CSV_COLUMNS } from '@relais/core/directory'
import * as assignments from '@relais/directory/assignments'
import { ErrorBody } from '../../schemas/common.ts'
import { Assignment, AssignmentCreate, AssignmentPatch, AssignmentQuery, ImportResult } from '../../schemas/directory.ts'
import { actorOf, secured } from './common.ts'
import { resourceRoutes } from './resource.ts'

/** French, for summaries. */
const KINDS: { table: assignments.AssignmentTable; path: string; one: string; all: string; many: string }[] = [
  { table: 'routing_rule', path: '/routing-rules', one: 'la règle de routage', all: 'toutes les règles de routage', many: 'Les règles de routage' },
  { table: 'coverage', path: '/coverage', one: 'la couverture', all: 'toute la couverture', many: 'La couverture des thèmes et territoires' },
]

/** Routing rules and coverage: the same routes, the same checks, one table each (mission TIC only). */
export async function assignmentRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['annuaire']

  // CSV bodies arrive as text; the parser is scoped to the directory's routes.
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_req, body, done) => done(null, body))

  for (const kind of KINDS) {
    const { table, path } = kind

    app.get(`${path}.csv`, {
      config: { access: 'routing.read' },
      schema: {
        tags, summary: `${kind.many} en vigueur, au format CSV (séparateur ;, UTF-8) : une ligne par territoire × thème`, ...secured,
        response: { 200: { description: ASSIGNMENT_CSV_COLUMNS.join(';'), content: { 'text/csv': { schema: Type.String() } } }, 401: ErrorBody, 403: ErrorBody },
      },
    }, async (request, reply) => {
      const actor = actorOf(request)
      const { csv, filename } = await app.tx(request, (trx) => assignments.exportAssignments(trx, table, actor))
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(csv)
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
      const records = assignments.parseAssignmentCsv(actor, typeof request.body === 'string' ? request.body : '')
      return app.tx(request, (trx) => assignments.importAssignments(trx, table, actor, records))
    })

    resourceRoutes(app, {
      path,
      access: {
        list: { access: 'routing.read' }, get: { access: 'routing.read', afterLookup: true }, create: { access: 'directory.write' },
        patch: { access: 'directory.write', afterLookup: true }, deactivate: { access: 'directory.write', afterLookup: true },
      },
      summaries: {
        list: `${kind.many} (mission TIC)`,
        get: `Une entrée : ${kind.one}`,
        create: `Ajoute ${kind.one} (mission TIC)`,
        patch: `Modifie ${kind.one} (mission TIC)`,
        deactivate: `Retire ${kind.one} (mission TIC) ; l’historique est gardé`,
      },
      schemas: { row: Assignment, query: AssignmentQuery, create: AssignmentCreate, patch: AssignmentPatch },
      cursor: assignments.assignmentCursor, cursorArity: 4,
      list: (trx, actor, filter, after, limit) => assignments.listAssignments(trx, table, actor, filter, after, limit),
      get: (trx, actor, id) => assignments.getAssignment(trx, table, actor, id),
      create: (trx, actor, b) => assignments.createAssignment(trx, table, actor, b),
      update: (trx, actor, id, b) => assignments.updateAssignment(trx, table, actor, id, b),
      deactivate: (trx, actor, id) => assignments.deactivateAssignment(trx, table, actor, id),
    })
  }
}
