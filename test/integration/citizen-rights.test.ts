import t from 'tap'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { startAppWithMail } from '../helpers/network.ts'
import { Visitor } from '../helpers/visitor.ts'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { withTenant } from '@relais/db'
import { runRetention, verifyChain } from '@relais/referrals'
import { pdfText } from '../helpers/pdf.ts'
import { configEnv } from '../helpers/processes.ts'

// Issue 18, the citizen's rights: the written answer forwarded to her in the mairie's name (mail or letter), the log of
// who displayed her data, and the mission TIC's right of access and erasure.
const { app, clock, db: owner, sink, env } = await startAppWithMail({ env: { PUBLIC_URL: 'https://relais.indre.test' } })

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

t.test('right of access and erasure: find, export (JSON, PDF), erase across referrals; the mission TIC only; another tenant never', async (t) => {
  const a = await file({ name: 'Ana Sujet', email: 'Ana.Sujet@example.org' })
  const b = await file({ name: 'Ana Sujet', email: 'ana.sujet@example.org' })
  const other = await file({ name: 'Ana Sujet', email: 'ana.sujet@example.org' }, cher)
  t.equal((await answer(a.id, 'Réponse écrite pour Ana.')).statusCode, 200)
  const find = (q: string, headers = tic) => app.inject({ url: `/api/v1/privacy/subjects?${q}`, headers })

  for (const h of [secretary, referent]) t.equal((await find('email=ana.sujet@example.org', h)).statusCode, 403, 'only the mission TIC')
  t.equal((await find('email=pas-une-adresse')).statusCode, 400)
  t.equal((await find('')).statusCode, 400)
  const byEmail = await find('email=ANA.SUJET@example.org')
  t.equal(byEmail.statusCode, 200)
  t.same(byEmail.json().items.map((i: { reference: string }) => i.reference).sort(), [a.reference, b.reference].sort(), 'both referrals, case ignored, not the Cher one')
  t.notMatch(byEmail.body, other.reference, 'another tenant is never found')
  const byName = (await find('name=sujet%20ana')).json()
  t.same(byName.items.map((i: { reference: string }) => i.reference).sort(), [a.reference, b.reference].sort(), 'by name, every word, in any order')
  const cherTic = await bearer(app, 'tic@cher.demo')
  t.same((await find('email=ana.sujet@example.org', cherTic)).json().items.map((i: { reference: string }) => i.reference), [other.reference], 'the Cher finds only its own')

  clock.advanceMinutes(10)
  const json = await app.inject({ url: '/api/v1/privacy/subjects/export?email=ana.sujet@example.org', headers: tic })
  t.equal(json.statusCode, 200)
  t.match(String(json.headers['content-disposition']), /attachment; filename="donnees-personnelles-/)
  const x = json.json()
  t.equal(x.referrals.length, 2)
  const ra = x.referrals.find((r: { reference: string }) => r.reference === a.reference)
  t.equal(ra.question, sampleReferral.question)
  t.equal(ra.citizen.email, 'Ana.Sujet@example.org')
  t.same(ra.written.map((w: { label: string; text: string }) => `${w.label}: ${w.text}`), ['Réponse: Réponse écrite pour Ana.'])
  t.equal((await app.inject({ url: '/api/v1/privacy/subjects/export?email=ana.sujet@example.org', headers: secretary })).statusCode, 403)
  const pdf = await app.inject({ url: '/api/v1/privacy/subjects/export?email=ana.sujet@example.org&format=pdf', headers: tic })
  t.equal(pdf.statusCode, 200)
  t.equal(pdf.headers['content-type'], 'application/pdf')
  const text = await pdfText(pdf.rawPayload)
  for (const s of ['Export des données personnelles', a.reference, b.reference, 'Ana Sujet', 'Réponse écrite pour Ana.']) t.match(text, s, `the PDF says « ${s} »`)
  const log = (await app.inject({ url: `/api/v1/referrals/${a.id}/access-log`, headers: tic })).json()
  t.same(log.items.slice(0, 2).map((e: { via: string; person: { name: string } }) => e.via), ['export', 'export'], 'each export is on the referral’s access log')
  const perPerson = (await app.inject({ url: '/api/v1/privacy/subjects/access-log?email=ana.sujet@example.org', headers: tic })).json()
  t.equal(perPerson.referrals.length, 2)
  t.ok(perPerson.items.length >= 4, 'the person’s log covers her referrals')

  const refused = await app.inject({ method: 'POST', url: '/api/v1/privacy/subjects/erase', headers: tic, payload: { email: 'ana.sujet@example.org' } })
  t.equal(refused.statusCode, 409)
  t.equal(refused.json().error.code, 'subject_has_open_referrals')
  t.match(refused.json().error.message, /rien n’a été effacé/)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/privacy/subjects/erase', headers: secretary, payload: { email: 'ana.sujet@example.org' } })).statusCode, 403)
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/referrals/${a.id}/close`, headers: secretary, payload: {} })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/referrals/${b.id}/cancel`, headers: secretary, payload: { body: 'Demande retirée par Ana.' } })).statusCode, 200)
  const erased = await app.inject({ method: 'POST', url: '/api/v1/privacy/subjects/erase', headers: tic, payload: { email: 'ana.sujet@example.org' } })
  t.equal(erased.statusCode, 200)
  t.same(erased.json().erased.map((r: { reference: string }) => r.reference).sort(), [a.reference, b.reference].sort())
  t.same((await find('email=ana.sujet@example.org')).json().items, [], 'nothing left to find')
  const rows = (await owner.query('select id, citizen_name, citizen_email, question, anonymised_at from referral where id = any($1)', [[a.id, b.id, other.id]])).rows
  for (const r of rows.filter((r) => r.id !== other.id)) {
    t.equal(r.citizen_email, null)
    t.equal(r.citizen_name, 'Usager anonymisé')
    t.ok(r.anonymised_at)
  }
  t.equal(rows.find((r) => r.id === other.id).citizen_email, 'ana.sujet@example.org', 'the Cher’s referral is untouched')
  const dump = (await owner.query(`select count(*)::int as n from referral_event where referral_id = any($1) and (data::text ilike '%ana.sujet%' or data::text like '%Réponse écrite pour Ana%' or data::text like '%retirée par Ana%')`, [[a.id, b.id]])).rows[0].n
  t.equal(dump, 0, 'the timelines keep no text nor address of hers')
  const detail = (await app.inject({ url: `/api/v1/referrals/${a.id}`, headers: secretary })).json()
  t.ok(detail.timeline.some((e: { kind: string; data: { onRequest?: boolean } }) => e.kind === 'anonymised' && e.data.onRequest), 'the timeline says it was erased on request')
  for (const r of [a, b]) {
    const tenantId = (await owner.query('select tenant_id from referral where id = $1', [r.id])).rows[0].tenant_id
    t.equal((await withTenant(app.db, { tenantId }, (trx) => verifyChain(trx, tenantId, r.id))).ok, true, `${r.reference}: the chain still verifies`)
  }
  const verified = await promisify(execFile)('npx', ['tsx', 'scripts/verify-chain.ts'], { env: { ...process.env, ...configEnv(env.config as unknown as Record<string, unknown>) } })
  t.match(verified.stdout, / 0 chaîne\(s\) rompue\(s\)/, 'npm run verify-chain passes')
  const audit = (await owner.query(`select action, label, after::text as after from audit_log where entity = 'privacy_subject' order by at, action`)).rows
  t.same([...new Set(audit.map((r) => r.action))].sort(), ['erase', 'export', 'find'], 'each action on the audit log')
  t.notOk(audit.some((r) => /ana\.sujet|Ana Sujet/i.test(`${r.label} ${r.after}`)), 'by references, never by the address or name typed')
})

