import t from 'tap'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { startApp } from '../helpers/network.ts'

const { app, clock } = await startApp()

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const caf = await bearer(app, 'referent@caf36.demo')
const ddt = await bearer(app, 'referent@ddt36.demo')
const tic = await bearer(app, 'tic@indre.demo')

const file = async (payload: object = sampleReferral) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json() as { id: string; reference: string; dueAt: string; status: string }
}
const post = (id: string, action: string, headers: { authorization: string }, payload: object = {}) =>
  app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/${action}`, headers, payload })
const get = async (id: string, headers = tic) => (await app.inject({ url: `/api/v1/referrals/${id}`, headers })).json()

t.test('awaiting information pauses the clock; the deadline moves by the paused working time', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const r = await file()
  t.equal(r.dueAt, '2026-11-27T09:00:00.000Z')
  clock.set('2026-11-24T10:00:00Z')
  const asked = await post(r.id, 'request-info', caf, { body: 'Pouvez-vous préciser la date de séparation ?' })
  t.equal(asked.statusCode, 200)
  t.equal(asked.json().status, 'awaiting_info')
  t.equal(asked.json().dueAt, null, 'no deadline while the clock is paused')
  clock.set('2026-11-25T10:00:00Z')
  const given = await post(r.id, 'provide-info', secretary, { body: 'Séparation le 3 mars 2026.' })
  t.equal(given.statusCode, 200)
  t.equal(given.json().status, 'assigned')
  // 24 working hours paused: Friday 10:00 becomes Monday 10:00 (the weekend does not count).
  t.equal(given.json().dueAt, '2026-11-30T09:00:00.000Z')
})

t.test('transfer: the clock does not restart, the time held is recorded, the old holder loses sight', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const r = await file()
  const orgs = (await app.inject({ url: '/api/v1/me', headers: ddt })).json().organisation
  clock.set('2026-11-24T11:00:00Z')
  const noReason = await post(r.id, 'transfer', caf, { organisationId: orgs.id })
  t.equal(noReason.statusCode, 400)
  const moved = await post(r.id, 'transfer', caf, { organisationId: orgs.id, reason: 'Question d’urbanisme, pas pour nous.' })
  t.equal(moved.statusCode, 200, moved.body)
  t.equal(moved.json().holder.organisation.name, 'DDT de l’Indre')
  t.equal(moved.json().dueAt, r.dueAt, 'same deadline after a transfer')
  const transferred = moved.json().timeline.find((e: { kind: string }) => e.kind === 'transferred')
  t.equal(transferred.data.heldMinutes, 120)
  const assigned = moved.json().timeline.filter((e: { kind: string }) => e.kind === 'assigned').pop()
  t.equal(assigned.data.mode, 'transfer')
  t.ok(assigned.data.previousOrganisationId)
  t.equal((await app.inject({ url: `/api/v1/referrals/${r.id}`, headers: caf })).statusCode, 404, 'the CAF no longer sees it')
  t.equal((await app.inject({ url: `/api/v1/referrals/${r.id}`, headers: ddt })).statusCode, 200)
  const back = await post(r.id, 'transfer', ddt, { toRouting: true, reason: 'Renvoyé au routage.' })
  t.equal(back.statusCode, 200)
  t.equal(back.json().holder.organisation.name, 'Mission TIC du Conseil départemental de l’Indre', 'routing again, without the DDT nor the CAF that declined it: triage')
})

t.test('no routing rule: the mission TIC triage queue, then a manual assignment', async (t) => {
  const r = await file({ ...sampleReferral, themeCode: 'autre' })
  t.equal(r.status, 'submitted')
  const detail = await get(r.id)
  t.equal(detail.holder.organisation.name, 'Mission TIC du Conseil départemental de l’Indre')
  const cafOrg = (await app.inject({ url: '/api/v1/me', headers: caf })).json().organisation.id
  const byReferent = await post(r.id, 'assign', caf, { organisationId: cafOrg })
  t.equal(byReferent.statusCode, 404, 'a CAF referent does not see the triage queue')
  const assigned = await post(r.id, 'assign', tic, { organisationId: cafOrg })
  t.equal(assigned.statusCode, 200, assigned.body)
  t.equal(assigned.json().status, 'assigned')
  t.equal(assigned.json().timeline.filter((e: { kind: string }) => e.kind === 'assigned').pop().data.mode, 'manual')
})

t.test('an appointment booked in a free slot meets the SLA at booking', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const r = await file()
  clock.set('2026-11-24T13:00:00Z') // Tuesday 14:00 in Paris
  const slots = (await app.inject({ url: `/api/v1/referrals/${r.id}/slots`, headers: caf })).json().items
  // Ardentes is served by the CAF's permanences at Châteauroux (Monday, Wednesday) and Valençay (Thursday).
  t.same(slots[0], { startsAt: '2026-11-25T08:00:00.000Z', endsAt: '2026-11-25T08:30:00.000Z', placeId: slots[0].placeId, placeName: 'Accueil CAF de Châteauroux', personId: slots[0].personId, personName: 'Nathalie Roux', permanenceId: slots[0].permanenceId })
  const past = await post(r.id, 'appointment', caf, { placeId: slots[0].placeId, startsAt: '2026-11-20T09:00:00Z' })
  t.equal(past.statusCode, 400)
  const res = await post(r.id, 'appointment', caf, { placeId: slots[0].placeId, startsAt: slots[0].startsAt, note: 'Apporter le livret de famille.' })
  t.equal(res.statusCode, 201, res.body)
  t.equal(res.json().status, 'appointment_proposed')
  t.equal(res.json().slaMinutesTaken, 240, 'met at booking, not at the meeting')
  const event = res.json().timeline.find((e: { kind: string }) => e.kind === 'appointment_proposed')
  t.match(event.data, { placeName: 'Accueil CAF de Châteauroux', at: '2026-11-25T08:00:00.000Z', endsAt: '2026-11-25T08:30:00.000Z', body: 'Apporter le livret de famille.' })
  const after = (await app.inject({ url: `/api/v1/referrals/${r.id}/slots`, headers: caf })).json().items
  t.not(after[0].startsAt, slots[0].startsAt, 'the booked slot is no longer offered')
})

t.test('state machine through the API: 409 for illegal steps, 403 for the wrong role, reopen within 30 days', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const r = await file()
  t.equal((await post(r.id, 'close', secretary)).statusCode, 409, 'nothing to close before an answer')
  t.equal((await post(r.id, 'answer', caf, { body: 'Réponse.' })).statusCode, 200)
  t.equal((await post(r.id, 'close', caf)).statusCode, 403, 'the referent does not close')
  const correction = await post(r.id, 'answer', caf, { body: 'Correction : le formulaire est le cerfa 12045*02.' })
  t.equal(correction.statusCode, 200)
  t.equal(correction.json().answers.length, 2, 'a correction is a new answer; the first stays')
  t.equal((await post(r.id, 'close', secretary)).statusCode, 200)
  clock.set('2026-12-10T09:00:00Z')
  const reopened = await post(r.id, 'reopen', secretary, { body: 'Le citoyen a une nouvelle question.' })
  t.equal(reopened.statusCode, 200)
  t.equal(reopened.json().status, 'assigned')
  t.equal((await post(r.id, 'answer', caf, { body: 'Nouvelle réponse.' })).statusCode, 200)
  t.equal((await post(r.id, 'close', secretary)).statusCode, 200)
  clock.set('2027-02-01T09:00:00Z')
  const late = await post(r.id, 'reopen', secretary)
  t.equal(late.statusCode, 409)
  t.equal(late.json().error.code, 'reopen_window_expired')
  t.match(late.json().error.message, /30 jours/)
  const cancelled = await file()
  t.equal((await post(cancelled.id, 'cancel', secretary, { body: 'Le citoyen a trouvé sa réponse.' })).statusCode, 200)
  t.equal((await post(cancelled.id, 'answer', caf, { body: 'x' })).statusCode, 409, 'a cancelled referral takes no answer')
})

t.test('changing the policy recomputes the deadlines of open referrals', async (t) => {
  clock.set('2026-11-24T09:00:00Z')
  const r = await file()
  const put = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: tic, payload: { responseMinutes: 120, clockMode: 'calendar', reminderBeforeMinutes: 30, escalations: [{ afterDueMinutes: 0, notify: ['org_admins'] }] } })
  t.equal(put.statusCode, 200, put.body)
  t.equal((await get(r.id)).dueAt, '2026-11-24T11:00:00.000Z')
  const bad = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: tic, payload: { responseMinutes: 60, clockMode: 'calendar', reminderBeforeMinutes: 90, escalations: [] } })
  t.equal(bad.statusCode, 400)
  t.equal((await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: caf, payload: {} })).statusCode, 403)
})
