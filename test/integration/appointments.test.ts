import t from 'tap'
import ICAL from 'ical.js'
import type { ReceivedMail } from '@relais/mail/sink'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { startAppWithMail } from '../helpers/network.ts'
import { Visitor } from '../helpers/visitor.ts'

// Appointments at France services (issue 14): places, permanences, free slots, booking, invitations; one app, one
// database, one worker and a real SMTP sink.
// A pool as large as a busy instance's, so that fifty bookings at once wait on each other in PostgreSQL, not for a connection.
const { app, clock, db: owner, sink, worker } = await startAppWithMail({ env: { PUBLIC_URL: 'https://relais.indre.test', DB_POOL_MAX: '40' }, sweepIntervalMs: 200 })

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const caf = await bearer(app, 'referent@caf36.demo')
const cafAdmin = await bearer(app, 'admin@caf36.demo')
const cpam = await bearer(app, 'referent@cpam36.demo')
const tic = await bearer(app, 'tic@indre.demo')
const cher = await bearer(app, 'tic@cher.demo')

const api = (method: string, url: string, headers: { authorization: string }, payload?: object) =>
  app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) })
const file = async (payload: object = sampleReferral) => {
  const res = await api('POST', '/referrals', secretary, payload)
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json() as { id: string; reference: string }
}
const orgOf = async (h: { authorization: string }) => (await api('GET', '/me', h)).json().organisation.id as string
const places = async (h = tic, q = '') => (await api('GET', `/places${q}`, h)).json().items as { id: string; name: string; desks: number; communes: string[] }[]

t.test('places: the demo seed, the mission TIC writes them, CSV import, tenant isolation', async (t) => {
  const all = await places()
  t.ok(['France services d’Aigurande', 'France services de Valençay', 'France services de Vatan'].every((n) => all.some((p) => p.name === n)), 'the three cantonal France services')
  t.ok(all.length >= 6, 'plus a few more')
  t.same((await places(secretary, '?communeInsee=36005')).map((p) => p.name).sort(), ['Accueil CAF de Châteauroux', 'France services d’Écueillé', 'France services de Valençay'].sort(), 'those serving Ardentes')
  t.same(await places(cher), [], 'nothing of the Indre in the Cher')

  const created = await api('POST', '/places', tic, { name: 'Mairie de Saint-Août', address: '1 place de la Mairie, 36120 Saint-Août', communes: ['36179'], desks: 2, openingHours: { mon: [{ opens: '09:00', closes: '12:00' }] }, closures: [{ from: '2026-12-28', to: '2026-12-31' }] })
  t.equal(created.statusCode, 201, created.body)
  t.equal(created.json().desks, 2)
  t.equal((await api('POST', '/places', tic, { name: 'Mairie de Saint-Août' })).statusCode, 409, 'names are unique')
  t.equal((await api('POST', '/places', caf, { name: 'Chez moi' })).statusCode, 403, 'only the mission TIC')
  const bad = await api('POST', '/places', tic, { name: 'X', closures: [{ from: '2026-12-31', to: '2026-12-01' }] })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().error.details, [{ path: 'closures.0', message: /précède/ }])
  const patched = await api('PATCH', `/places/${created.json().id}`, tic, { desks: 1, phone: '02 54 00 00 99' })
  t.equal(patched.statusCode, 200, patched.body)
  t.match(patched.json(), { desks: 1, phone: '02 54 00 00 99', communes: ['36179'] })
  t.equal((await api('PATCH', `/places/${created.json().id}`, cher, { desks: 3 })).statusCode, 404, 'another tenant’s place does not exist there')

  const csv = 'nom;adresse;telephone;communes;bureaux\nFrance services de Buzançais;Place de l’Hôtel de Ville, 36500 Buzançais;02 54 84 00 00;36031 36056;2\nMairie de Saint-Août;ignorée;;;1\n'
  const refusedAll = await app.inject({ method: 'POST', url: '/api/v1/places/import', headers: { ...tic, 'content-type': 'text/csv' }, payload: csv })
  t.equal(refusedAll.statusCode, 400, 'a name already taken refuses the file')
  t.match(refusedAll.json().error.details, [{ line: 3, column: 'nom', message: /s’appelle déjà « Mairie de Saint-Août »/ }])
  t.notOk((await places()).some((p) => p.name === 'France services de Buzançais'), 'nothing applied')
  const imported = await app.inject({ method: 'POST', url: '/api/v1/places/import', headers: { ...tic, 'content-type': 'text/csv' }, payload: csv.split('\n').filter((l) => !l.startsWith('Mairie')).join('\n') })
  t.equal(imported.statusCode, 200, imported.body)
  t.same(imported.json(), { created: 1 })
  const refused = await app.inject({ method: 'POST', url: '/api/v1/places/import', headers: { ...tic, 'content-type': 'text/csv' }, payload: 'nom;communes\n;999\n' })
  t.equal(refused.statusCode, 400)
  t.match(refused.json().error.details, [{ path: /ligne 2/ }])
})

