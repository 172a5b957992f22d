import t from 'tap'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { startAppWithMail } from '../helpers/network.ts'
import { Visitor } from '../helpers/visitor.ts'

// Issue 18, the citizen's rights: the written answer forwarded to her in the mairie's name (mail or letter), the log of
// who displayed her data, and the mission TIC's right of access and erasure.
const { app, clock, db: owner, sink } = await startAppWithMail({ env: { PUBLIC_URL: 'https://relais.indre.test' } })

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const otherSecretary = await bearer(app, 'secretaire@issoudun.demo')
const referent = await bearer(app, 'referent@caf36.demo')
const tic = await bearer(app, 'tic@indre.demo')
const cher = await bearer(app, 'secretaire@bourges.demo')

const file = async (citizen: Record<string, unknown>, headers = secretary) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers, payload: { ...sampleReferral, citizen: { preferredChannel: 'email', ...citizen } } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json() as { id: string; reference: string }
}
const answer = (id: string, body: string) => app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/answer`, headers: referent, payload: { body } })
const forward = (id: string, headers: Record<string, string>, payload?: object) => app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/forward-answer`, headers, payload: payload ?? {} })

t.test('forward the answer: refused before a written answer, then mailed to the citizen in the mairie’s name', async (t) => {
  const r = await file({ name: 'Lucie Moreau', email: 'lucie.moreau@example.org' })
  const early = await forward(r.id, secretary)
  t.equal(early.statusCode, 409)
  t.equal(early.json().error.code, 'no_written_answer')
  t.match(early.json().error.message, /pas encore de réponse écrite/)

  clock.advanceMinutes(30)
  t.equal((await answer(r.id, 'Oui, l’allocation de soutien familial vous est due depuis mars.')).statusCode, 200)
  t.equal((await forward(r.id, referent)).statusCode, 403, 'the partner does not forward it: the mairie does')
  t.equal((await forward(r.id, otherSecretary)).statusCode, 404, 'another mairie: as if missing')
  t.equal((await forward(r.id, cher)).statusCode, 404, 'another tenant: as if missing')

  const sent = await forward(r.id, secretary)
  t.equal(sent.statusCode, 200)
  t.equal(sent.json().channel, 'email')
  t.equal(sent.json().to, 'lucie.moreau@example.org')
  const mail = await sink.waitFor((m) => m.to.includes('lucie.moreau@example.org') && m.subject.startsWith('Réponse à votre demande'), 10_000)
  t.equal(mail.subject, `Réponse à votre demande ${r.reference} — Mairie d’Ardentes`)
  t.match(mail.text, /Oui, l’allocation de soutien familial vous est due depuis mars\./)
  t.match(mail.text, /Mairie d’Ardentes vous transmet la réponse/)
  t.match(mail.text, /CAF de l’Indre/)
  t.match(mail.headers.from, /Mairie d’Ardentes/, 'the From shows the mairie’s name')
  const mairieEmail = (await owner.query(`select email from organisation where name = 'Mairie d’Ardentes'`)).rows[0].email
  t.match(mail.headers['reply-to'] ?? '', mairieEmail, 'her reply goes to the mairie')
  t.notMatch(mail.text, /Nathalie Roux|referent@caf36/, 'no person of the network')

  const detail = (await app.inject({ url: `/api/v1/referrals/${r.id}`, headers: secretary })).json()
  const ev = detail.timeline.find((e: { kind: string }) => e.kind === 'answer_forwarded')
  t.ok(ev, 'the timeline records it')
  t.equal(ev.data.channel, 'email')
})

t.test('no address: a letter to print, recorded on the timeline; the page offers it', async (t) => {
  const r = await file({ name: 'Marcel Petit', preferredChannel: 'counter' })
  t.equal((await answer(r.id, 'Votre dossier est complet.')).statusCode, 200)
  const mailEmail = await forward(r.id, secretary, { channel: 'email' })
  t.equal(mailEmail.statusCode, 409)
  t.equal(mailEmail.json().error.code, 'no_citizen_email')
  const letter = await forward(r.id, secretary)
  t.equal(letter.statusCode, 200)
  t.equal(letter.json().channel, 'print')
  t.equal(letter.json().to, null)
  t.equal(letter.json().answer.body, 'Votre dossier est complet.')

  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  const page = await sec.get(`/saisines/${r.id}`)
  t.match(page.body, /Transmettre la réponse à l’usager/)
  t.match(page.body, /Imprimer la réponse pour l’usager/)
  const printed = await sec.post(`/saisines/${r.id}/transmettre-reponse`, { channel: 'print' })
  t.equal(printed.statusCode, 200)
  t.match(printed.body, /Réponse à votre demande/)
  t.match(printed.body, /Votre dossier est complet\./)
  t.match(printed.body, /Marcel Petit/)
  const again = await sec.get(`/saisines/${r.id}`)
  t.match(again.body, /Réponse transmise à l’usager/)
  const count = (await owner.query(`select count(*)::int as n from referral_event where referral_id = $1 and kind = 'answer_forwarded'`, [r.id])).rows[0].n
  t.equal(count, 2, 'each forwarding is on the timeline (the API’s letter, the page’s), the refused one not')
})

