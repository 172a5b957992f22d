import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { profileOf } from '@relais/directory'
import { ErrorBody } from '../schemas/common.ts'

export async function meRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/me', {
    config: { access: 'me.read' },
    schema: {
      tags: ['auth'], summary: 'La personne connectée, son organisation, son département et son rôle',
      security: [{ bearer: [] }],
      response: {
        200: Type.Object({
          person: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }),
          role: Type.String(),
          organisation: Type.Object({ id: Type.String(), name: Type.String(), kind: Type.String(), communeInsee: Type.Union([Type.String(), Type.Null()]) }),
          tenant: Type.Object({ id: Type.String(), code: Type.String(), name: Type.String() }),
        }),
        401: ErrorBody,
      },
    },
  }, async (request) => app.tx(request, (trx) => profileOf(trx, request.principal!)))
}