t.test('permanences: an org admin declares her organisation’s, not another’s', async (t) => {
  const cafOrg = await orgOf(caf)
  const cpamOrg = await orgOf(cpam)
  const place = (await places()).find((p) => p.name === 'France services de Vatan')!
  const body = { organisationId: cafOrg, placeId: place.id, weekday: 5, start: '09:00', end: '10:00', everyWeeks: 1, validFrom: '2026-11-01', slotMinutes: 20 }
  const ok = await api('POST', '/permanences', cafAdmin, body)
  t.equal(ok.statusCode, 201, ok.body)
  t.match(ok.json(), { organisationName: 'CAF de l’Indre', placeName: 'France services de Vatan', start: '09:00', end: '10:00', slotMinutes: 20 })
  t.equal((await api('POST', '/permanences', cafAdmin, { ...body, organisationId: cpamOrg })).statusCode, 403, 'not for the CPAM')
  t.equal((await api('POST', '/permanences', caf, body)).statusCode, 403, 'not a referent')
  const short = await api('POST', '/permanences', tic, { ...body, end: '09:10' })
  t.equal(short.statusCode, 400)
  const listed = (await api('GET', `/permanences?placeId=${place.id}`, secretary)).json().items
  t.ok(listed.some((x: { organisationName: string }) => x.organisationName === 'CAF de l’Indre'))
})

t.test('fifty concurrent bookings of one slot: exactly one succeeds, the others get 409 with the next free slots', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const referrals = []
  for (let i = 0; i < 50; i++) referrals.push(await file())
  const slots = (await api('GET', `/referrals/${referrals[0].id}/slots?days=14`, caf)).json().items
  const target = slots[0]
  t.match(target, { startsAt: '2026-11-25T08:00:00.000Z', placeName: 'Accueil CAF de Châteauroux', personName: 'Nathalie Roux' })
  // The pool's connections opened first: on a loaded machine, opening forty at once can outlast the pool's wait.
  await Promise.all(Array.from({ length: 40 }, () => api('GET', '/places', caf)))
  const results = await Promise.all(referrals.map((r) => api('POST', `/referrals/${r.id}/appointment`, caf, { placeId: target.placeId, startsAt: target.startsAt })))
  const codes = results.map((r) => r.statusCode)
  const odd = results.filter((r) => r.statusCode !== 201 && r.statusCode !== 409).map((r) => `${r.statusCode} ${r.body.slice(0, 300)}`)
  t.same(odd.slice(0, 3), [], 'nothing but one success and conflicts')
  t.equal(codes.filter((c) => c === 201).length, 1, 'one booking (201 Created)')
  t.equal(codes.filter((c) => c === 409).length, 49, 'forty-nine conflicts')
  const conflictBody = results.find((r) => r.statusCode === 409)!.json()
  t.equal(conflictBody.error.code, 'slot_taken')
  t.match(conflictBody.error.message, /vient d’être pris/)
  t.ok(conflictBody.alternatives.length > 0, 'alternatives offered')
  t.notOk(conflictBody.alternatives.some((s: { startsAt: string; personId: string }) => s.startsAt === target.startsAt), 'the taken slot is not among them')
  t.equal(conflictBody.alternatives[0].startsAt, '2026-11-25T08:30:00.000Z', 'the next one first')
  const count = await owner.query(`select count(*)::int as n from appointment where starts_at = $1 and status = 'booked'`, [target.startsAt])
  t.equal(count.rows[0].n, 1)
  const events = await owner.query(`select count(*)::int as n from referral_event where kind = 'appointment_proposed' and data->>'at' = $1`, [target.startsAt])
  t.equal(events.rows[0].n, 1, 'only the winner’s timeline says so')
})

