import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { LoginThrottle } from '@relais/auth'
import { eraseSubject, exportSubject, findSubject, subjectAccessLog, subjectPdf, forwardAnswer, referralAccessLog, changePrivacySettings, printReceipt, privacySettings, trackReferral, TrackingThrottled } from '@relais/referrals'
import { ErrorBody, IdParams, errorResponses } from '../schemas/common.ts'
import { SubjectAccessLog, SubjectErased, SubjectExport, SubjectQuery, Subjects, ForwardBody, ForwardedAnswer, ReferralAccessLog, PrivacySettings, Receipt, Tracking, TrackingParams, TrackingQuery } from '../schemas/citizen.ts'

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

  // The rights of access and erasure (the mission TIC): a person by her address or her name; each action on the audit log.
  app.get('/privacy/subjects', {
    config: { access: 'privacy.subjects' },
    schema: {
      tags: ['données personnelles'], summary: 'Les saisines qui concernent une personne (par adresse électronique ou par nom)', security: [{ bearer: [] }],
      querystring: SubjectQuery, response: { 200: Subjects, ...errorResponses },
    },
  }, async (request) => app.tx(request, (trx) => findSubject(trx, request.principal!, request.query)))

  app.get('/privacy/subjects/export', {
    config: { access: 'privacy.subjects' },
    schema: {
      tags: ['données personnelles'], summary: 'Exporter les données d’une personne (droit d’accès) : JSON, ou PDF avec format=pdf', security: [{ bearer: [] }],
      querystring: Type.Object({ ...SubjectQuery.properties, format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('pdf')])) }, { additionalProperties: false }),
      response: { 200: SubjectExport, ...errorResponses },
    },
  }, async (request, reply) => {
    const { format = 'json', ...q } = request.query
    const x = await app.tx(request, (trx) => exportSubject(trx, request.principal!, q, app.clock(), format))
    const name = `donnees-personnelles-${x.exportedAt.slice(0, 10)}`
    if (format === 'pdf') {
      return reply.type('application/pdf').header('content-disposition', `attachment; filename="${name}.pdf"`).send(await subjectPdf(x) as never)
    }
    const { timeZone: _tz, ...body } = x
    return reply.header('content-disposition', `attachment; filename="${name}.json"`).send(body)
  })

  app.post('/privacy/subjects/erase', {
    config: { access: 'privacy.subjects' },
    schema: {
      tags: ['données personnelles'], summary: 'Effacer dès maintenant les données d’une personne (droit à l’effacement) ; ses demandes doivent être terminées', security: [{ bearer: [] }],
      body: SubjectQuery, response: { 200: SubjectErased, ...errorResponses },
    },
  }, async (request) => app.tx(request, (trx) => eraseSubject(trx, request.principal!, request.body, app.clock())))

  app.get('/privacy/subjects/access-log', {
    config: { access: 'privacy.subjects' },
    schema: {
      tags: ['données personnelles'], summary: 'Qui a affiché les données d’une personne (journal des accès de ses saisines)', security: [{ bearer: [] }],
      querystring: SubjectQuery, response: { 200: SubjectAccessLog, ...errorResponses },
    },
  }, async (request) => app.tx(request, (trx) => subjectAccessLog(trx, request.principal!, request.query)))

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
