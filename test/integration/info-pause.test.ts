// The information pause ends (issue 11): the mairie is reminded after the policy's working days (default 5), and
// after the second delay (default 10) the holder is told and may close the referral « sans suite ». Worker sweep,
// injected clock, real SMTP.
import t from 'tap'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { startAppWithMail } from '../helpers/network.ts'
import { Visitor } from '../helpers/visitor.ts'

// The sweep runs when the test says so (sweepOnce); its own timer waits far beyond the test.
const { app, clock, sink, worker } = await startAppWithMail({ sweepIntervalMs: 2_000_000_000 })

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const caf = await bearer(app, 'referent@caf36.demo')
const tic = await bearer(app, 'tic@indre.demo')
type Event = { kind: string; data: Record<string, unknown> }

const file = async () => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: sampleReferral })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json() as { id: string; reference: string }
}
const post = (id: string, action: string, headers: { authorization: string }, payload: object = {}) =>
  app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/${action}`, headers, payload })
/** A sweep skips a referral another transaction holds (a mail being recorded): sweep again until the step ran. */
const sweepUntilDone = async () => {
  for (let i = 0; i < 50; i++) {
    const n = await worker.sweepOnce()
    if (n) return n
    await new Promise((r) => setTimeout(r, 100))
  }
  return 0
}
const timeline = async (id: string) => (await app.inject({ url: `/api/v1/referrals/${id}`, headers: tic })).json().timeline as Event[]

t.test('default policy: reminder to the mairie after 5 working days, « sans suite » possible after 10', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const r = await file()
  clock.set('2026-11-24T10:00:00Z') // Tuesday 11:00 Paris
  t.equal((await post(r.id, 'request-info', caf, { body: 'Quel est le numéro d’allocataire ?' })).statusCode, 200)

  clock.set('2026-12-01T09:59:00Z') // one minute before five working days
  t.equal(await worker.sweepOnce(), 0, 'nothing due yet')
  clock.set('2026-12-01T10:00:00Z')
  t.equal(await sweepUntilDone(), 1, 'the reminder step ran')
  const reminder = await sink.waitFor((m) => m.to.includes('secretaire@ardentes.demo') && m.headers['x-relais-kind'] === 'info_reminder')
  t.match(reminder.subject, `Complément toujours attendu : ${r.reference}`)
  t.match(reminder.text, /Quel est le numéro d’allocataire \?/)
  t.match(reminder.text, /sans suite à partir du mardi 8 décembre 2026 à 11 h 00/)
  t.equal(await worker.sweepOnce(), 0, 'once only')

  const early = await post(r.id, 'close-no-reply', caf)
  t.equal(early.statusCode, 409, 'not before the second delay')
  t.match(early.json().error, { code: 'too_early', message: /à partir du 8 décembre 2026/ })
  const referent = new Visitor(app)
  await referent.login('referent@caf36.demo')
  t.notMatch((await referent.get(`/saisines/${r.id}`)).body, /<h3>Clôturer sans suite<\/h3>/, 'no control yet on the page')

  clock.set('2026-12-08T10:00:00Z')
  t.equal(await sweepUntilDone(), 1, 'the second step ran')
  const stale = await sink.waitFor((m) => m.to.includes('referent@caf36.demo') && m.headers['x-relais-kind'] === 'info_stale')
  t.match(stale.subject, /^Complément non reçu, clôture sans suite possible/)

  const page = await referent.get(`/saisines/${r.id}`)
  t.match(page.body, /<h3>Clôturer sans suite<\/h3>/, 'the referent may now close it from the page')
  t.match(page.body, /Mairie relancée pour le complément/)
  const closed = await referent.post(`/saisines/${r.id}/close-no-reply`, { body: 'Sans numéro d’allocataire, nous ne pouvons rien vérifier.' })
  t.equal(closed.statusCode, 303)
  const detail = (await app.inject({ url: `/api/v1/referrals/${r.id}`, headers: tic })).json()
  t.equal(detail.status, 'closed')
  t.same(detail.timeline.map((e: Event) => e.kind).filter((k: string) => !k.startsWith('mail_')), ['filed', 'assigned', 'info_requested', 'info_reminder_sent', 'info_stale_notified', 'closed'], 'the steps are on the timeline')
  t.match(detail.timeline.filter((e: Event) => e.kind === 'closed').pop().data, { withoutFollowUp: true })
  const told = await sink.waitFor((m) => m.to.includes('secretaire@ardentes.demo') && m.headers['x-relais-kind'] === 'closed_no_reply')
  t.match(told.subject, /^Saisine clôturée sans suite faute de complément/)
  t.match(told.text, /Sans numéro d’allocataire, nous ne pouvons rien vérifier\./)
  t.equal((await post(r.id, 'reopen', secretary, { body: 'Le numéro : 1234567.' })).statusCode, 200, 'the mairie may reopen it')
})

t.test('the delays are the policy’s; a complement given in time cancels the reminder', async (t) => {
  const current = (await app.inject({ url: '/api/v1/sla-policy', headers: tic })).json()
  const { themeCode: _t, inherited: _i, ...body } = current
  t.match(current, { infoReminderDays: 5, infoCloseDays: 10 }, 'the defaults')
  const bad = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: tic, payload: { ...body, infoReminderDays: 4, infoCloseDays: 3 } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().error.details, [{ path: 'infoCloseDays', message: /après la relance/ }])
  const saved = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: tic, payload: { ...body, infoReminderDays: 2, infoCloseDays: 3 } })
  t.equal(saved.statusCode, 200, saved.body)
  t.match(saved.json(), { infoReminderDays: 2, infoCloseDays: 3 })
  const page = new Visitor(app)
  await page.login('tic@indre.demo')
  t.match((await page.get('/annuaire/delais')).body, /relancée après 2 jours ouvrés ; après 3 jours ouvrés/)

  clock.set('2026-12-14T09:00:00Z') // Monday 10:00 Paris
  const r = await file()
  t.equal((await post(r.id, 'request-info', caf, { body: 'Date de naissance de l’enfant ?' })).statusCode, 200)
  const answered = await file()
  t.equal((await post(answered.id, 'request-info', caf, { body: 'Adresse exacte ?' })).statusCode, 200)
  clock.set('2026-12-15T09:00:00Z')
  t.equal((await post(answered.id, 'provide-info', secretary, { body: '3 rue des Lilas.' })).statusCode, 200)
  clock.set('2026-12-16T09:00:00Z') // two working days later
  t.ok(await sweepUntilDone() >= 1, 'the sweep ran (the reopened referral above has its own SLA steps due too)')
  t.ok((await timeline(r.id)).some((e) => e.kind === 'info_reminder_sent'))
  t.notOk((await timeline(answered.id)).some((e) => e.kind === 'info_reminder_sent'))
})