t.test('the database itself refuses an overlap, for the referent and for a desk', async (t) => {
  const row = (await owner.query(`select tenant_id, referral_id, place_id, person_id, organisation_id from appointment where status = 'booked' limit 1`)).rows[0]
  const other = (await owner.query(`select id from person where email = 'referent@cpam36.demo'`)).rows[0].id
  const insert = (personId: string, desk: number) => owner.query(`insert into appointment (tenant_id, referral_id, place_id, desk, person_id, organisation_id, starts_at, ends_at)
    values ($1, $2, $3, $4, $5, $6, '2026-11-25T08:10:00Z', '2026-11-25T08:20:00Z')`, [row.tenant_id, row.referral_id, row.place_id, desk, personId, row.organisation_id])
  await t.rejects(insert(row.person_id, 2), { code: '23P01', constraint: 'appointment_referent_free' }, 'the referent is already busy')
  await t.rejects(insert(other, 1), { code: '23P01', constraint: 'appointment_desk_free' }, 'desk 1 is taken')
  await owner.query('begin')
  await insert(other, 2)
  await owner.query('rollback')
  t.pass('another referent at another desk is fine')
})

t.test('ad-hoc appointments: within the opening hours only; a busy desk answers 409', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const r = await file({ ...sampleReferral, themeCode: 'assurance-maladie' })
  const aigurande = (await places()).find((p) => p.name === 'France services d’Aigurande')!
  const closed = await api('POST', `/referrals/${r.id}/appointment`, cpam, { placeId: aigurande.id, startsAt: '2026-11-26T11:30:00Z' })
  t.equal(closed.statusCode, 400, 'Thursday 12:30 in Paris: closed')
  t.match(closed.json().error.details, [{ path: 'startsAt', message: /pas ouvert/ }])
  const holiday = await api('POST', `/referrals/${r.id}/appointment`, cpam, { placeId: aigurande.id, startsAt: '2026-12-25T09:00:00Z' })
  t.equal(holiday.statusCode, 400, 'Christmas')
  const booked = await api('POST', `/referrals/${r.id}/appointment`, cpam, { placeId: aigurande.id, startsAt: '2026-11-26T09:00:00Z', minutes: 45 })
  t.equal(booked.statusCode, 201, booked.body)
  const r2 = await file({ ...sampleReferral, themeCode: 'aides-caf' })
  const clash = await api('POST', `/referrals/${r2.id}/appointment`, caf, { placeId: aigurande.id, startsAt: '2026-11-26T09:30:00Z' })
  t.equal(clash.statusCode, 409, 'one desk at Aigurande, taken by the CPAM until 10:45')
  t.ok(Array.isArray(clash.json().alternatives))
})

t.test('slots and appointments: who sees what', async (t) => {
  const r = await file()
  t.equal((await api('GET', `/referrals/${r.id}/slots`, cpam)).statusCode, 404, 'not the holder')
  t.equal((await api('GET', `/referrals/${r.id}/slots`, secretary)).statusCode, 403, 'the mairie does not book')
  t.equal((await api('GET', `/referrals/${r.id}/slots`, cher)).statusCode, 404)
  const mine = (await api('GET', '/appointments?from=2026-11-23T00:00:00Z&days=7', caf)).json().items
  t.ok(mine.length >= 1 && mine.every((a: { person: { name: string } }) => a.person.name === 'Nathalie Roux'), 'the referent’s own')
  const mairie = (await api('GET', '/appointments?from=2026-11-23T00:00:00Z&days=7', secretary)).json().items
  t.ok(mairie.length >= 2, 'the mairie sees those of its referrals')
  t.same((await api('GET', '/appointments?from=2026-11-23T00:00:00Z&days=7', cher)).json().items, [])
  const one = await api('GET', `/appointments/${mine[0].id}`, cpam)
  t.equal(one.statusCode, 404, 'the CPAM does not see the CAF’s')
  t.equal((await api('GET', `/appointments/${mine[0].id}`, secretary)).statusCode, 200)
})

