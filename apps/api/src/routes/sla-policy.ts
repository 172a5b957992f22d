import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type, { type Static } from 'typebox'
import { CLOCK_STATUSES, DEFAULT_SLA_POLICY, fromMinuteRanges, invalidFields, notFound, openingHoursIssues, toMinuteRanges, weeklyMinutes, type WeeklyHours } from '@relais/core'
import { loadPolicy, refreshSchedule } from '@relais/referrals'
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
  app.addHook('onRequest', app.authenticate)
  app.addHook('preValidation', app.requireRole('network_admin'))

  const show = async (trx: Tx, tenantId: string, theme: { id: string; code: string } | null) => {
    const p = await loadPolicy(trx, tenantId, theme?.id ?? null)
    const own = await trx.selectFrom('sla_policy').select('id').where((eb) => (theme ? eb('theme_id', '=', theme.id) : eb('theme_id', 'is', null))).executeTakeFirst()
    return { responseMinutes: p.responseMinutes, clockMode: p.clockMode, reminderBeforeMinutes: p.reminderBeforeMinutes, escalations: p.escalations, openingHours: fromMinuteRanges(p.openingHours), themeCode: theme?.code ?? null, inherited: !own }
  }
  const themeByCode = async (trx: Tx, code: string) => {
    const t = await trx.selectFrom('theme').select(['id', 'code']).where('code', '=', code).executeTakeFirst()
    if (!t) throw notFound('Ce thème')
    return t
  }
  /** Deadlines of open referrals are recomputed at once: paused time comes from their timelines. */
  const save = async (trx: Tx, tenantId: string, theme: { id: string } | null, body: Static<typeof PolicyBody>) => {
    validate(body)
    const values = { response_minutes: body.responseMinutes, clock_mode: body.clockMode, reminder_before_minutes: body.reminderBeforeMinutes, escalations: JSON.stringify(body.escalations), opening_hours: JSON.stringify(body.openingHours ? toMinuteRanges(body.openingHours) : DEFAULT_SLA_POLICY.openingHours), updated_at: app.clock() }
    const existing = await trx.selectFrom('sla_policy').select('id').where((eb) => (theme ? eb('theme_id', '=', theme.id) : eb('theme_id', 'is', null))).executeTakeFirst()
    if (existing) await trx.updateTable('sla_policy').set(values).where('id', '=', existing.id).execute()
    else await trx.insertInto('sla_policy').values({ tenant_id: tenantId, theme_id: theme?.id ?? null, ...values }).execute()
    let q = trx.selectFrom('referral').select('id').where('status', 'in', [...CLOCK_STATUSES]).where('sla_met_at', 'is', null)
    if (theme) q = q.where('theme_id', '=', theme.id)
    for (const r of await q.forUpdate().execute()) await refreshSchedule(trx, r.id)
  }

  app.get('/sla-policy', { schema: { tags: ['délais'], summary: 'La politique de délai du département', security: [{ bearer: [] }], response: { 200: PolicyResponse, ...errorResponses } } },
    async (request) => app.tx(request, (trx) => show(trx, request.principal!.tenantId, null)))
  app.put('/sla-policy', { schema: { tags: ['délais'], summary: 'Modifier la politique de délai du département', security: [{ bearer: [] }], body: PolicyBody, response: { 200: PolicyResponse, ...errorResponses } } },
    async (request) => app.tx(request, async (trx) => { await save(trx, request.principal!.tenantId, null, request.body); return show(trx, request.principal!.tenantId, null) }))
  app.get('/sla-policy/themes/:code', { schema: { tags: ['délais'], summary: 'La politique de délai d’un thème', security: [{ bearer: [] }], params: Type.Object({ code: Type.String({ maxLength: 50 }) }), response: { 200: PolicyResponse, ...errorResponses } } },
    async (request) => app.tx(request, async (trx) => show(trx, request.principal!.tenantId, await themeByCode(trx, request.params.code))))
  app.put('/sla-policy/themes/:code', { schema: { tags: ['délais'], summary: 'Modifier la politique de délai d’un thème', security: [{ bearer: [] }], params: Type.Object({ code: Type.String({ maxLength: 50 }) }), body: PolicyBody, response: { 200: PolicyResponse, ...errorResponses } } },
    async (request) => app.tx(request, async (trx) => { const t = await themeByCode(trx, request.params.code); await save(trx, request.principal!.tenantId, t, request.body); return show(trx, request.principal!.tenantId, t) }))
}
