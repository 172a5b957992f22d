import t from 'tap'
import pg from 'pg'
import pino from 'pino'
import { buildApp } from '@relais/api/app'
import { createKysely, createPool, withTenant } from '@relais/db'
import { claimOutbox, failClaimed, retryClaimed } from '@relais/db/repositories/outbox'
import { deliverOutbox, sweepSla } from '@relais/referrals'
import { MailSink } from '@relais/mail/sink'
import { createMailTransport } from '@relais/mail/transport'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock, sampleReferral } from '../helpers/journey.ts'

// Mails are bounded and pinned. Each delivery is called by hand with an injected clock (never a sleep), against a
// real SMTP server started here: retries stop after MAIL_RETRY_HOURS, the mission TIC sends a failed mail again,
// a sender whose claim was taken changes nothing, a mail tells of the event that caused it, and a reminder for a
// referral answered meanwhile is not sent.

const sink = new MailSink({ httpPort: null, smtpPort: 0 })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl })
const clock = manualClock('2026-11-24T09:00:00Z')
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const db = createKysely(createPool(env.config.APP_DATABASE_URL, 4))
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
const transport = createMailTransport(smtpUrl, env.config.MAIL_FROM)
t.teardown(async () => { transport.close(); await db.destroy(); await owner.end(); await app.close(); await sink.stop(); await env.drop() })
const log = pino({ level: 'silent' })
const tic = await bearer(app, 'tic@indre.demo')

interface Row { id: string; tenant_id: string; kind: string; recipient_email: string; message_id: string; referral_id: string | null }
const rowsOf = async (where: string, args: unknown[] = []) => (await owner.query<Row>(`select id::text as id, tenant_id, kind, recipient_email, message_id, referral_id from outbox where ${where} order by id`, args)).rows
const deliver = (row: Row) => deliverOutbox(db, { outboxId: row.id, tenantId: row.tenant_id, now: clock.now, claimSeconds: 30, transport, publicUrl: env.config.PUBLIC_URL, log, retryHours: 48 })
/** Every mail due now, once; outcome per outbox id. */
async function deliverDue(): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const row of await rowsOf('sent_at is null and failed_at is null and next_attempt_at <= $1', [clock.now()])) out.set(row.id, await deliver(row))
  return out
}
const file = async (secretary: string) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: await bearer(app, secretary), payload: sampleReferral })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json() as { id: string; reference: string }
}

t.test('a mail refused for 48 h is failed, shown to the mission TIC, and sent again on « Renvoyer »', async (t) => {
  sink.rejectRecipient = (a) => (a === 'referent@caf36.demo' ? 451 : null)
  const filed = await file('secretaire@ardentes.demo')
  const [row] = await rowsOf(`referral_id = $1 and recipient_email = 'referent@caf36.demo'`, [filed.id])
  t.equal(await deliver(row), 'retry', 'first refusal: retried later')
  clock.advanceMinutes(47 * 60)
  t.equal(await deliver(row), 'retry', 'after 47 h: still retried')
  clock.advanceMinutes(61)
  const last = await deliver(row)
  t.comment(`a mail refused (451) for 48 h 01: ${last}`)
  t.equal(last, 'failed', 'after 48 h: failed, no more retries')
  t.equal(await deliver(row), 'skipped', 'a failed mail is not taken again')

  const failed = (await app.inject({ url: '/api/v1/mails?state=failed', headers: tic })).json()
  const listed = failed.items.find((m: { id: string }) => m.id === row.id)
  t.ok(listed, 'listed among the failed mails')
  t.match(listed.lastError, /48 h/)
  const detail = (await app.inject({ url: `/api/v1/referrals/${filed.id}`, headers: tic })).json()
  t.ok(detail.timeline.some((e: { kind: string; data: { permanent?: boolean } }) => e.kind === 'mail_failed' && e.data.permanent === false), 'on the timeline, as not permanent')
  t.equal(detail.holder.person?.name, 'Nathalie Roux', 'a temporary failure does not move the referral')
  await deliverDue()
  const alert = await sink.waitFor((m) => m.to.includes('tic@indre.demo') && m.headers['x-relais-kind'] === 'delivery_failed' && m.text.includes('referent@caf36.demo'))
  t.ok(alert, 'the mission TIC is told by mail')

  // « Renvoyer »
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/mails/${row.id}/resend`, headers: await bearer(app, 'referent@caf36.demo') })).statusCode, 403, 'the mission TIC only')
  sink.rejectRecipient = undefined
  const resent = await app.inject({ method: 'POST', url: `/api/v1/mails/${row.id}/resend`, headers: tic })
  t.equal(resent.statusCode, 200, resent.body)
  t.same(resent.json(), { id: row.id, state: 'pending' })
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/mails/${row.id}/resend`, headers: tic })).statusCode, 409, 'not failed any more')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/mails/999999999/resend', headers: tic })).statusCode, 404)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/mails/abc/resend', headers: tic })).statusCode, 404)
  t.equal(await deliver(row), 'sent')
  const got = await sink.waitFor((m) => m.to.includes('referent@caf36.demo') && m.subject.includes(filed.reference))
  t.equal(got.messageId, row.message_id, 'under its Message-ID')
})

