import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { Conflict } from '@relais/core'
import { act, fileReferralSummary, getReferral, listReferrals } from '@relais/referrals'
import { IdParams, Insee, ListQuery, Uuid, errorResponses } from '../schemas/common.ts'
import { ACTIONS, Detail, FileBody, Filed, ListItem, Status } from '../schemas/referrals.ts'
import { SlotTaken } from '../schemas/appointments.ts'

export async function referralRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.post('/referrals', {
    config: { access: 'referral.file' },
    schema: { tags: ['saisines'], summary: 'Déposer une saisine pour un usager', security: [{ bearer: [] }], body: FileBody, response: { 201: Filed, ...errorResponses } },
  }, async (request, reply) => {
    const filed = await app.tx(request, (trx) => fileReferralSummary(trx, request.principal!, request.body, app.clock()))
    // After the commit, best effort: the partner's open inbox page shows it without a reload.
    await app.live.publish({ tenantId: request.principal!.tenantId, organisationId: filed.assignedOrganisation.id, id: filed.id, reference: filed.reference })
    return reply.code(201).send({ ...filed, dueAt: filed.dueAt?.toISOString() ?? null })
  })

  app.get('/referrals', {
    config: { access: 'referral.read' },
    schema: {
      tags: ['saisines'], summary: 'Les saisines visibles par la personne connectée', security: [{ bearer: [] }],
      querystring: Type.Object({ ...ListQuery, status: Type.Optional(Status), organisationId: Type.Optional(Uuid), themeCode: Type.Optional(Type.String({ maxLength: 50 })),
        communeInsee: Type.Optional(Insee), overdue: Type.Optional(Type.Boolean()), dueBefore: Type.Optional(Type.String({ format: 'date-time' })),
        q: Type.Optional(Type.String({ maxLength: 200, description: 'Recherche : chaque mot doit figurer dans la référence, le nom de l’usager, la question, le nom de l’organisme ou de la mairie, ou la commune (accents et majuscules ignorés).' })),
        open: Type.Optional(Type.Boolean({ description: 'Seulement les saisines dont le délai court (déposée, affectée, en attente de complément).' })),
        sort: Type.Optional(Type.Union([Type.Literal('newest'), Type.Literal('inbox'), Type.Literal('follow_up')], {
          description: 'newest : les plus récentes d’abord (par défaut). inbox : ce qui attend l’organisme (délai en cours, échéance la plus proche d’abord), puis les autres non terminées, puis les terminées. follow_up : celles qui attendent le complément de la mairie, puis les en retard (échéance la plus ancienne), puis les plus récentes.',
        })) }),
      response: { 200: Type.Object({ items: Type.Array(ListItem), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
    },
  }, async (request) => app.tx(request, (trx) => listReferrals(trx, request.principal!, { ...request.query, limit: request.query.limit ?? 50 }, app.clock())))

  app.get('/referrals/:id', {
    config: { access: 'referral.read' },
    schema: { tags: ['saisines'], summary: 'Une saisine et sa chronologie', security: [{ bearer: [] }], params: IdParams, response: { 200: Detail, ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => getReferral(trx, request.principal!, request.params.id, { logged: { via: 'api', at: app.clock() } })))

  for (const a of ACTIONS) {
    // Booking an appointment creates one (issue 14): 201, like any creation; the other actions change the referral (200).
    const booking = a.action === 'propose_appointment'
    app.post(`/referrals/:id/${a.path}`, {
      // The referral is looked up first (404 out of reach), then the state machine checks the role (403).
      config: { access: `referral.${a.action}`, afterLookup: true },
      schema: { tags: ['saisines'], summary: a.summary, security: [{ bearer: [] }], params: IdParams, body: a.body, response: { ...(booking ? { 201: Detail } : { 200: Detail }), ...errorResponses, ...(booking ? { 409: SlotTaken } : {}) } },
    }, async (request, reply) => {
      const now = app.clock()
      try {
        const detail = await app.tx(request, async (trx) => {
          await act(trx, request.principal!, request.params.id, a.action, (request.body ?? {}) as Record<string, string>, now)
          return getReferral(trx, request.principal!, request.params.id, { afterOwnAction: true, logged: { via: 'api', at: now } })
        })
        return reply.code(booking ? 201 : 200).send(detail as never)
      } catch (err) {
        // A slot taken meanwhile answers with the next free ones beside the error (issue 14).
        if (err instanceof Conflict && err.code === 'slot_taken') {
          const { alternatives } = err.details as { alternatives: unknown[] }
          return reply.code(409).send({ error: { code: err.code, message: err.message }, alternatives } as never)
        }
        throw err
      }
    })
  }
}

