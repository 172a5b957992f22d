import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { ErrorBody } from '../schemas/common.ts'

export async function meRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/me', {
    onRequest: [app.authenticate],
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
  }, async (request) => app.tx(request, async (trx) => {
    const row = await trx.selectFrom('person as p')
      .innerJoin('organisation as o', 'o.id', 'p.organisation_id')
      .innerJoin('tenant as t', 't.id', 'p.tenant_id')
      .select(['p.id', 'p.email', 'p.name', 'p.role', 'o.id as org_id', 'o.name as org_name', 'o.kind', 'o.commune_insee', 't.id as tenant_id', 't.code', 't.name as tenant_name'])
      .where('p.id', '=', request.principal!.personId).executeTakeFirstOrThrow()
    return {
      person: { id: row.id, email: row.email, name: row.name },
      role: row.role,
      organisation: { id: row.org_id, name: row.org_name, kind: row.kind, communeInsee: row.commune_insee },
      tenant: { id: row.tenant_id, code: row.code, name: row.tenant_name },
    }
  }))
}
