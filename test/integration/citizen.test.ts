import t from 'tap'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { startAppWithMail } from '../helpers/network.ts'
import { Visitor } from '../helpers/visitor.ts'

// Issue 18, the citizen: the acknowledgement of receipt (mailed, or printed with a new code), tracking without login
// (same answer for a wrong code and an unknown reference, throttled, no personal data, no other tenant's referral),
// and the tenant's privacy settings in the notice.
const { app, clock, db: owner, sink } = await startAppWithMail({ env: { PUBLIC_URL: 'https://relais.indre.test' }, sweepIntervalMs: 200 })

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const otherSecretary = await bearer(app, 'secretaire@issoudun.demo')
const referent = await bearer(app, 'referent@caf36.demo')
const tic = await bearer(app, 'tic@indre.demo')
const cher = await bearer(app, 'secretaire@bourges.demo')

let ip = 0
const track = (reference: string, code: string, from = `10.1.0.${++ip}`) =>
  app.inject({ url: `/api/v1/tracking/${encodeURIComponent(reference)}?code=${encodeURIComponent(code)}`, remoteAddress: from })

let mailed: { id: string; reference: string; code: string }

t.test('filing with an address: the citizen is mailed the acknowledgement, with its code, and only a hash is kept', async (t) => {
  const filed = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: sampleReferral })
  t.equal(filed.statusCode, 201)
  const { id, reference, trackingCode, acknowledgement } = filed.json()
  t.match(trackingCode, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/, 'a 12-symbol code, grouped by four')
  t.equal(acknowledgement, 'email')
  mailed = { id, reference, code: trackingCode }

  const ack = await sink.waitFor((m) => m.to.includes('jeanne.durand@example.org') && m.subject.includes(reference), 10_000)
  t.match(ack.subject, /^Accusé de réception de votre demande/)
  for (const fact of ['mardi 24 novembre 2026 à 10 h 00', 'sous 3 jours ouvrés', 'vendredi 27 novembre 2026', 'CAF de l’Indre', '8 rue Claude Debussy, 36000 Châteauroux', '32 30', 'contact@caf36.demo', trackingCode,
    'https://relais.indre.test/suivi?reference=', 'Mission d’intérêt public', 'effacés 24 mois après la clôture', 'dpo@indre.demo', 'CNIL']) {
    t.ok(ack.text.includes(fact), `the acknowledgement says « ${fact} »`)
  }
  const toReferent = await sink.waitFor((m) => m.to.includes('referent@caf36.demo') && m.subject.includes(reference), 10_000)
  t.match(toReferent.text, /Jeanne Durand/, 'the referent is given the name')
  t.notMatch(toReferent.text, /jeanne\.durand@example\.org|02 54 00 00 00/, 'but not the contact details (the tenant default)')

  const row = (await owner.query('select tracking_code_hash from referral where id = $1', [id])).rows[0]
  t.match(row.tracking_code_hash, /^[0-9a-f]{64}$/)
  const raw = trackingCode.replace(/-/g, '')
  // The send is recorded, then the code is wiped from the outbox row: it is nowhere in clear.
  for (let i = 0; i < 100; i++) {
    const o = (await owner.query(`select payload, sent_at from outbox where referral_id = $1 and kind = 'acknowledgement'`, [id])).rows[0]
    if (o.sent_at && !JSON.stringify(o.payload).includes(raw)) break
    await new Promise((r) => setTimeout(r, 50))
  }
  const dump = (await owner.query(`select (select count(*) from outbox where payload::text like '%' || $1 || '%') + (select count(*) from referral where row_to_json(referral)::text like '%' || $1 || '%') + (select count(*) from referral_event where data::text like '%' || $1 || '%') as n`, [raw])).rows[0]
  t.equal(Number(dump.n), 0, 'the code is stored nowhere in clear')
})

t.test('a transfer: the mairie and the citizen are told which organisation handles it now, the deadline unchanged', async (t) => {
  const filed = (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, citizen: { ...sampleReferral.citizen, email: 'paul.martin@example.org' } } })).json()
  const ddt = (await (await app.inject({ url: '/api/v1/organisations?kind=partner&limit=100', headers: tic })).json()).items.find((o: { name: string }) => o.name === 'DDT de l’Indre')
  const moved = await app.inject({ method: 'POST', url: `/api/v1/referrals/${filed.id}/transfer`, headers: referent, payload: { organisationId: ddt.id, reason: 'Urbanisme : pas pour nous.' } })
  t.equal(moved.statusCode, 200)
  t.equal(moved.json().dueAt, filed.dueAt, 'the deadline does not restart')
  const citizen = await sink.waitFor((m) => m.to.includes('paul.martin@example.org') && m.subject.includes('transmise'), 10_000)
  t.equal(citizen.subject, `Votre demande ${filed.reference} est transmise à DDT de l’Indre`)
  t.match(citizen.text, /ne relance pas le délai/)
  t.match(citizen.text, /https:\/\/relais\.indre\.test\/suivi\?reference=/, 'how to follow it')
  t.notMatch(citizen.text, /Urbanisme : pas pour nous/, 'the partners’ reason stays between them')
  const mairie = await sink.waitFor((m) => m.to.includes('secretaire@ardentes.demo') && m.subject === `Saisine ${filed.reference} transmise à DDT de l’Indre`, 10_000)
  t.match(mairie.text, new RegExp(`/saisines/${filed.id}`), 'the mairie gets the link to the referral')
})

