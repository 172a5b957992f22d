import t from 'tap'
import pino from 'pino'
import { buildApp } from '@relais/api/app'
import { startWorker } from '@relais/worker/worker'
import { MailSink } from '@relais/mail/sink'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock, sampleReferral } from '../helpers/journey.ts'

// The CAF referent's mailbox no longer exists: the server refuses it for good (550).
const sink = new MailSink({ httpPort: null, smtpPort: 0, rejectRecipient: (a) => (a === 'referent@caf36.demo' ? 550 : null) })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl })
const clock = manualClock('2026-11-24T09:00:00Z')
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const worker = await startWorker(env.config, { clock: clock.now, relayIntervalMs: 50, sweepIntervalMs: 60_000, log: pino({ level: 'silent' }) })
t.teardown(async () => { await worker.close(); await app.close(); await sink.stop(); await env.drop() })

t.test('a permanent bounce flags the address, tells the mission TIC and hands the referral to the backup', async (t) => {
  const filed = (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: await bearer(app, 'secretaire@ardentes.demo'), payload: sampleReferral })).json()
  const toBackup = await sink.waitFor((m) => m.to.includes('referent2@caf36.demo') && m.subject.includes(filed.reference))
  t.equal(toBackup.headers['x-relais-kind'], 'referral_new')
  t.match(toBackup.subject, /^Saisine qui vous est confiée \(adresse du référent en échec\)/, 'says why, not « nouvelle saisine »')
  const alert = await sink.waitFor((m) => m.to.includes('tic@indre.demo') && m.headers['x-relais-kind'] === 'delivery_failed')
  t.match(alert.text, 'referent@caf36.demo')

  const tic = await bearer(app, 'tic@indre.demo')
  const detail = (await app.inject({ url: `/api/v1/referrals/${filed.id}`, headers: tic })).json()
  t.equal(detail.holder.person.name, 'Karim Haddad', 'the backup holds it now')
  const last = detail.timeline.filter((e: { kind: string }) => e.kind === 'assigned').pop()
  t.ok(last.data.viaBackupOf, 'recorded as a hand-over to the backup')
  t.ok(detail.timeline.some((e: { kind: string }) => e.kind === 'mail_failed'))

  const failed = (await app.inject({ url: '/api/v1/mails?state=failed', headers: tic })).json()
  t.equal(failed.items.length, 1, 'the failed mail is visible to the network admin')
  t.equal(failed.items[0].to, 'referent@caf36.demo')
  t.match(failed.items[0].lastError, /550/)
  t.equal((await app.inject({ url: '/api/v1/mails', headers: await bearer(app, 'referent@caf36.demo') })).statusCode, 403)

  // The flagged referent is skipped by routing from now on.
  const next = (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: await bearer(app, 'secretaire@issoudun.demo'), payload: sampleReferral })).json()
  const nextDetail = (await app.inject({ url: `/api/v1/referrals/${next.id}`, headers: tic })).json()
  t.not(nextDetail.holder.person?.name, 'Nathalie Roux')
})