// ---- invitations: parsed with ical.js (an independent parser), applied to a calendar as a client would.
interface CalEvent { uid: string; sequence: number; start: string; end: string; summary: string; location: string }
function parseIcs(text: string): { method: string; events: CalEvent[] } {
  const cal = new ICAL.Component(ICAL.parse(text))
  const events = cal.getAllSubcomponents('vevent').map((c) => {
    const e = new ICAL.Event(c)
    return { uid: e.uid, sequence: e.sequence, start: e.startDate.toJSDate().toISOString(), end: e.endDate.toJSDate().toISOString(), summary: e.summary, location: e.location }
  })
  return { method: String(cal.getFirstPropertyValue('method')), events }
}
/** A calendar that imports invitations by the rules of RFC 5546: a higher SEQUENCE replaces, CANCEL removes. */
function calendarOf(mails: ReceivedMail[]) {
  const store = new Map<string, CalEvent>()
  for (const m of mails) {
    const part = m.attachments.find((a) => a.filename?.endsWith('.ics'))!
    const { method, events } = parseIcs(part.content)
    for (const e of events) {
      const known = store.get(e.uid)
      if (known && known.sequence > e.sequence) continue
      if (method === 'CANCEL') store.delete(e.uid)
      else store.set(e.uid, e)
    }
  }
  return [...store.values()]
}

