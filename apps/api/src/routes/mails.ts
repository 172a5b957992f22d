import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { listMails, resendMail } from '@relais/referrals'
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
    config: { access: 'mails.read' },
    schema: {
      tags: ['courriels'], summary: 'Courriels en échec ou en attente de nouvel essai', security: [{ bearer: [] }],
      querystring: Type.Object({ ...ListQuery, state: Type.Optional(Type.Union([Type.Literal('failed'), Type.Literal('pending'), Type.Literal('sent')])) }),
      response: { 200: Type.Object({ items: Type.Array(Mail), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
    },
  }, async (request) => app.tx(request, (trx) => listMails(trx, request.principal!.tenantId, { ...request.query, limit: request.query.limit ?? 50 })))

  app.post('/mails/:id/resend', {
    config: { access: 'mails.resend' },
    schema: {
      tags: ['courriels'], summary: 'Renvoyer un courriel en échec (nouvelle période d’essais)', security: [{ bearer: [] }],
      params: Type.Object({ id: Type.String({ maxLength: 40 }) }),
      response: { 200: Type.Object({ id: Type.String(), state: Type.Literal('pending') }), ...errorResponses },
    },
  }, async (request) => app.tx(request, (trx) => resendMail(trx, request.principal!.tenantId, request.params.id, app.clock())))
}