t.test('a sender whose claim lapsed and was taken changes nothing', async (t) => {
  const filed = await file('secretaire@ardentes.demo')
  const [row] = await rowsOf(`referral_id = $1 and recipient_email = 'referent@caf36.demo'`, [filed.id])
  const now = clock.now()
  const later = new Date(now.getTime() + 60_000)
  await withTenant(db, { tenantId: row.tenant_id }, async (trx) => {
    t.ok(await claimOutbox(trx, row.tenant_id, row.id, now, new Date(now.getTime() + 30_000), '00000000-0000-4000-8000-00000000000a'), 'worker A claims for 30 s')
    t.ok(await claimOutbox(trx, row.tenant_id, row.id, later, new Date(later.getTime() + 30_000), '00000000-0000-4000-8000-00000000000b'), 'A is stuck; B takes the lapsed claim')
    t.equal(await retryClaimed(trx, row.tenant_id, row.id, '00000000-0000-4000-8000-00000000000a', { attempts: 1, nextAttemptAt: later, error: '451 late' }), false, 'A’s retry is refused')
    t.equal(await failClaimed(trx, row.tenant_id, row.id, '00000000-0000-4000-8000-00000000000a', later, '550 late'), false, 'A’s bounce is refused')
  })
  const stored = (await owner.query('select claim_id, claimed_until, failed_at, attempts, relayed_at from outbox where id = $1', [row.id])).rows[0]
  t.equal(stored.claim_id, '00000000-0000-4000-8000-00000000000b', 'B still holds it')
  t.equal(stored.failed_at, null)
  t.equal(stored.attempts, 0)
  await owner.query('update outbox set claimed_until = null, claim_id = null where id = $1', [row.id])
})

t.test('a transfer mail tells of the transfer that caused it, not of the latest one', async (t) => {
  await deliverDue()
  const orgs = (await app.inject({ url: '/api/v1/organisations?limit=500', headers: tic })).json().items as { id: string; name: string }[]
  const prefecture = orgs.find((o) => o.name === 'Préfecture de l’Indre')!
  const ddt = orgs.find((o) => o.name === 'DDT de l’Indre')!
  const filed = await file('secretaire@issoudun.demo')
  const first = await app.inject({ method: 'POST', url: `/api/v1/referrals/${filed.id}/transfer`, headers: await bearer(app, 'referent@caf36.demo'), payload: { organisationId: prefecture.id, reason: 'Motif A : une question de titre de séjour.' } })
  t.equal(first.statusCode, 200, 'transferred to the prefecture')
  const second = await app.inject({ method: 'POST', url: `/api/v1/referrals/${filed.id}/transfer`, headers: await bearer(app, 'referent@prefecture36.demo'), payload: { organisationId: ddt.id, reason: 'Motif B : relève de l’urbanisme.' } })
  t.equal(second.statusCode, 200, 'then to the DDT')
  await deliverDue()
  const toPrefecture = await sink.waitFor((m) => m.to.includes('contact@prefecture36.demo') && m.headers['x-relais-kind'] === 'transferred' && m.subject.includes(filed.reference))
  const toDdt = await sink.waitFor((m) => m.to.includes('contact@ddt36.demo') && m.headers['x-relais-kind'] === 'transferred' && m.subject.includes(filed.reference))
  const sender = (text: string) => /transférée par (.*?)\. /.exec(text.replace(/\s+/g, ' '))?.[1]
  t.comment(`first transfer mail says: « transférée par ${sender(toPrefecture.text)} »`)
  t.match(sender(toPrefecture.text), /CAF de l’Indre/, 'the first mail: transferred by the CAF')
  t.match(toPrefecture.text, /Motif A/)
  t.match(sender(toDdt.text), /Préfecture de l’Indre/, 'the second: by the prefecture')
  t.match(toDdt.text, /Motif B/)
})