t.test('invitations: REQUEST on booking, SEQUENCE + 1 on a change, CANCEL; one event that moves, then disappears', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const r = await file()
  const slots = (await api('GET', `/referrals/${r.id}/slots?days=21`, caf)).json().items
  const first = slots.find((s: { placeName: string }) => s.placeName === 'France services de Valençay')
  const booked = await api('POST', `/referrals/${r.id}/appointment`, caf, { placeId: first.placeId, startsAt: first.startsAt, note: 'Venir avec le livret de famille.' })
  t.equal(booked.statusCode, 201, booked.body)
  t.equal((await api('POST', `/referrals/${r.id}/appointment`, caf, { placeId: slots[5].placeId, startsAt: slots[5].startsAt })).json().error.code, 'appointment_exists', 'one standing appointment per referral')
  const appt = (await api('GET', '/appointments?from=2026-11-23T00:00:00Z&days=30', caf)).json().items.find((a: { reference: string }) => a.reference === r.reference)
  const mine = (m: ReceivedMail) => m.subject.includes(r.reference) && m.headers['x-relais-kind'] === 'appointment'
  const who = ['referent@caf36.demo', 'secretaire@ardentes.demo', 'jeanne.durand@example.org']
  const wave = async (n: number) => {
    await sink.waitFor(() => sink.messages.filter(mine).length >= n * 3, 15_000)
    return sink.messages.filter(mine).slice((n - 1) * 3, n * 3)
  }
  const first3 = await wave(1)
  t.same(first3.flatMap((m) => m.to).sort(), [...who].sort(), 'the referent, the secretary and the citizen')
  for (const m of first3) {
    t.match(m.raw, /Content-Type: text\/calendar; charset=utf-8; method=REQUEST/i, `${m.to}: a text/calendar alternative`)
    t.ok(m.attachments.some((a) => a.filename === 'rendez-vous.ics'), `${m.to}: an .ics attachment`)
  }
  const toSecretary = first3.find((m) => m.to.includes('secretaire@ardentes.demo'))!
  t.match(toSecretary.text, `https://relais.indre.test/rendez-vous/${appt.id}/convocation`, 'the secretary gets the convocation to print')
  t.match(toSecretary.text, 'France services de Valençay')
  const toCitizen = first3.find((m) => m.to.includes('jeanne.durand@example.org'))!
  t.match(toCitizen.text, 'Bonjour Jeanne Durand,')
  t.match(toCitizen.text, 'À apporter :')
  t.notMatch(toCitizen.text, /\/saisines\//, 'no extranet link for the citizen')
  const ics1 = parseIcs(toCitizen.attachments.find((a) => a.filename === 'rendez-vous.ics')!.content)
  t.equal(ics1.method, 'REQUEST')
  t.match(ics1.events, [{ uid: `${appt.id}@relais`, sequence: 0, start: first.startsAt, end: first.endsAt, location: /France services de Valençay/ }])
  t.same(calendarOf(first3).map((e) => e.start), [first.startsAt], 'one event in the calendar')

  // Moved by the secretary, with a reason: SEQUENCE 1, same UID.
  const later = slots.find((s: { placeName: string; startsAt: string }) => s.placeName === 'France services de Valençay' && s.startsAt > first.startsAt && new Date(s.startsAt).getTime() - new Date(first.startsAt).getTime() > 86_400_000)
  t.equal((await api('POST', `/appointments/${appt.id}/reschedule`, secretary, { startsAt: later.startsAt })).statusCode, 400, 'a reason is required')
  const moved = await api('POST', `/appointments/${appt.id}/reschedule`, secretary, { startsAt: later.startsAt, reason: 'L’usagère travaille ce jour-là.' })
  t.equal(moved.statusCode, 200, moved.body)
  t.match(moved.json(), { sequence: 1, startsAt: later.startsAt, status: 'booked' })
  const second3 = await wave(2)
  const ics2 = parseIcs(second3[0].attachments.find((a) => a.filename === 'rendez-vous.ics')!.content)
  t.match(ics2.events, [{ uid: `${appt.id}@relais`, sequence: 1, start: later.startsAt }])
  t.match(second3[0].subject, 'Rendez-vous déplacé')
  t.match(second3.find((m) => m.to.includes('jeanne.durand@example.org'))!.text, 'Motif : L’usagère travaille ce jour-là.')
  t.same(calendarOf([...first3, ...second3]).map((e) => e.start), [later.startsAt], 'still one event, moved')

  // The .ics of the API follows.
  const ics = await api('GET', `/appointments/${appt.id}/ics`, caf)
  t.equal(ics.statusCode, 200)
  t.match(ics.headers['content-type'], /text\/calendar/)
  t.match(parseIcs(ics.body).events, [{ sequence: 1, start: later.startsAt }])

  // Cancelled by the referent: METHOD:CANCEL, and the calendar loses it.
  const cancelled = await api('POST', `/appointments/${appt.id}/cancel`, caf, { reason: 'Dossier réglé par téléphone.' })
  t.equal(cancelled.statusCode, 200, cancelled.body)
  t.match(cancelled.json(), { status: 'cancelled', sequence: 2, cancelReason: 'Dossier réglé par téléphone.' })
  const third3 = await wave(3)
  t.equal(parseIcs(third3[0].attachments.find((a) => a.filename?.endsWith('.ics'))!.content).method, 'CANCEL')
  t.match(third3[0].raw, /method=CANCEL/i)
  t.same(calendarOf([...first3, ...second3, ...third3]), [], 'gone from the calendar')
  t.equal(parseIcs((await api('GET', `/appointments/${appt.id}/ics`, caf)).body).method, 'CANCEL')
  t.equal((await api('POST', `/appointments/${appt.id}/cancel`, caf, { reason: 'x' })).statusCode, 409, 'already cancelled')

  const timeline = (await api('GET', `/referrals/${r.id}`, secretary)).json().timeline
  t.match(timeline.find((e: { kind: string }) => e.kind === 'appointment_rescheduled').data, { from: first.startsAt, at: later.startsAt, reason: 'L’usagère travaille ce jour-là.' })
  t.match(timeline.find((e: { kind: string }) => e.kind === 'appointment_cancelled').data, { reason: 'Dossier réglé par téléphone.' })
  // The slot is free again, and the referral may be booked anew.
  t.ok((await api('GET', `/referrals/${r.id}/slots?days=21`, caf)).json().items.some((s: { startsAt: string; placeName: string }) => s.startsAt === later.startsAt && s.placeName === 'France services de Valençay'))
})

