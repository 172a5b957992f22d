import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ROLES } from '@relais/core/directory'
import { accountLinkKey } from '@relais/db/credentials'
import { changePassword, requestPasswordReset, ResetThrottled, useAccountLink } from '@relais/auth'
import { invitePerson } from '@relais/directory/invitations'
import { ErrorBody, IdParams } from '../schemas/common.ts'

// Issue 13: invitations, forgotten password, and one's own password. The use cases are packages/directory
// (invitations) and packages/auth (links, passwords); these routes parse and shape the answer.

const TokenResponse = Type.Object({ accessToken: Type.String(), expiresIn: Type.Integer(), tokenType: Type.Literal('Bearer') })
const Password = Type.String({ minLength: 1, maxLength: 256 })
const LinkToken = Type.String({ minLength: 1, maxLength: 300, description: 'Le jeton du lien reçu par courriel (paramètre « jeton »)' })
const DateTime = Type.Unsafe<Date | string>(Type.String({ format: 'date-time' }))

export const RESET_ANSWER = 'Si un compte existe à cette adresse, un courriel vient d’y être envoyé avec un lien pour choisir un nouveau mot de passe (valable une heure).'

export async function accountRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const linkKey = accountLinkKey(app.config.JWT_SECRET)

  app.post('/organisations/:id/invitations', {
    config: { access: 'people.invite' },
    schema: {
      tags: ['directory'], summary: 'Invite une personne : un courriel lui permet de choisir son mot de passe (lien valable 7 jours, à usage unique ; une nouvelle invitation annule la précédente)',
      security: [{ bearer: [] }], params: IdParams,
      body: Type.Object({
        email: Type.String({ format: 'email', maxLength: 254 }), name: Type.String({ minLength: 1, maxLength: 200 }), role: Type.Enum([...ROLES]),
      }, { additionalProperties: false }),
      response: {
        201: Type.Object({ personId: Type.String(), email: Type.String(), name: Type.String(), role: Type.String(), expiresAt: DateTime, renewed: Type.Boolean() }),
        400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody,
      },
    },
  }, async (request, reply) => {
    const invitation = await app.tx(request, (trx) => invitePerson(trx, request.principal!, request.params.id, request.body, { linkKey, now: app.clock() }))
    const { person } = invitation
    return reply.code(201).send({ personId: person.id, email: person.email, name: person.name, role: person.role, expiresAt: invitation.expiresAt, renewed: invitation.renewed })
  })

  app.post('/auth/invitations/accept', {
    config: { access: 'public' },
    schema: {
      tags: ['auth'], summary: 'Accepte une invitation : choisit son mot de passe et ouvre une session',
      body: Type.Object({ token: LinkToken, password: Password }, { additionalProperties: false }),
      response: { 200: TokenResponse, 400: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    const { email } = await useAccountLink(app.db, request.body, 'invitation', app.clock())
    return app.sessions.login(request, reply, { email, password: request.body.password })
  })

  app.post('/auth/password-reset', {
    config: { access: 'public' },
    schema: {
      tags: ['auth'], summary: 'Mot de passe oublié : envoie un lien (valable une heure) si un compte existe ; la réponse est la même sinon',
      body: Type.Object({ email: Type.String({ minLength: 3, maxLength: 254 }) }, { additionalProperties: false }),
      response: { 202: Type.Object({ message: Type.String() }), 400: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    try {
      await requestPasswordReset({ db: app.db, redis: app.redis, redisPrefix: app.config.REDIS_PREFIX, linkKey, now: app.clock }, { email: request.body.email, ip: request.ip }, request.log)
    } catch (err) {
      if (err instanceof ResetThrottled) reply.header('retry-after', String(err.retryAfterSeconds))
      throw err
    }
    return reply.code(202).send({ message: RESET_ANSWER })
  })

  app.post('/auth/password-reset/confirm', {
    config: { access: 'public' },
    schema: {
      tags: ['auth'], summary: 'Choisit un nouveau mot de passe avec le lien reçu : toutes les sessions sont fermées, une nouvelle est ouverte',
      body: Type.Object({ token: LinkToken, password: Password }, { additionalProperties: false }),
      response: { 200: TokenResponse, 400: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => {
    const { email } = await useAccountLink(app.db, request.body, 'password_reset', app.clock())
    return app.sessions.login(request, reply, { email, password: request.body.password })
  })

  app.post('/me/password', {
    config: { access: 'account.password' },
    schema: {
      tags: ['auth'], summary: 'Change son mot de passe (l’actuel est demandé) ; toutes ses sessions sont fermées',
      security: [{ bearer: [] }],
      body: Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false }),
      response: { 204: Type.Null(), 400: ErrorBody, 401: ErrorBody },
    },
  }, async (request, reply) => {
    await app.tx(request, (trx) => changePassword(trx, request.principal!, request.body))
    return reply.code(204).send(null)
  })
}