t.test('tracking: the steps, the organisation, the expected date, and nothing personal beyond an initial', async (t) => {
  const res = await track(mailed.reference, mailed.code.toLowerCase().replace(/-/g, ' '))
  t.equal(res.statusCode, 200, 'typed in lower case with spaces, the code still works')
  const body = res.json()
  t.equal(body.reference, mailed.reference)
  t.equal(body.organisation, 'CAF de l’Indre')
  t.equal(body.expectedAt, '2026-11-27T09:00:00.000Z')
  t.equal(body.initial, 'J.')
  t.same(body.steps.map((s: { kind: string }) => s.kind), ['received', 'sent_to'])
  t.equal(body.steps[1].label, 'Transmise à CAF de l’Indre')
  t.notMatch(res.body, /Jeanne|Durand|example\.org|02 54|allocation de soutien|Nathalie Roux/, 'no name, address, question nor person of the network')

  clock.advanceMinutes(60)
  const answered = await app.inject({ method: 'POST', url: `/api/v1/referrals/${mailed.id}/answer`, headers: referent, payload: { body: 'Oui, l’ASF est due.' } })
  t.equal(answered.statusCode, 200)
  const after = (await track(mailed.reference, mailed.code)).json()
  t.equal(after.status, 'answered')
  t.equal(after.statusLabel, 'Réponse apportée')
  t.equal(after.expectedAt, null, 'answered: no date to wait for')
  t.same(after.steps.map((s: { kind: string }) => s.kind), ['received', 'sent_to', 'answered'])
  t.notMatch(JSON.stringify(after), /ASF est due/, 'the answer itself is not on the public page')
})

t.test('a wrong code, an unknown reference, another tenant\'s reference: the same 404; bad input 400', async (t) => {
  const wrong = await track(mailed.reference, 'ABCD-EFGH-JKMN')
  const unknown = await track('36-2026-999999', mailed.code)
  const garbage = await track('n-importe-quoi', mailed.code)
  const malformed = await track(mailed.reference, 'trop-court')
  for (const r of [wrong, unknown, garbage, malformed]) {
    t.equal(r.statusCode, 404)
    t.same(r.json(), wrong.json(), 'word for word the same answer')
  }
  t.equal(wrong.json().error.code, 'tracking_not_found')
  // The Cher's referral, with its own code: found; with the Indre code: not.
  const filed = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: cher, payload: { ...sampleReferral, themeCode: 'aides-caf', citizen: { name: 'Paul Martin', preferredChannel: 'counter' } } })
  t.equal(filed.statusCode, 201)
  const other = filed.json()
  t.equal(other.acknowledgement, 'print')
  t.equal((await track(other.reference, mailed.code)).statusCode, 404, 'an Indre code does not open a Cher referral')
  t.equal((await track(mailed.reference, other.trackingCode)).statusCode, 404, 'nor the other way round')
  t.equal((await track(other.reference, other.trackingCode)).statusCode, 200)
  const noCode = await app.inject({ url: `/api/v1/tracking/${mailed.reference}` })
  t.equal(noCode.statusCode, 400)
  t.equal(noCode.json().error.code, 'validation_failed')
})

t.test('wrong codes are throttled per reference and address, whether the reference exists or not', async (t) => {
  const from = '10.2.0.1'
  for (let i = 0; i < 5; i++) t.equal((await track(mailed.reference, 'ABCD-EFGH-JKMN', from)).statusCode, 404)
  const blocked = await track(mailed.reference, mailed.code, from)
  t.equal(blocked.statusCode, 429, 'even the right code waits')
  t.ok(Number(blocked.headers['retry-after']) > 0)
  t.match(blocked.json().error.message, /Trop de tentatives/)
  for (let i = 0; i < 5; i++) t.equal((await track('36-2026-999998', 'ABCD-EFGH-JKMN', from)).statusCode, 404)
  t.equal((await track('36-2026-999998', 'ABCD-EFGH-JKMN', from)).statusCode, 429, 'an unknown reference is throttled alike')
  t.equal((await track(mailed.reference, mailed.code, '10.2.0.2')).statusCode, 200, 'another address is not held up')
})

