import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { decodeCursor, page } from '@relais/db/paging'
import { ErrorBody, ListQuery, Page } from '../schemas/common.ts'

const Theme = Type.Object({ id: Type.String(), code: Type.String(), label: Type.String() })

/** What every logged-in person may read: the tenant's themes. */
export async function catalogueRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/themes', {
    onRequest: [app.authenticate],
    schema: { tags: ['annuaire'], summary: 'Les thèmes du département', security: [{ bearer: [] }], querystring: Type.Object({ ...ListQuery }), response: { 200: Page(Theme), 400: ErrorBody, 401: ErrorBody } },
  }, async (request) => {
    const limit = request.query.limit ?? 50
    const after = decodeCursor(request.query.cursor, 2)
    const rows = await app.tx(request, (trx) => {
      let q = trx.selectFrom('theme').select(['id', 'code', 'label']).where('active', '=', true)
      if (after) q = q.where((eb) => eb.or([eb('label', '>', String(after[0])), eb.and([eb('label', '=', String(after[0])), eb('id', '>', String(after[1]))])]))
      return q.orderBy('label').orderBy('id').limit(limit + 1).execute()
    })
    return page(rows, limit, (r) => [r.label, r.id])
  })
}
