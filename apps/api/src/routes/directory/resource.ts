import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Static, TSchema } from 'typebox'
import type { Action } from '@relais/core'
import type { DirectoryActor } from '@relais/directory/common'
import type { TenantTx } from '@relais/db'
import { page } from '@relais/db/paging'
import { IdParams, Page } from '../../schemas/common.ts'
import { actorOf, readCursor, readErrors, secured, writeErrors } from './common.ts'

/**
 * A directory resource as a table row: its path, schemas and use cases. `resourceRoutes` gives every resource the
 * same five routes (list, get, create, patch, deactivate): parse, call the use case, shape the answer.
 */
export interface Resource<Row, Query extends TSchema, Create extends TSchema, Patch extends TSchema, Prepared = undefined> {
  path: string
  /** The action of the access table each route serves; `afterLookup` where the use case checks once it has the row. */
  access: Record<'list' | 'get' | 'create' | 'patch' | 'deactivate', { access: Action; afterLookup?: true }>
  summaries: { list: string; get: string; create: string; patch: string; deactivate: string }
  schemas: { row: TSchema; query: Query; create: Create; patch: Patch }
  /** The sort key of a row, for the next page's cursor (its last value is the row's id), and its length. */
  cursor: (row: Row) => string[]
  cursorArity: number
  list(trx: TenantTx, actor: DirectoryActor, filter: Omit<Static<Query>, 'limit' | 'cursor'>, after: string[] | undefined, limit: number): Promise<Row[]>
  get(trx: TenantTx, actor: DirectoryActor, id: string): Promise<Row>
  /** Work before the creation's transaction opens (hashing a password), whose result create receives. */
  prepare?(actor: DirectoryActor, body: Static<Create>): Promise<Prepared>
  create(trx: TenantTx, actor: DirectoryActor, body: Static<Create>, prepared: Prepared): Promise<Row>
  update(trx: TenantTx, actor: DirectoryActor, id: string, body: Static<Patch>): Promise<Row>
  deactivate(trx: TenantTx, actor: DirectoryActor, id: string): Promise<Row>
}

export function resourceRoutes<Row, Query extends TSchema, Create extends TSchema, Patch extends TSchema, Prepared>(
  fastify: FastifyInstance, r: Resource<Row, Query, Create, Patch, Prepared>,
) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['annuaire']
  const { row, query, create, patch } = r.schemas

  app.get(r.path, {
    config: r.access.list,
    schema: { tags, summary: r.summaries.list, ...secured, querystring: query, response: { 200: Page(row), ...readErrors } },
  }, async (request) => {
    const actor = actorOf(request)
    const { limit = 50, cursor, ...filter } = request.query as Static<Query> & { limit?: number; cursor?: string }
    const rows = await app.tx(request, (trx) => r.list(trx, actor, filter, readCursor(cursor, r.cursorArity), limit))
    return page(rows, limit, r.cursor)
  })

  app.get(`${r.path}/:id`, {
    config: r.access.get,
    schema: { tags, summary: r.summaries.get, ...secured, params: IdParams, response: { 200: row, ...readErrors } },
  }, async (request) => {
    const actor = actorOf(request)
    return app.tx(request, (trx) => r.get(trx, actor, request.params.id))
  })

  app.post(r.path, {
    config: r.access.create,
    schema: { tags, summary: r.summaries.create, ...secured, body: create, response: { 201: row, ...writeErrors } },
  }, async (request, reply) => {
    const actor = actorOf(request)
    const body = request.body as Static<Create>
    const prepared = (r.prepare ? await r.prepare(actor, body) : undefined) as Prepared
    const created = await app.tx(request, (trx) => r.create(trx, actor, body, prepared))
    return reply.code(201).send(created)
  })

  app.patch(`${r.path}/:id`, {
    config: r.access.patch,
    schema: { tags, summary: r.summaries.patch, ...secured, params: IdParams, body: patch, response: { 200: row, ...writeErrors } },
  }, async (request) => {
    const actor = actorOf(request)
    return app.tx(request, (trx) => r.update(trx, actor, request.params.id, request.body as Static<Patch>))
  })

  app.post(`${r.path}/:id/deactivate`, {
    config: r.access.deactivate,
    schema: { tags, summary: r.summaries.deactivate, ...secured, params: IdParams, response: { 200: row, ...writeErrors } },
  }, async (request) => {
    const actor = actorOf(request)
    return app.tx(request, (trx) => r.deactivate(trx, actor, request.params.id))
  })
}