t.test('the printed receipt: a new code replaces the previous one; the filing mairie and the mission TIC only', async (t) => {
  const res = await app.inject({ method: 'POST', url: `/api/v1/referrals/${mailed.id}/acknowledgement`, headers: secretary })
  t.equal(res.statusCode, 200)
  const receipt = res.json()
  t.not(receipt.trackingCode, mailed.code)
  t.equal(receipt.promise, '3 jours ouvrés')
  t.equal(receipt.service.name, 'CAF de l’Indre')
  t.equal(receipt.service.phone, '32 30')
  t.match(receipt.notice.contact, /dpo@indre\.demo/)
  t.equal((await track(mailed.reference, mailed.code)).statusCode, 404, 'the mailed code no longer works')
  t.equal((await track(mailed.reference, receipt.trackingCode)).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/referrals/${mailed.id}/acknowledgement`, headers: referent })).statusCode, 403)
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/referrals/${mailed.id}/acknowledgement`, headers: otherSecretary })).statusCode, 404)
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/referrals/${mailed.id}/acknowledgement`, headers: cher })).statusCode, 404, 'another tenant: as if missing')
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/referrals/${mailed.id}/acknowledgement`, headers: tic })).statusCode, 200)
  const detail = (await app.inject({ url: `/api/v1/referrals/${mailed.id}`, headers: secretary })).json()
  t.equal(detail.timeline.filter((e: { kind: string }) => e.kind === 'receipt_printed').length, 2, 'the timeline records each print')
})

t.test('privacy settings: the mission TIC sets the DPO contact and the retention, which the notice then says', async (t) => {
  t.equal((await app.inject({ url: '/api/v1/privacy/settings', headers: referent })).statusCode, 403)
  const bad = await app.inject({ method: 'PUT', url: '/api/v1/privacy/settings', headers: tic, payload: { dpoContact: '  ', retentionMonths: 24, referentMailContact: false } })
  t.equal(bad.statusCode, 400)
  const put = await app.inject({ method: 'PUT', url: '/api/v1/privacy/settings', headers: tic, payload: { dpoContact: 'DPO, 1 rue Test, dpo-nouveau@indre.demo', retentionMonths: 36, referentMailContact: false } })
  t.equal(put.statusCode, 200)
  t.same(put.json(), { dpoContact: 'DPO, 1 rue Test, dpo-nouveau@indre.demo', retentionMonths: 36, referentMailContact: false })
  const receipt = (await app.inject({ method: 'POST', url: `/api/v1/referrals/${mailed.id}/acknowledgement`, headers: secretary })).json()
  t.match(receipt.notice.contact, /dpo-nouveau@indre\.demo/)
  t.match(receipt.notice.retention, /36 mois/)
})

t.test('pages: the notice on the filing form, the printable receipt, /suivi without login, the settings page', async (t) => {
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  const form = await sec.get('/saisines/nouvelle')
  t.match(form.body, /Information de l’usager sur ses données personnelles/)
  t.match(form.body, /dpo-nouveau@indre\.demo/)
  const filed = await sec.post('/saisines/nouvelle', { themeCode: 'aides-caf', question: 'Une question posée au guichet, sans adresse électronique.', citizenName: 'Marcel Petit', preferredChannel: 'counter' })
  t.equal(filed.statusCode, 303)
  t.match(filed.headers.location, /\?fait=deposee_imprimer$/)
  const page = await sec.get(String(filed.headers.location))
  t.match(page.body, /imprimez son accusé de réception/)
  const id = /\/saisines\/([0-9a-f-]{36})/.exec(String(filed.headers.location))![1]
  const printed = await sec.post(`/saisines/${id}/accuse-de-reception`, {})
  t.equal(printed.statusCode, 200)
  t.match(printed.body, /Accusé de réception de votre demande/)
  t.match(printed.body, /sous 3 jours ouvrés/)
  t.match(printed.body, /https:\/\/relais\.indre\.test\/suivi/)
  const code = /class="tracking-code">([A-Z0-9-]+)</.exec(printed.body)![1]
  const reference = /Référence<\/dt><dd><strong>([0-9A-Z-]+)</.exec(printed.body)![1]

  const citizen = new Visitor(app)
  const empty = await citizen.get(`/suivi?reference=${reference}`)
  t.equal(empty.statusCode, 200)
  t.match(empty.body, `value="${reference}"`)
  const shown = await citizen.post('/suivi', { reference, code })
  t.equal(shown.statusCode, 200)
  t.match(shown.body, /Transmise à CAF de l’Indre/)
  t.match(shown.body, /M\./)
  t.notMatch(shown.body, /Marcel|Petit/)
  const wrong = await citizen.post('/suivi', { reference, code: 'ABCD-EFGH-JKMN' })
  t.equal(wrong.statusCode, 404)
  t.match(wrong.body, /Aucune demande ne correspond/)
  t.equal((await citizen.post('/suivi', { reference, code }, { csrf: null })).statusCode, 403, 'the form needs its CSRF token')

  const admin = new Visitor(app)
  await admin.login('tic@indre.demo')
  const settings = await admin.get('/annuaire/donnees-personnelles')
  t.equal(settings.statusCode, 200)
  t.match(settings.body, /dpo-nouveau@indre\.demo/)
  const saved = await admin.post('/annuaire/donnees-personnelles', { dpoContact: 'DPO de l’Indre, dpo@indre.demo', retentionMonths: '24' })
  t.equal(saved.statusCode, 200)
  t.match(saved.body, /Les règles ont été enregistrées/)
  const refused = await admin.post('/annuaire/donnees-personnelles', { dpoContact: '', retentionMonths: '0' })
  t.equal(refused.statusCode, 400)
  t.match(refused.body, /obligatoires/)
  t.equal((await sec.get('/annuaire/donnees-personnelles')).statusCode, 403)
})
