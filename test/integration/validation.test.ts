import t from 'tap'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { accessToken, auth } from '../helpers/security.ts'

// JSON bodies are taken as typed: a number where text is expected is refused with the field's path, never converted.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })
const secretary = auth(await accessToken(app, 'secretaire@ardentes.demo'))
const tic = auth(await accessToken(app, 'tic@indre.demo'))

t.test('a JSON body with the wrong types is a 400 naming each field', async (t) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { themeCode: 'aides-caf', question: 42, citizen: { name: true, preferredChannel: 'counter' } } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error.code, 'validation_failed')
  t.same(res.json().error.details.map((d: { path: string }) => d.path).sort(), ['citizen.name', 'question'])
  const list = await app.inject({ url: '/api/v1/referrals', headers: secretary })
  t.equal(list.json().items.length, 0, 'nothing was filed')
})

t.test('a number given as text in a body is refused too', async (t) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/themes', headers: tic, payload: { code: 'types', label: 'Types', slaResponseMinutes: '60' } })
  t.equal(res.statusCode, 400)
  t.same(res.json().error.details.map((d: { path: string }) => d.path), ['slaResponseMinutes'])
})

t.test('query strings still convert numbers and booleans', async (t) => {
  const res = await app.inject({ url: '/api/v1/referrals?limit=5&overdue=false', headers: secretary })
  t.equal(res.statusCode, 200)
})

t.test('an SLA policy is checked field by field, then as a whole, by the rules of the SLA calendar', async (t) => {
  const base = { responseMinutes: 4320, clockMode: 'working_days', reminderBeforeMinutes: 480, escalations: [{ afterDueMinutes: 0, notify: ['org_admins'] }] }
  const late = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: tic, payload: { ...base, reminderBeforeMinutes: 5000 } })
  t.equal(late.statusCode, 400)
  t.same(late.json().error.details, [{ path: 'reminderBeforeMinutes', message: 'La relance doit précéder l’échéance.' }])
  const closed = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: tic, payload: { ...base, openingHours: {} } })
  t.equal(closed.statusCode, 400, 'a policy without a single opening hour is refused (reminders go out during opening hours)')
  t.equal(closed.json().error.code, 'invalid_sla_policy')
  t.match(closed.json().error.details.problems, [/au moins une plage d’ouverture/])
  const ok = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: tic, payload: { ...base, openingHours: { mon: [{ opens: '09:00', closes: '12:00' }] } } })
  t.equal(ok.statusCode, 200)
  t.same(ok.json().openingHours, { mon: [{ opens: '09:00', closes: '12:00' }] })
})
