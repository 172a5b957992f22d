import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { changeSlaPolicy, slaPolicyOf } from '@relais/referrals'
import { OpeningHours, errorResponses } from '../schemas/common.ts'

const Minutes = Type.Integer({ minimum: 0, maximum: 525600 })
const PolicyBody = Type.Object({
  responseMinutes: Type.Integer({ minimum: 1, maximum: 525600 }),
  clockMode: Type.Union([Type.Literal('calendar'), Type.Literal('working_days'), Type.Literal('business_hours')]),
  reminderBeforeMinutes: Minutes,
  escalations: Type.Array(Type.Object({ afterDueMinutes: Minutes, notify: Type.Array(Type.Union([Type.Literal('org_admins'), Type.Literal('backup'), Type.Literal('mission_tic')]), { minItems: 1, maxItems: 3 }) }, { additionalProperties: false }), { maxItems: 5 }),
  openingHours: Type.Optional(OpeningHours),
  infoReminderDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 60, description: 'Jours ouvrés après une demande de complément avant la relance de la mairie (5 par défaut)' })),
  infoCloseDays: Type.Optional(Type.Integer({ minimum: 2, maximum: 120, description: 'Jours ouvrés après la demande au-delà desquels le référent est prévenu et peut clôturer sans suite (10 par défaut)' })),
}, { additionalProperties: false })
const PolicyResponse = Type.Intersect([PolicyBody, Type.Object({ themeCode: Type.Union([Type.String(), Type.Null()]), inherited: Type.Boolean() })])

export async function slaPolicyRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  const tenant = (request: { principal?: { tenantId: string } }) => request.principal!.tenantId

  app.get('/sla-policy', { config: { access: 'sla_policy.read' }, schema: { tags: ['délais'], summary: 'La politique de délai du département', security: [{ bearer: [] }], response: { 200: PolicyResponse, ...errorResponses } } },
    async (request) => app.tx(request, (trx) => slaPolicyOf(trx, tenant(request), null)))
  app.put('/sla-policy', { config: { access: 'sla_policy.write' }, schema: { tags: ['délais'], summary: 'Modifier la politique de délai du département', security: [{ bearer: [] }], body: PolicyBody, response: { 200: PolicyResponse, ...errorResponses } } },
    async (request) => app.tx(request, (trx) => changeSlaPolicy(trx, tenant(request), null, request.body, app.clock(), request.principal!)))
  app.get('/sla-policy/themes/:code', { config: { access: 'sla_policy.read' }, schema: { tags: ['délais'], summary: 'La politique de délai d’un thème', security: [{ bearer: [] }], params: Type.Object({ code: Type.String({ maxLength: 50 }) }), response: { 200: PolicyResponse, ...errorResponses } } },
    async (request) => app.tx(request, (trx) => slaPolicyOf(trx, tenant(request), request.params.code)))
  app.put('/sla-policy/themes/:code', { config: { access: 'sla_policy.write' }, schema: { tags: ['délais'], summary: 'Modifier la politique de délai d’un thème', security: [{ bearer: [] }], params: Type.Object({ code: Type.String({ maxLength: 50 }) }), body: PolicyBody, response: { 200: PolicyResponse, ...errorResponses } } },
    async (request) => app.tx(request, (trx) => changeSlaPolicy(trx, tenant(request), request.params.code, request.body, app.clock(), request.principal!)))
}
