import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorBody } from '../schemas/common.ts'

const TokenResponse = Type.Object({ accessToken: Type.String(), expiresIn: Type.Integer(), tokenType: Type.Literal('Bearer') })

// The session logic (throttling, rotation, revocation) lives in packages/auth, shared with the extranet pages.
export async function authRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const sessions = app.sessions

  app.post('/login', {
    config: { access: 'public' },
    schema: {
      tags: ['auth'], summary: 'Connexion par adresse électronique et mot de passe',
      body: Type.Object({ email: Type.String({ minLength: 3, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 256 }) }),
      response: { 200: TokenResponse, 400: ErrorBody, 401: ErrorBody, 429: ErrorBody },
    },
  }, async (request, reply) => sessions.login(request, reply, request.body))

  app.post('/refresh', {
    config: { access: 'public' },
    schema: { tags: ['auth'], summary: 'Renouvelle le jeton d’accès (cookie de session tournant)', response: { 200: TokenResponse, 401: ErrorBody } },
  }, async (request, reply) => sessions.refresh(request, reply))

  app.post('/logout', {
    config: { access: 'public' },
    schema: { tags: ['auth'], summary: 'Déconnexion : révoque la session', response: { 204: Type.Null() } },
  }, async (request, reply) => {
    await sessions.logout(request, reply)
    return reply.code(204).send(null)
  })
}
