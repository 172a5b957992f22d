import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { CONVENTION_KINDS } from '@relais/core/conventions'
import { getConvention, listConventions, publishConvention, type ConventionVersion } from '@relais/directory/conventions'
import { ErrorBody, IdParams } from '../schemas/common.ts'

// Issue 13: convention versions. The mission TIC publishes; org admins and the mission TIC read. A version never changes.

const Kind = Type.Enum([...CONVENTION_KINDS], { description: 'mairie, partner (organisme partenaire) ou msap (France services)' })
const DateTime = Type.Unsafe<Date | string>(Type.String({ format: 'date-time' }))
const Summary = {
  id: Type.String(), kind: Kind, version: Type.Integer(), title: Type.String(), sha256: Type.String({ description: 'SHA-256 du texte exact (UTF-8)' }),
  effectiveAt: DateTime, publishedAt: DateTime, publishedBy: Type.Union([Type.String(), Type.Null()]),
}
const Full = Type.Object({ ...Summary, body: Type.String({ description: 'Le texte exact, en Markdown' }), html: Type.String() })
const summary = (v: ConventionVersion) => ({ id: v.id, kind: v.kind, version: v.version, title: v.title, sha256: v.sha256, effectiveAt: v.effectiveAt, publishedAt: v.publishedAt, publishedBy: v.publishedBy })

export async function conventionRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  app.post('/conventions', {
    config: { access: 'convention.publish' },
    schema: {
      tags: ['conventions'], summary: 'Publie une nouvelle version de la convention d’un type d’organisme (mission TIC) ; elle ne changera plus',
      security: [{ bearer: [] }],
      body: Type.Object({ kind: Kind, title: Type.String({ minLength: 1, maxLength: 200 }), body: Type.String({ minLength: 1, maxLength: 200000 }), effectiveAt: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
      response: { 201: Full, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody },
    },
  }, async (request, reply) => {
    const v = await app.tx(request, (trx) => publishConvention(trx, request.principal!, { ...request.body, effectiveAt: new Date(request.body.effectiveAt) }, app.clock()))
    return reply.code(201).send(v)
  })

  app.get('/conventions', {
    config: { access: 'convention.read' },
    schema: {
      tags: ['conventions'], summary: 'Les versions publiées des conventions, par type d’organisme, la plus récente d’abord',
      security: [{ bearer: [] }], querystring: Type.Object({ kind: Type.Optional(Kind) }),
      response: { 200: Type.Object({ items: Type.Array(Type.Object(Summary)) }), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
    },
  }, async (request) => ({ items: (await app.tx(request, (trx) => listConventions(trx, request.principal!, request.query.kind))).map(summary) }))

  app.get('/conventions/:id', {
    config: { access: 'convention.read' },
    schema: {
      tags: ['conventions'], summary: 'Une version : son texte exact, son HTML et son empreinte SHA-256',
      security: [{ bearer: [] }], params: IdParams,
      response: { 200: Full, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
    },
  }, async (request) => app.tx(request, (trx) => getConvention(trx, request.principal!, request.params.id)))
}
