import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { decodeCursor, page } from '@relais/db/paging'
import { ListQuery, errorResponses } from '../schemas/common.ts'

const Mail = Type.Object({
  id: Type.String(), kind: Type.String(), to: Type.String(), referralId: Type.Union([Type.String(), Type.Null()]),
  state: Type.String(), attempts: Type.Integer(), lastError: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(), sentAt: Type.Union([Type.String(), Type.Null()]), nextAttemptAt: Type.String(),
})

/** The mission TIC sees mails that failed or wait for a retry: nothing fails silently. */
export async function mailRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/mails', {
    onRequest: [app.authenticate], preValidation: [app.requireRole('network_admin')],
    schema: {
      tags: ['courriels'], summary: 'Courriels en échec ou en attente de nouvel essai', security: [{ bearer: [] }],
      querystring: Type.Object({ ...ListQuery, state: Type.Optional(Type.Union([Type.Literal('failed'), Type.Literal('pending'), Type.Literal('sent')])) }),
      response: { 200: Type.Object({ items: Type.Array(Mail), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
    },
  }, async (request) => {
    const limit = request.query.limit ?? 50
    const after = decodeCursor(request.query.cursor, 1)
    const rows = await app.tx(request, (trx) => {
      let q = trx.selectFrom('outbox').select(['id', 'kind', 'recipient_email', 'referral_id', 'attempts', 'last_error', 'created_at', 'sent_at', 'failed_at', 'next_attempt_at'])
      const state = request.query.state ?? 'failed'
      if (state === 'failed') q = q.where('failed_at', 'is not', null)
      else if (state === 'pending') q = q.where('sent_at', 'is', null).where('failed_at', 'is', null)
      else q = q.where('sent_at', 'is not', null)
      if (after) q = q.where('id', '<', String(after[0]))
      return q.orderBy('id', 'desc').limit(limit + 1).execute()
    })
    const result = page(rows, limit, (r) => [String(r.id)])
    return {
      nextCursor: result.nextCursor,
      items: result.items.map((r) => ({
        id: String(r.id), kind: r.kind, to: r.recipient_email, referralId: r.referral_id, attempts: r.attempts, lastError: r.last_error,
        state: r.sent_at ? 'sent' : r.failed_at ? 'failed' : 'pending', createdAt: r.created_at.toISOString(), sentAt: r.sent_at?.toISOString() ?? null, nextAttemptAt: r.next_attempt_at.toISOString(),
      })),
    }
  })
}