t.test('outcome: after the time only, by the holder; held says the referral may be closed; pending ones are listed', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const r = await file()
  const slot = (await api('GET', `/referrals/${r.id}/slots?days=21`, caf)).json().items.find((s: { placeName: string }) => s.placeName === 'France services de Valençay')
  t.equal((await api('POST', `/referrals/${r.id}/appointment`, caf, { placeId: slot.placeId, startsAt: slot.startsAt })).statusCode, 201)
  const appt = (await api('GET', '/appointments?from=2026-11-23T00:00:00Z&days=30', caf)).json().items.find((a: { reference: string }) => a.reference === r.reference)
  t.equal((await api('POST', `/appointments/${appt.id}/outcome`, caf, { outcome: 'held' })).json().error.code, 'appointment_not_yet')
  t.equal((await api('POST', `/appointments/${appt.id}/outcome`, secretary, { outcome: 'held' })).statusCode, 403, 'the mairie does not record it')
  clock.set(new Date(new Date(slot.endsAt).getTime() + 3600_000))
  const held = await api('POST', `/appointments/${appt.id}/outcome`, caf, { outcome: 'held' })
  t.equal(held.statusCode, 200, held.body)
  t.match(held.json(), { status: 'held', closable: true })
  t.equal((await api('POST', `/appointments/${appt.id}/outcome`, caf, { outcome: 'no_show' })).statusCode, 409, 'once')
  const closed = await api('POST', `/referrals/${r.id}/close`, secretary, {})
  t.equal(closed.statusCode, 200, 'the mairie closes it')
  t.match((await api('GET', `/referrals/${r.id}`, secretary)).json().timeline.find((e: { kind: string }) => e.kind === 'appointment_outcome').data, { outcome: 'held' })
})

t.test('the reminder: the working day before at 10:00, to the citizen and the referent, once', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const r = await file()
  const slot = (await api('GET', `/referrals/${r.id}/slots?days=21`, caf)).json().items.find((s: { placeName: string; startsAt: string }) => s.placeName === 'France services de Valençay' && s.startsAt.startsWith('2026-11-26'))
  t.ok(slot, 'a Thursday slot at Valençay')
  t.equal((await api('POST', `/referrals/${r.id}/appointment`, caf, { placeId: slot.placeId, startsAt: slot.startsAt })).statusCode, 201)
  const reminded = async () => (await owner.query(`select reminded_at from appointment a join referral r on r.id = a.referral_id where r.reference = $1`, [r.reference])).rows[0].reminded_at
  clock.set('2026-11-25T08:59:00Z') // Wednesday 9:59 in Paris
  await worker.remindAppointmentsOnce()
  t.equal(await reminded(), null, 'not before 10:00 the working day before')
  clock.set('2026-11-25T09:00:00Z')
  await worker.remindAppointmentsOnce()
  t.ok(await reminded(), 'reminded at 10:00')
  const isReminder = (m: ReceivedMail) => m.subject.includes(r.reference) && m.subject.startsWith('Rappel')
  await sink.waitFor(() => sink.messages.filter(isReminder).length >= 2, 15_000)
  t.same(sink.messages.filter(isReminder).flatMap((m) => m.to).sort(), ['jeanne.durand@example.org', 'referent@caf36.demo'])
  t.ok(sink.messages.filter(isReminder).every((m) => m.attachments.some((a) => a.filename === 'rendez-vous.ics')), 'with the invitation')
  await worker.remindAppointmentsOnce()
  const count = await owner.query(`select count(*)::int as n from outbox o join referral r on r.id = o.referral_id where r.reference = $1 and o.payload->>'occasion' = 'reminder'`, [r.reference])
  t.equal(count.rows[0].n, 2, 'once')
})

