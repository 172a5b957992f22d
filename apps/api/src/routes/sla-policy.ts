import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type, { type Static } from 'typebox'
import { DEFAULT_SLA_POLICY, fromMinuteRanges, invalidFields, openingHoursIssues, toMinuteRanges, weeklyMinutes, type WeeklyHours } from '@relais/core'
import { policyTheme, policyView, saveSlaPolicy } from '@relais/referrals'
import type { Tx } from '@relais/db'
import { OpeningHours, errorResponses } from '../schemas/common.ts'

const Minutes = Type.Integer({ minimum: 0, maximum: 525600 })
const PolicyBody = Type.Object({
  responseMinutes: Type.Integer({ minimum: 1, maximum: 525600 }),
  clockMode: Type.Union([Type.Literal('calendar'), Type.Literal('working_days'), Type.Literal('business_hours')]),
  reminderBeforeMinutes: Minutes,
  escalations: Type.Array(Type.Object({ afterDueMinutes: Minutes, notify: Type.Array(Type.Union([Type.Literal('org_admins'), Type.Literal('backup'), Type.Literal('mission_tic')]), { minItems: 1, maxItems: 3 }) }, { additionalProperties: false }), { maxItems: 5 }),
  openingHours: Type.Optional(OpeningHours),
}, { additionalProperties: false })
const PolicyResponse = Type.Intersect([PolicyBody, Type.Object({ themeCode: Type.Union([Type.String(), Type.Null()]), inherited: Type.Boolean() })])

/** Business hours so thin that the deadline lies years away: computing it walks day by day and would hold the process. */
const MAX_HORIZON_WEEKS = 104

function validate(body: { responseMinutes: number; clockMode?: string; reminderBeforeMinutes: number; escalations: { afterDueMinutes: number }[]; openingHours?: WeeklyHours }) {
  const details: { path: string; message: string }[] = []
  if (body.reminderBeforeMinutes >= body.responseMinutes && body.reminderBeforeMinutes > 0) details.push({ path: 'reminderBeforeMinutes', message: 'La relance doit précéder l’échéance.' })
  body.escalations.forEach((e, i) => { if (i > 0 && e.afterDueMinutes <= body.escalations[i - 1].afterDueMinutes) details.push({ path: `escalations.${i}.afterDueMinutes`, message: 'Les niveaux d’escalade doivent se suivre dans le temps.' }) })
  details.push(...openingHoursIssues(body.openingHours ?? {}))
  if (body.clockMode === 'business_hours' && body.openingHours && !details.length) {
    const weekly = weeklyMinutes(body.openingHours)
    const furthest = body.responseMinutes + Math.max(0, ...body.escalations.map((e) => e.afterDueMinutes))
    if (weekly === 0 || furthest / weekly > MAX_HORIZON_WEEKS) details.push({ path: 'openingHours', message: 'Trop peu d’heures d’ouverture pour ces délais : l’échéance tomberait à plus de deux ans.' })
  }
  if (details.length) throw invalidFields(details)
}

export async function slaPolicyRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()

  const show = async (trx: Tx, tenantId: string, theme: { id: string; code: string } | null) => {
    const { policy: p, inherited } = await policyView(trx, tenantId, theme?.id ?? null)
    return { responseMinutes: p.responseMinutes, clockMode: p.clockMode, reminderBeforeMinutes: p.reminderBeforeMinutes, escalations: p.escalations, openingHours: fromMinuteRanges(p.openingHours), themeCode: theme?.code ?? null, inherited }
  }
  const themeByCode = (trx: Tx, tenantId: string, code: string) => policyTheme(trx, tenantId, code)
  const save = async (trx: Tx, tenantId: string, theme: { id: string } | null, body: Static<typeof PolicyBody>) => {
    validate(body)
    const openingHours = body.openingHours ? toMinuteRanges(body.openingHours) : DEFAULT_SLA_POLICY.openingHours
    await saveSlaPolicy(trx, tenantId, theme?.id ?? null, { ...body, openingHours }, app.clock())
  }

  app.get('/sla-policy', { config: { access: 'sla_policy.read' }, schema: { tags: ['délais'], summary: 'La politique de délai du département', security: [{ bearer: [] }], response: { 200: PolicyResponse, ...errorResponses } } },
    async (request) => app.tx(request, (trx) => show(trx, request.principal!.tenantId, null)))
  app.put('/sla-policy', { config: { access: 'sla_policy.write' }, schema: { tags: ['délais'], summary: 'Modifier la politique de délai du département', security: [{ bearer: [] }], body: PolicyBody, response: { 200: PolicyResponse, ...errorResponses } } },
    async (request) => app.tx(request, async (trx) => { await save(trx, request.principal!.tenantId, null, request.body); return show(trx, request.principal!.tenantId, null) }))
  app.get('/sla-policy/themes/:code', { config: { access: 'sla_policy.read' }, schema: { tags: ['délais'], summary: 'La politique de délai d’un thème', security: [{ bearer: [] }], params: Type.Object({ code: Type.String({ maxLength: 50 }) }), response: { 200: PolicyResponse, ...errorResponses } } },
    async (request) => app.tx(request, async (trx) => show(trx, request.principal!.tenantId, await themeByCode(trx, request.principal!.tenantId, request.params.code))))
  app.put('/sla-policy/themes/:code', { config: { access: 'sla_policy.write' }, schema: { tags: ['délais'], summary: 'Modifier la politique de délai d’un thème', security: [{ bearer: [] }], params: Type.Object({ code: Type.String({ maxLength: 50 }) }), body: PolicyBody, response: { 200: PolicyResponse, ...errorResponses } } },
    async (request) => app.tx(request, async (trx) => { const t = await themeByCode(trx, request.principal!.tenantId, request.params.code); await save(trx, request.principal!.tenantId, t, request.body); return show(trx, request.principal!.tenantId, t) }))
}
