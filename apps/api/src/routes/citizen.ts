import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { LoginThrottle } from '@relais/auth'
import { forwardAnswer, referralAccessLog, changePrivacySettings, printReceipt, privacySettings, trackReferral, TrackingThrottled } from '@relais/referrals'
import { ErrorBody, IdParams, errorResponses } from '../schemas/common.ts'
import { ForwardBody, ForwardedAnswer, ReferralAccessLog, PrivacySettings, Receipt, Tracking, TrackingParams, TrackingQuery } from '../schemas/citizen.ts'

// The citizen (issue 18): tracking without login, the acknowledgement of receipt, the tenant's privacy settings.
export async function citizenRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const guard = new LoginThrottle(app.redis, app.config.REDIS_PREFIX, 'tracking')

  app.get('/tracking/:reference', {
    config: { access: 'public' },
    schema: {
      tags: ['suivi'], summary: 'Suivre une demande avec sa référence et son code de suivi (sans connexion)',
      description: 'Une référence inconnue et un code faux reçoivent la même réponse (404) ; les erreurs répétées sont freinées (429).',
      params: TrackingParams, querystring: TrackingQuery, response: { 200: Tracking, 400: ErrorBody, 404: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    try {
      const { timeZone: _tz, ...tracking } = await trackReferral(app.db, guard, { reference: request.params.reference, code: request.query.code, ip: request.ip }, request.log)
      return tracking
    } catch (err) {
      if (err instanceof TrackingThrottled) reply.header('retry-after', String(err.retryAfterSeconds))
      throw err
    }
  })

  app.post('/referrals/:id/acknowledgement', {
    config: { access: 'referral.acknowledge' },
    schema: {
      tags: ['saisines'], summary: 'Accusé de réception à imprimer : un nouveau code de suivi remplace le précédent', security: [{ bearer: [] }],
      params: IdParams, response: { 200: Receipt, ...errorResponses },
    },
  }, async (request) => {
    const { timeZone: _tz, initial: _i, ...receipt } = await app.tx(request, (trx) => printReceipt(trx, request.principal!, request.params.id, app.clock()))
    return { ...receipt, trackingCode: receipt.trackingCode! }
  })

  app.post('/referrals/:id/forward-answer', {
    config: { access: 'referral.forward_answer' },
    schema: {
      tags: ['saisines'], summary: 'Transmettre la réponse écrite à l’usager, au nom de la mairie (courriel, ou lettre à imprimer)', security: [{ bearer: [] }],
      description: 'Sans réponse écrite : 409 no_written_answer. Par courriel quand l’usager a donné une adresse, sinon une lettre à imprimer ; la chronologie l’enregistre.',
      params: IdParams, body: ForwardBody, response: { 200: ForwardedAnswer, ...errorResponses },
    },
  }, async (request) => {
    const { timeZone: _tz, ...forwarded } = await app.tx(request, (trx) => forwardAnswer(trx, request.principal!, request.params.id, { channel: request.body?.channel }, app.clock()))
    return forwarded
  })

  app.get('/referrals/:id/access-log', {
    config: { access: 'referral.access_log' },
    schema: {
      tags: ['données personnelles'], summary: 'Qui a affiché les données de l’usager de cette saisine, et quand (journal des accès, le plus récent d’abord)', security: [{ bearer: [] }],
      params: IdParams, response: { 200: ReferralAccessLog, ...errorResponses },
    },
  }, async (request) => app.tx(request, (trx) => referralAccessLog(trx, request.principal!, request.params.id)))

  app.get('/privacy/settings', {
    config: { access: 'privacy.settings' },
    schema: { tags: ['données personnelles'], summary: 'Règles du département pour les données des usagers', security: [{ bearer: [] }], response: { 200: PrivacySettings, ...errorResponses } },
  }, async (request) => {
    const { own: _own, ...s } = await app.tx(request, (trx) => privacySettings(trx, request.principal!.tenantId))
    return s
  })

  app.put('/privacy/settings', {
    config: { access: 'privacy.settings' },
    schema: { tags: ['données personnelles'], summary: 'Modifier les règles du département pour les données des usagers', security: [{ bearer: [] }], body: PrivacySettings, response: { 200: PrivacySettings, ...errorResponses } },
  }, async (request) => {
    const { own: _own, ...s } = await app.tx(request, (trx) => changePrivacySettings(trx, request.principal!, request.body, app.clock()))
    return s
  })
}
