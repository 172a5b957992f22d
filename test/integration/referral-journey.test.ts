import t from 'tap'
import pino from 'pino'
import { buildApp } from '@relais/api/app'
import { startWorker } from '@relais/worker/worker'
import { MailSink } from '@relais/mail/sink'
import { withTenant } from '@relais/db'
import { verifyChain } from '@relais/referrals'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock, sampleReferral } from '../helpers/journey.ts'

const sink = new MailSink({ httpPort: null, smtpPort: 0 })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl, PUBLIC_URL: 'https://relais.indre.test' })
// A Tuesday, 10:00 in Paris: within working hours, so mails are not held until the next opening.
const clock = manualClock('2026-11-24T09:00:00Z')
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const worker = await startWorker(env.config, { clock: clock.now, relayIntervalMs: 50, sweepIntervalMs: 200, log: pino({ level: 'silent' }) })
t.teardown(async () => { await worker.close(); await app.close(); await sink.stop(); await env.drop() })

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const referent = await bearer(app, 'referent@caf36.demo')

t.test('secretary files, CAF referent is mailed, answers, secretary is mailed and closes', async (t) => {
  const filed = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: sampleReferral })
  t.equal(filed.statusCode, 201, 'filed')
  const { id, reference, status, dueAt, assignedOrganisation } = filed.json()
  t.match(reference, /^36-2026-\d{6}$/)
  t.equal(status, 'assigned')
  t.equal(assignedOrganisation.name, 'CAF de l’Indre')
  // 72 working hours from Tuesday 10:00: Friday 10:00 (no holiday that week).
  t.equal(dueAt, '2026-11-27T09:00:00.000Z')

  const mail = await sink.waitFor((m) => m.to.includes('referent@caf36.demo') && m.subject.includes(reference), 10_000)
  t.match(mail.text, /allocation de soutien familial/)
  t.match(mail.text, /Jeanne Durand/)
  t.match(mail.text, `https://relais.indre.test/saisines/${id}`)
  t.match(mail.text, /vendredi 27 novembre 2026/)
  t.match(mail.html, /allocation de soutien familial/)
  t.ok(mail.messageId)

  const seen = await app.inject({ url: `/api/v1/referrals/${id}`, headers: referent })
  t.equal(seen.statusCode, 200)
  t.equal(seen.json().holder.person.name, 'Nathalie Roux')

  clock.advanceMinutes(90)
  const answered = await app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/answer`, headers: referent, payload: { body: 'Oui : l’ASF est due dès le mois suivant la séparation. Déposer le formulaire cerfa 12045.' } })
  t.equal(answered.statusCode, 200, 'answered')
  t.equal(answered.json().status, 'answered')
  t.equal(answered.json().slaMinutesTaken, 90)
  t.equal(answered.json().slaMinutesVsTarget, 90 - 4320)

  const toSecretary = await sink.waitFor((m) => m.to.includes('secretaire@ardentes.demo') && m.subject.includes(reference), 10_000)
  t.match(toSecretary.text, /cerfa 12045/)

  const closed = await app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/close`, headers: secretary, payload: {} })
  t.equal(closed.statusCode, 200)
  t.equal(closed.json().status, 'closed')
  const again = await app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/answer`, headers: referent, payload: { body: 'encore' } })
  t.equal(again.statusCode, 409, 'a closed referral takes no answer')

  // The timeline records every step, and the mails once sent.
  await t.resolves(waitUntil(async () => {
    const kinds = (await app.inject({ url: `/api/v1/referrals/${id}`, headers: secretary })).json().timeline.map((e: { kind: string }) => e.kind)
    // The referent's, the citizen's acknowledgement (issue 18) and the secretary's.
    return kinds.filter((k: string) => k === 'mail_sent').length === 3
  }))
  const detail = (await app.inject({ url: `/api/v1/referrals/${id}`, headers: secretary })).json()
  const kinds = detail.timeline.map((e: { kind: string }) => e.kind)
  for (const k of ['filed', 'assigned', 'answered', 'sla_met', 'closed']) t.ok(kinds.includes(k), `timeline has ${k}`)
  t.same(detail.answers.map((a: { body: string }) => a.body), ['Oui : l’ASF est due dès le mois suivant la séparation. Déposer le formulaire cerfa 12045.'])
  const assigned = detail.timeline.find((e: { kind: string }) => e.kind === 'assigned')
  t.equal(assigned.data.mode, 'automatic')

  const tenantId = (await app.inject({ url: '/api/v1/me', headers: secretary })).json().tenant.id
  const chain = await withTenant(worker.db, { tenantId }, (trx) => verifyChain(trx, tenantId, id))
  t.ok(chain.ok, 'the hash chain verifies')
  t.equal(chain.events, detail.timeline.length)
})

t.test('visibility: another organisation or tenant gets 404', async (t) => {
  const filed = (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: sampleReferral })).json()
  for (const email of ['referent@ddt36.demo', 'secretaire@issoudun.demo', 'tic@cher.demo', 'referent@caf18.demo']) {
    const res = await app.inject({ url: `/api/v1/referrals/${filed.id}`, headers: await bearer(app, email) })
    t.equal(res.statusCode, 404, email)
    t.notMatch(res.body, /Jeanne/)
    const act = await app.inject({ method: 'POST', url: `/api/v1/referrals/${filed.id}/answer`, headers: await bearer(app, email), payload: { body: 'x' } })
    t.equal(act.statusCode, 404, `${email} cannot act`)
  }
  const admin = await app.inject({ url: `/api/v1/referrals/${filed.id}`, headers: await bearer(app, 'tic@indre.demo') })
  t.equal(admin.statusCode, 200)
  const list = await app.inject({ url: '/api/v1/referrals?limit=100', headers: await bearer(app, 'referent@ddt36.demo') })
  t.same(list.json().items, [])
})

t.test('bad input: French messages with field paths', async (t) => {
  const empty = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, question: '' } })
  t.equal(empty.statusCode, 400)
  t.match(empty.json().error.details, [{ path: 'question' }])
  const theme = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, themeCode: 'inconnu' } })
  t.equal(theme.statusCode, 400)
  t.match(theme.json().error.details, [{ path: 'themeCode', message: 'Thème inconnu.' }])
  const commune = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, communeInsee: '18033' } })
  t.equal(commune.statusCode, 400, 'a commune of another département is refused')
  const noEmail = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, citizen: { name: 'X', preferredChannel: 'email' } } })
  t.match(noEmail.json().error.details, [{ path: 'citizen.email' }])
  const referentFiles = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: referent, payload: sampleReferral })
  t.equal(referentFiles.statusCode, 403)
})

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('condition not met in time')
}