t.test('a reminder whose referral was answered before the worker took it is not sent', async (t) => {
  const allDay = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ opens: '00:00', closes: '24:00' }]]))
  const put = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: tic, payload: { responseMinutes: 60, clockMode: 'calendar', reminderBeforeMinutes: 30, openingHours: allDay, escalations: [{ afterDueMinutes: 0, notify: ['mission_tic'] }] } })
  t.equal(put.statusCode, 200, 'a one-hour policy')
  await owner.query(`update referral set next_step = null, next_step_at = null`)
  const answered = await file('secretaire@ardentes.demo')
  const waiting = await file('secretaire@issoudun.demo')
  await deliverDue()
  clock.advanceMinutes(31)
  t.equal(await sweepSla(db, clock.now(), clock.now(), async () => undefined), 2, 'both reminders queued')
  const res = await app.inject({ method: 'POST', url: `/api/v1/referrals/${answered.id}/answer`, headers: await bearer(app, 'referent@caf36.demo'), payload: { body: 'Réponse avant le rappel.' } })
  t.equal(res.statusCode, 200, 'answered')
  const outcomes = await deliverDue()
  const reminderOf = async (id: string) => (await rowsOf(`referral_id = $1 and kind = 'reminder'`, [id]))[0]
  const stale = await reminderOf(answered.id)
  t.comment(`reminder of a referral answered before the worker took it: ${outcomes.get(stale.id)}`)
  t.equal(outcomes.get(stale.id), 'cancelled', 'not sent')
  t.equal(outcomes.get((await reminderOf(waiting.id)).id), 'sent', 'the other reminder goes')
  await sink.waitFor((m) => m.headers['x-relais-kind'] === 'reminder' && m.subject.includes(waiting.reference))
  t.equal(sink.messages.filter((m) => m.headers['x-relais-kind'] === 'reminder' && m.subject.includes(answered.reference)).length, 0, 'no reminder in the mailbox')
  const cancelled = (await owner.query('select cancelled_at, last_error from outbox where id = $1', [stale.id])).rows[0]
  t.ok(cancelled.cancelled_at, 'recorded as cancelled')
  t.match(cancelled.last_error, /Sans objet/)
})

t.test('the mission TIC page lists failed mails with a « Renvoyer » button', async (t) => {
  sink.rejectRecipient = (a) => (a === 'referent@caf36.demo' ? 550 : null)
  const filed = await file('secretaire@issoudun.demo')
  const [row] = await rowsOf(`referral_id = $1 and recipient_email = 'referent@caf36.demo'`, [filed.id])
  t.equal(await deliver(row), 'failed', 'refused for good')
  sink.rejectRecipient = undefined

  const cookies: Record<string, string> = {}
  const keep = (res: Awaited<ReturnType<typeof app.inject>>) => { for (const c of res.cookies) cookies[c.name] = c.value; return res }
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
  const form = (url: string, fields: Record<string, string>) => app.inject({ method: 'POST', url, cookies, remoteAddress: '10.88.0.1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() }).then(keep)
  const login = keep(await app.inject({ url: '/connexion', remoteAddress: '10.88.0.1' }))
  t.equal((await form('/connexion', { email: 'tic@indre.demo', password: 'relais-demo', _csrf: csrfOf(login.body) })).statusCode, 303)
  const page = keep(await app.inject({ url: '/courriels', cookies, remoteAddress: '10.88.0.1' }))
  t.equal(page.statusCode, 200)
  t.match(page.body, /Courriels en échec/)
  t.match(page.body, `action="/courriels/${row.id}/renvoyer"`)
  t.match(page.body, />Renvoyer</)
  const clicked = await form(`/courriels/${row.id}/renvoyer`, { _csrf: csrfOf(page.body) })
  t.equal(clicked.statusCode, 303)
  t.equal(clicked.headers.location, '/courriels?fait=renvoye')
  t.equal(await deliver(row), 'sent', 'sent once the address works again')
  t.equal((await form(`/courriels/${row.id}/renvoyer`, { _csrf: csrfOf(page.body) })).statusCode, 409, 'a sent mail is not resent')
})
