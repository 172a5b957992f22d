// Holding a referral (issue 11): an org admin reassigns within her organisation (API and page), a referral moves
// while awaiting information and out of the triage queue, and every mail says what happened.
import t from 'tap'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { startAppWithMail } from '../helpers/network.ts'
import { Visitor } from '../helpers/visitor.ts'

const { app, clock, sink } = await startAppWithMail()

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const caf = await bearer(app, 'referent@caf36.demo')
const cafAdmin = await bearer(app, 'admin@caf36.demo')
const ddt = await bearer(app, 'referent@ddt36.demo')
const tic = await bearer(app, 'tic@indre.demo')
type Event = { kind: string; data: Record<string, unknown> }

const file = async (payload: object = sampleReferral) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json() as { id: string; reference: string; status: string }
}
const post = (id: string, action: string, headers: { authorization: string }, payload: object = {}) =>
  app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/${action}`, headers, payload })
const orgOf = async (h: { authorization: string }) => (await app.inject({ url: '/api/v1/me', headers: h })).json().organisation.id as string
const cafOrg = await orgOf(caf)
const ddtOrg = await orgOf(ddt)
const people = (await app.inject({ url: `/api/v1/people?organisationId=${cafOrg}&limit=50`, headers: tic })).json().items as { id: string; email: string }[]
const karim = people.find((p) => p.email === 'referent2@caf36.demo')!.id
const ddtPerson = (await app.inject({ url: `/api/v1/people?organisationId=${ddtOrg}&limit=50`, headers: tic })).json().items[0].id as string

t.test('an org admin reassigns a referral to a colleague: timeline, mail to the new holder', async (t) => {
  const r = await file()
  t.equal((await post(r.id, 'reassign', caf, { personId: karim })).statusCode, 403, 'a referent may not')
  t.equal((await post(r.id, 'reassign', secretary, { personId: karim })).statusCode, 403, 'nor the mairie')
  const outside = await post(r.id, 'reassign', cafAdmin, { personId: ddtPerson })
  t.equal(outside.statusCode, 400, 'only a person of the holding organisation')
  t.match(outside.json().error.details, [{ path: 'personId' }])

  const done = await post(r.id, 'reassign', cafAdmin, { personId: karim, reason: 'Nathalie part en formation.' })
  t.equal(done.statusCode, 200, done.body)
  t.equal(done.json().holder.person.id, karim)
  t.equal(done.json().status, 'assigned')
  const ev = done.json().timeline.filter((e: Event) => e.kind === 'assigned').pop()
  t.match(ev.data, { mode: 'reassigned', personId: karim, reason: /Réaffectée au sein de l’organisme à Karim Haddad : Nathalie part en formation\./ })
  t.equal(ev.actor.name, 'Philippe Moreau')
  const mail = await sink.waitFor((m) => m.to.includes('referent2@caf36.demo') && m.subject.includes(r.reference))
  t.match(mail.subject, /^Saisine qui vous est confiée dans votre organisation/)
  t.match(mail.text, /Philippe Moreau vous a confié cette saisine\./)
  t.notMatch(mail.subject, /Nouvelle saisine/)
  t.equal((await post(r.id, 'reassign', cafAdmin, { personId: karim })).statusCode, 400, 'already hers')
})

t.test('the referral page offers « Réaffecter » to the org admin, and it works', async (t) => {
  const r = await file()
  const admin = new Visitor(app)
  await admin.login('admin@caf36.demo')
  const page = await admin.get(`/saisines/${r.id}`)
  t.equal(page.statusCode, 200)
  t.match(page.body, /<h3>Réaffecter<\/h3>/)
  t.match(page.body, /<option value="[^"]+">Karim Haddad<\/option>/)
  const empty = await admin.post(`/saisines/${r.id}/reassign`, {})
  t.equal(empty.statusCode, 400)
  t.match(empty.body, /reaffecter-personne-erreur/)
  const moved = await admin.post(`/saisines/${r.id}/reassign`, { personId: karim, reason: 'Charge de travail.' })
  t.equal(moved.statusCode, 303)
  const after = await admin.get(moved.headers.location as string)
  t.match(after.body, /La saisine a été réaffectée/)
  t.match(after.body, /Réaffectée au sein de l’organisme à Karim Haddad/)
  const referent = new Visitor(app)
  await referent.login('referent@caf36.demo')
  t.notMatch((await referent.get(`/saisines/${r.id}`)).body, /<h3>Réaffecter<\/h3>/, 'a referent has no such control')
})

t.test('transfer while awaiting information: the new holder waits for the complement too', async (t) => {
  const r = await file()
  t.equal((await post(r.id, 'request-info', caf, { body: 'Quel est le numéro d’allocataire ?' })).statusCode, 200)
  const moved = await post(r.id, 'transfer', caf, { organisationId: ddtOrg, reason: 'Finalement de l’urbanisme.' })
  t.equal(moved.statusCode, 200, moved.body)
  t.equal(moved.json().status, 'awaiting_info')
  t.equal(moved.json().holder.organisation.id, ddtOrg)
  t.equal(moved.json().dueAt, null, 'the clock stays paused')
  const given = await post(r.id, 'provide-info', secretary, { body: 'Allocataire 1234567.' })
  t.equal(given.json().status, 'assigned')
})

t.test('triage: its own mail; the mission TIC transfers out of the queue', async (t) => {
  const r = await file({ ...sampleReferral, themeCode: 'autre' })
  t.equal(r.status, 'submitted')
  const mail = await sink.waitFor((m) => m.to.includes('tic@indre.demo') && m.subject.includes(r.reference))
  t.match(mail.subject, /^Saisine à orienter \(file de tri\)/)
  t.match(mail.text, /Aucune règle de routage ne désigne d’organisme/)
  const moved = await post(r.id, 'transfer', tic, { organisationId: cafOrg, reason: 'Relève de la CAF.' })
  t.equal(moved.statusCode, 200, moved.body)
  t.equal(moved.json().status, 'assigned')
  t.equal(moved.json().holder.organisation.id, cafOrg)
})

t.test('back to routing with nobody left: the triage queue is told so', async (t) => {
  const r = await file()
  await post(r.id, 'transfer', caf, { organisationId: ddtOrg, reason: 'Pas pour nous.' })
  t.equal((await post(r.id, 'transfer', ddt, { toRouting: true, reason: 'Pas pour nous non plus.' })).json().status, 'submitted')
  const mail = await sink.waitFor((m) => m.to.includes('tic@indre.demo') && m.subject.includes(r.reference) && m.headers['x-relais-kind'] === 'transferred')
  t.match(mail.subject, /^Saisine renvoyée à la file de tri/)
  t.match(mail.text, /file de tri de la mission TIC/)
})

t.test('a reopened referral has its own mail, with the mairie’s words', async (t) => {
  const r = await file()
  await sink.waitFor((m) => m.to.includes('referent@caf36.demo') && m.subject.includes(r.reference))
  t.equal((await post(r.id, 'answer', caf, { body: 'Oui, l’ASF est due.' })).statusCode, 200)
  t.equal((await post(r.id, 'close', secretary)).statusCode, 200)
  clock.set('2026-11-26T09:00:00Z')
  t.equal((await post(r.id, 'reopen', secretary, { body: 'L’usagère n’a rien reçu.' })).statusCode, 200)
  const mail = await sink.waitFor((m) => m.to.includes('referent@caf36.demo') && m.subject.includes(r.reference) && !m.subject.startsWith('Nouvelle'))
  t.match(mail.subject, /^Saisine rouverte par la mairie/)
  t.match(mail.text, /Motif de la réouverture :\nL’usagère n’a rien reçu\./)
  clock.set('2026-11-24T09:00:00Z')
})