t.test('the page: the secretary sends the answer by mail in one click', async (t) => {
  const r = await file({ name: 'Paul Girard', email: 'paul.girard@example.org' })
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  t.notMatch((await sec.get(`/saisines/${r.id}`)).body, /Envoyer la réponse à l’usager/, 'no button before an answer')
  const early = await sec.post(`/saisines/${r.id}/transmettre-reponse`, {})
  t.equal(early.statusCode, 409)
  t.match(early.body, /pas encore de réponse écrite/)
  t.equal((await answer(r.id, 'Rendez-vous à la CAF avec votre livret de famille.')).statusCode, 200)
  const sent = await sec.post(`/saisines/${r.id}/transmettre-reponse`, {})
  t.equal(sent.statusCode, 303)
  t.match(String(sent.headers.location), /fait=reponse_transmise/)
  t.match((await sec.get(String(sent.headers.location))).body, /La réponse a été envoyée à l’usager par courriel/)
  await sink.waitFor((m) => m.to.includes('paul.girard@example.org') && m.subject.startsWith('Réponse à votre demande'), 10_000)
  const ref = new Visitor(app)
  await ref.login('referent@caf36.demo')
  t.notMatch((await ref.get(`/saisines/${r.id}`)).body, /Envoyer la réponse à l’usager/, 'the partner has no such button')
  t.equal((await ref.post(`/saisines/${r.id}/transmettre-reponse`, {})).statusCode, 403)
})

t.test('access log: each display of the citizen’s data is one row (who, when, how), read by the mission TIC only', async (t) => {
  const r = await file({ name: 'Rose Journal', email: 'rose.journal@example.org' })
  clock.advanceMinutes(5)
  t.equal((await app.inject({ url: `/api/v1/referrals/${r.id}`, headers: secretary })).statusCode, 200)
  clock.advanceMinutes(5)
  t.equal((await app.inject({ url: `/api/v1/referrals/${r.id}`, headers: referent })).statusCode, 200)
  clock.advanceMinutes(5)
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  t.equal((await sec.get(`/saisines/${r.id}`)).statusCode, 200)
  t.equal((await app.inject({ url: `/api/v1/referrals/${r.id}`, headers: otherSecretary })).statusCode, 404)

  const res = await app.inject({ url: `/api/v1/referrals/${r.id}/access-log`, headers: tic })
  t.equal(res.statusCode, 200)
  const log = res.json()
  t.equal(log.referral.reference, r.reference)
  t.same(log.items.map((e: { via: string; person: { name: string } }) => `${e.via} ${e.person.name}`), ['page Sophie Bernard', 'api Nathalie Roux', 'api Sophie Bernard'], 'latest first; the refused read is not a display')
  t.equal(log.items[1].organisation, 'CAF de l’Indre')
  t.ok(Date.parse(log.items[0].at) > Date.parse(log.items[2].at), 'on the injected clock')

  t.equal((await app.inject({ url: `/api/v1/referrals/${r.id}/access-log`, headers: secretary })).statusCode, 403)
  t.equal((await app.inject({ url: `/api/v1/referrals/${r.id}/access-log`, headers: referent })).statusCode, 403)
  const cherTic = await bearer(app, 'tic@cher.demo')
  t.equal((await app.inject({ url: `/api/v1/referrals/${r.id}/access-log`, headers: cherTic })).statusCode, 404, 'another tenant: as if missing')
  t.equal((await app.inject({ url: `/api/v1/referrals/${r.id}/access-log`, headers: tic })).json().items.length, 3, 'reading the log is not a display of the citizen’s data')

  const admin = new Visitor(app)
  await admin.login('tic@indre.demo')
  const detail = await admin.get(`/saisines/${r.id}`)
  t.match(detail.body, /Journal des accès aux données de l’usager/)
  const page = await admin.get(`/saisines/${r.id}/acces`)
  t.equal(page.statusCode, 200)
  t.match(page.body, /Nathalie Roux/)
  t.match(page.body, /Page de la saisine/)
  t.match(page.body, /Détail par l’API/)
  t.equal((await sec.get(`/saisines/${r.id}/acces`)).statusCode, 403)
  await t.rejects(owner.query(`update referral_access set via = 'api' where referral_id = $1`, [r.id]), /ajout seul/, 'append-only, even for the owner')
  await t.rejects(owner.query(`delete from referral_access where referral_id = $1`, [r.id]), /ajout seul/)
})