t.test('pages: the mission TIC finds, exports and erases; others are refused', async (t) => {
  const r = await file({ name: 'Basile Page', email: 'basile.page@example.org' })
  await app.inject({ method: 'POST', url: `/api/v1/referrals/${r.id}/cancel`, headers: secretary, payload: { body: 'Retirée.' } })
  const admin = new Visitor(app)
  await admin.login('tic@indre.demo')
  const found = await admin.get('/annuaire/usagers?email=basile.page%40example.org')
  t.equal(found.statusCode, 200)
  t.match(found.body, r.reference)
  t.match(found.body, /Exporter ses données \(PDF\)/)
  const exported = await admin.get('/annuaire/usagers/export?email=basile.page%40example.org&format=json')
  t.equal(exported.statusCode, 200)
  t.match(exported.body, /Basile Page/)
  t.equal((await admin.get('/annuaire/usagers/acces?email=basile.page%40example.org')).statusCode, 200)
  const unconfirmed = await admin.post('/annuaire/usagers/effacer', { email: 'basile.page@example.org' })
  t.equal(unconfirmed.statusCode, 400)
  t.match(unconfirmed.body, /Cochez la case/)
  const done = await admin.post('/annuaire/usagers/effacer', { email: 'basile.page@example.org', confirm: '1' })
  t.equal(done.statusCode, 200)
  t.match(done.body, /ont été effacées de 1 demande/)
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  t.equal((await sec.get('/annuaire/usagers?email=basile.page%40example.org')).statusCode, 403)
})

t.test('the retention gap and the settings: a cancelled referral ages from its cancellation; settings changes are audited', async (t) => {
  const put = await app.inject({ method: 'PUT', url: '/api/v1/privacy/settings', headers: tic, payload: { dpoContact: 'DPO, dpo@indre.demo', retentionMonths: 12, referentMailContact: false } })
  t.equal(put.statusCode, 200)
  const audit = (await owner.query(`select action, before, after from audit_log where entity = 'privacy_settings' order by at desc limit 1`)).rows[0]
  t.equal(audit.after.retentionMonths, 12)
  t.equal(audit.before.retentionMonths, 24)
  const c = await file({ name: 'Céline Annule', email: 'celine.annule@example.org' })
  await app.inject({ method: 'POST', url: `/api/v1/referrals/${c.id}/cancel`, headers: secretary, payload: { body: 'Plus besoin.' } })
  const cancelledAt = (await owner.query('select cancelled_at from referral where id = $1', [c.id])).rows[0].cancelled_at
  t.ok(cancelledAt, 'the cancellation is dated')
  const early = await runRetention(app.db, { asOf: new Date(cancelledAt.getTime() + 300 * 86_400_000), dryRun: true })
  t.notOk(early.tenants.some((x) => x.referrals.some((r) => r.reference === c.reference)), 'before the retention: kept')
  const late = await runRetention(app.db, { asOf: new Date(cancelledAt.getTime() + 400 * 86_400_000) })
  t.ok(late.tenants.some((x) => x.referrals.some((r) => r.reference === c.reference)), '12 months after its cancellation: erased')
  t.equal((await owner.query('select citizen_email from referral where id = $1', [c.id])).rows[0].citizen_email, null)
})
