import t from 'tap'
import pino from 'pino'
import { buildApp } from '@relais/api/app'
import { startWorker } from '@relais/worker/worker'
import { MailSink } from '@relais/mail/sink'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock, sampleReferral } from '../helpers/journey.ts'

// A 2-minute policy, counted 24/7, with mails allowed at any hour: the reminder after 1 minute, the first
// escalation at the deadline (org admins and the referent's backup), the second 1 minute later (mission TIC).
const allDay = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ opens: '00:00', closes: '24:00' }]]))
const policy = { responseMinutes: 2, clockMode: 'calendar', reminderBeforeMinutes: 1, openingHours: allDay,
  escalations: [{ afterDueMinutes: 0, notify: ['org_admins', 'backup'] }, { afterDueMinutes: 1, notify: ['mission_tic'] }] }

const sink = new MailSink({ httpPort: null, smtpPort: 0 })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl })
const clock = manualClock('2026-11-28T22:00:00Z') // a Saturday night: the calendar clock and the 24/7 window still run
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const worker = await startWorker(env.config, { clock: clock.now, relayIntervalMs: 50, sweepIntervalMs: 100, log: pino({ level: 'silent' }) })
t.teardown(async () => { await worker.close(); await app.close(); await sink.stop(); await env.drop() })

const settle = () => new Promise((r) => setTimeout(r, 600))

t.test('2-minute policy: reminder, then both escalation levels, each mail exactly once', async (t) => {
  const admin = await bearer(app, 'tic@indre.demo')
  const put = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: admin, payload: policy })
  t.equal(put.statusCode, 200, put.body)
  const filed = (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: await bearer(app, 'secretaire@ardentes.demo'), payload: sampleReferral })).json()
  t.equal(filed.dueAt, '2026-11-28T22:02:00.000Z')
  await sink.waitFor((m) => m.to.includes('referent@caf36.demo') && m.headers['x-relais-kind'] === 'referral_new')

  const of = (kind: string, to: string) => sink.messages.filter((m) => m.headers['x-relais-kind'] === kind && m.to.includes(to) && m.subject.includes(filed.reference))

  clock.advanceMinutes(1)
  await sink.waitFor((m) => m.headers['x-relais-kind'] === 'reminder')
  t.equal(of('reminder', 'referent@caf36.demo').length, 1, 'reminder to the referent')
  t.equal(of('escalation', 'admin@caf36.demo').length, 0, 'no escalation before the deadline')

  clock.advanceMinutes(1)
  await sink.waitFor((m) => m.headers['x-relais-kind'] === 'escalation' && m.to.includes('referent2@caf36.demo'))
  await sink.waitFor((m) => m.headers['x-relais-kind'] === 'escalation' && m.to.includes('admin@caf36.demo'))
  t.equal(of('escalation', 'tic@indre.demo').length, 0, 'level 2 waits its turn')

  clock.advanceMinutes(1)
  await sink.waitFor((m) => m.headers['x-relais-kind'] === 'escalation' && m.to.includes('tic@indre.demo'))
  clock.advanceMinutes(10)
  await settle()
  await worker.sweepOnce()
  await settle()
  t.equal(of('reminder', 'referent@caf36.demo').length, 1, 'one reminder')
  t.equal(of('escalation', 'admin@caf36.demo').length, 1, 'one level-1 escalation to the org admin')
  t.equal(of('escalation', 'referent2@caf36.demo').length, 1, 'one level-1 escalation to the backup')
  t.equal(of('escalation', 'tic@indre.demo').length, 1, 'one level-2 escalation to the mission TIC')

  const detail = (await app.inject({ url: `/api/v1/referrals/${filed.id}`, headers: admin })).json()
  const steps = detail.timeline.filter((e: { kind: string }) => e.kind === 'reminder_sent' || e.kind === 'escalated').map((e: { data: { step: string } }) => e.data.step)
  t.same(steps, ['reminder', 'escalation-1', 'escalation-2'], 'each step once on the timeline')
  const ids = sink.messages.map((m) => m.messageId)
  t.equal(new Set(ids).size, ids.length, 'no Message-ID twice')
})

t.test('answering before the deadline stops the clock: no escalation', async (t) => {
  sink.clear()
  const filed = (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: await bearer(app, 'secretaire@issoudun.demo'), payload: sampleReferral })).json()
  const res = await app.inject({ method: 'POST', url: `/api/v1/referrals/${filed.id}/answer`, headers: await bearer(app, 'referent@caf36.demo'), payload: { body: 'Réponse rapide.' } })
  t.equal(res.statusCode, 200)
  clock.advanceMinutes(5)
  await worker.sweepOnce()
  await settle()
  t.equal(sink.messages.filter((m) => m.headers['x-relais-kind'] === 'escalation' && m.subject.includes(filed.reference)).length, 0)
})