t.test('an ad-hoc appointment from the referral page: a place, a local time within its opening hours, and its length', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const r = await file()
  const referent = new Visitor(app)
  await referent.login('referent@caf36.demo')
  const page = await referent.get(`/saisines/${r.id}`)
  t.match(page.body, /<label for="rdv-duree">Durée en minutes/, 'the form asks for the length')
  const valencay = /<option value="([0-9a-f-]{36})"[^>]*>France services de Valençay/.exec(page.body)?.[1]
  t.ok(valencay)
  const tooShort = await referent.post(`/saisines/${r.id}/appointment`, { slot: 'autre', placeId: valencay!, at: '2026-12-01T14:00', minutes: '5' })
  t.equal(tooShort.statusCode, 400, 'five minutes is refused')
  t.match(tooShort.body, /href="#rdv-duree"/, 'the summary points at the length field')
  const closedThen = await referent.post(`/saisines/${r.id}/appointment`, { slot: 'autre', placeId: valencay!, at: '2026-12-01T16:30', minutes: '60' })
  t.equal(closedThen.statusCode, 400, 'an hour from 16:30 ends after 17:00, when the place closes')
  t.match(closedThen.body, /pas ouvert à cette heure-là/)
  const booked = await referent.post(`/saisines/${r.id}/appointment`, { slot: 'autre', placeId: valencay!, at: '2026-12-01T14:00', minutes: '60' })
  t.equal(booked.statusCode, 303, booked.body)
  const appt = (await api('GET', '/appointments?from=2026-11-30T00:00:00Z&days=7', caf)).json().items.find((a: { reference: string }) => a.reference === r.reference)
  t.match(appt, { startsAt: '2026-12-01T13:00:00.000Z', endsAt: '2026-12-01T14:00:00.000Z', place: { name: 'France services de Valençay' }, status: 'booked' }, 'Tuesday 14:00–15:00 in Paris, outside any permanence')
})

t.test('places in the pages: the mission TIC edits a place, its opening hours and closures, imports a CSV; a permanence is ended', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const created = await api('POST', '/places', tic, { name: 'Maison de services de test', communes: ['36005'] })
  t.equal(created.statusCode, 201, created.body)
  const id = created.json().id as string
  const v = await Visitor.as(app, 'tic@indre.demo')
  t.match((await v.get('/lieux')).body, `href="/lieux/${id}"`, 'each place links to its page')
  const page = await v.get(`/lieux/${id}`)
  t.equal(page.statusCode, 200)
  t.match(page.body, 'id="h-thu-2-closes"', 'two windows per weekday')
  const form = {
    name: 'Maison France services de test', address: '3 rue de la Gare, 36120 Ardentes', phone: '02 54 00 00 42', desks: '2', communes: '36005 36044', whatToBring: 'Une pièce d’identité.', active: '1',
    'h-thu-1-opens': '09:00', 'h-thu-1-closes': '12:00', 'h-thu-2-opens': '14:00', 'h-thu-2-closes': '17:00',
  }
  const saved = await v.post(`/lieux/${id}`, form)
  t.equal(saved.statusCode, 303, saved.body)
  const place = () => api('GET', '/places', tic).then((r) => r.json().items.find((x: { id: string }) => x.id === id))
  t.match(await place(), { name: 'Maison France services de test', phone: '02 54 00 00 42', desks: 2, communes: ['36005', '36044'], openingHours: { thu: [{ opens: '09:00', closes: '12:00' }, { opens: '14:00', closes: '17:00' }] } })
  const wrong = await v.post(`/lieux/${id}`, { ...form, desks: '3', 'h-mon-1-opens': '12:00', 'h-mon-1-closes': '09:00' })
  t.equal(wrong.statusCode, 400)
  t.match(wrong.body, /<a href="#h-mon-1-opens">Horaires du lundi, plage 1 : L’ouverture doit précéder la fermeture\.<\/a>/, 'the error points at Monday’s first window')
  t.equal((await place()).desks, 2, 'nothing saved')

  t.equal((await v.post(`/lieux/${id}/fermetures`, { from: '2026-12-03', to: '', reason: 'Inventaire' })).statusCode, 303)
  t.match((await v.get(`/lieux/${id}`)).body, 'Le 03/12/2026 — Inventaire')
  const backwards = await v.post(`/lieux/${id}/fermetures`, { from: '2026-12-10', to: '2026-12-01' })
  t.equal(backwards.statusCode, 400)
  t.match(backwards.body, /Fermé jusqu’au : La fin de la fermeture précède son début/)
  // What the referent notices: the closure and the opening hours decide the ad-hoc times she may book.
  const r = await file()
  const closedDay = await api('POST', `/referrals/${r.id}/appointment`, caf, { placeId: id, startsAt: '2026-12-03T09:30:00Z' })
  t.match(closedDay.json().error?.details, [{ path: 'startsAt', message: /fermé ce jour-là/ }], 'closed on 3 December')
  const lunch = await api('POST', `/referrals/${r.id}/appointment`, caf, { placeId: id, startsAt: '2026-12-10T12:30:00Z' })
  t.match(lunch.json().error?.details, [{ path: 'startsAt', message: /pas ouvert/ }], 'closed from 12:00 to 14:00')
  t.equal((await v.post(`/lieux/${id}/fermetures/retirer`, { from: '2026-12-03', to: '2026-12-03' })).statusCode, 303)
  t.same((await place()).closures, [], 'the closure is removed')
  t.equal((await api('POST', `/referrals/${r.id}/appointment`, caf, { placeId: id, startsAt: '2026-12-03T13:30:00Z', minutes: 45 })).statusCode, 201, 'open again that afternoon')

  const csv = 'nom;adresse;telephone;communes;bureaux\nLieu importé un;1 rue A;;36005;1\nMaison France services de test;;;36005;1\nLieu importé deux;;;999;1\n'
  const refused = await v.post('/lieux/import', { csv })
  t.equal(refused.statusCode, 400)
  t.match(refused.body, 'Ligne 3 (colonne « nom ») : Un lieu s’appelle déjà « Maison France services de test »')
  t.match(refused.body, 'Ligne 4 (colonne « communes ») : Code INSEE invalide.')
  t.notOk((await api('GET', '/places', tic)).json().items.some((x: { name: string }) => x.name === 'Lieu importé un'), 'nothing applied')
  const imported = await v.post('/lieux/import', { csv: 'nom;adresse;telephone;communes;bureaux\nLieu importé un;1 rue A;;36005;1\n' })
  t.equal(imported.statusCode, 303)
  t.match(imported.headers.location, /fait=import&crees=1/)

  const cafOrg = await orgOf(caf)
  const perm = await api('POST', '/permanences', cafAdmin, { organisationId: cafOrg, placeId: id, weekday: 4, start: '09:00', end: '10:00', validFrom: '2026-11-01', slotMinutes: 30 })
  t.equal(perm.statusCode, 201, perm.body)
  const admin = await Visitor.as(app, 'admin@caf36.demo')
  t.match((await admin.get('/lieux')).body, `action="/permanences/${perm.json().id}/fin"`, 'her organisation’s permanence can be ended')
  t.equal((await admin.post(`/permanences/${perm.json().id}/fin`, { lastDay: '2026-12-17' })).headers.location, '/lieux?fait=permanence-arretee#resultat')
  const listed = async () => (await api('GET', `/permanences?placeId=${id}`, tic)).json().items
  t.match(await listed(), [{ id: perm.json().id, validUntil: '2026-12-17' }])
  t.equal((await admin.post(`/permanences/${perm.json().id}/fin`, { lastDay: '2027-01-31' })).headers.location, '/lieux?erreur=fin#resultat', 'not later than its end')
  const slots = (await api('GET', `/referrals/${(await file()).id}/slots?from=2026-12-15T00:00:00Z&days=14`, caf)).json().items.filter((s: { placeId: string }) => s.placeId === id)
  t.same(slots.map((s: { startsAt: string }) => s.startsAt.slice(0, 10)), ['2026-12-17', '2026-12-17'], 'its last Thursday, then nothing')
  t.equal((await api('POST', `/permanences/${perm.json().id}/end`, cpam, { lastDay: '2026-12-01' })).statusCode, 403, 'not another organisation’s referent')
  const withdrawn = await api('POST', `/permanences/${perm.json().id}/end`, tic, { lastDay: '2026-10-01' })
  t.match(withdrawn.json(), { withdrawn: true, lastDay: null }, 'ended before it began: withdrawn')
  t.same(await listed(), [])
})
