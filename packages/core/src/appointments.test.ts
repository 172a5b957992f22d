import t from 'tap'
import { adHocRefusal, freeSlots, workingDayBefore, type Permanence, type PlaceFacts, type SlotQuery } from './appointments.ts'

// Instants are written with their Paris offset (+01:00 in winter, +02:00 in summer) so that the expected values do
// not depend on the code under test. Summer time began on Sunday 2026-03-29; Easter Monday was 2026-04-06.
const d = (iso: string) => new Date(iso)
const place: PlaceFacts = { id: 'aig', desks: 1, closures: [], openingHours: { mon: [{ opens: '09:00', closes: '12:00' }], tue: [{ opens: '09:00', closes: '12:00' }, { opens: '14:00', closes: '17:00' }] } }
const perm = (over: Partial<Permanence> = {}): Permanence => ({
  id: 'caf', placeId: 'aig', organisationId: 'caf', personId: 'ref', weekday: 1, startMinute: 540, endMinute: 600, everyWeeks: 1,
  validFrom: '2026-03-01', validUntil: null, slotMinutes: 30, ...over,
})
const query = (over: Partial<SlotQuery> = {}): SlotQuery => ({
  from: d('2026-03-23T00:00:00+01:00'), days: 21, now: d('2026-03-20T12:00:00+01:00'), timeZone: 'Europe/Paris', departement: '36',
  permanences: [perm()], places: { aig: place }, busy: [], absences: [], defaultPersonId: null, ...over,
})
const starts = (q: SlotQuery) => freeSlots(q).map((s) => s.startsAt.toISOString())

t.test('across the change to summer time, 9:00 stays 9:00 in Paris; Easter Monday has no slot', async (t) => {
  t.same(starts(query()), [
    d('2026-03-23T09:00:00+01:00').toISOString(), d('2026-03-23T09:30:00+01:00').toISOString(),
    d('2026-03-30T09:00:00+02:00').toISOString(), d('2026-03-30T09:30:00+02:00').toISOString(),
    // 2026-04-06 is Easter Monday (public holiday): nothing; 2026-04-13 is beyond the 21 days.
  ])
  const back = starts(query({ from: d('2026-10-19T00:00:00+02:00'), now: d('2026-10-01T00:00:00+02:00'), days: 8 }))
  t.same(back, [d('2026-10-19T09:00:00+02:00'), d('2026-10-19T09:30:00+02:00'), d('2026-10-26T09:00:00+01:00'), d('2026-10-26T09:30:00+01:00')].map((x) => x.toISOString()), 'and back to winter time')
})

t.test('every two weeks from the week of validFrom; until; closures; desks; referent busy or absent', async (t) => {
  const fortnight = starts(query({ permanences: [perm({ everyWeeks: 2, validFrom: '2026-03-24', weekday: 2, startMinute: 540, endMinute: 570 })], days: 28 }))
  t.same(fortnight, [d('2026-03-24T09:00:00+01:00').toISOString(), d('2026-04-07T09:00:00+02:00').toISOString()])
  t.same(starts(query({ permanences: [perm({ validUntil: '2026-03-29' })] })).length, 2, 'nothing after validUntil')
  t.same(starts(query({ places: { aig: { ...place, closures: [{ from: '2026-03-30', to: '2026-04-03' }] } } })).length, 2, 'a closure removes its days')
  const busy = [{ placeId: 'aig', personId: 'other', startsAt: d('2026-03-23T09:00:00+01:00'), endsAt: d('2026-03-23T09:30:00+01:00') }]
  t.equal(starts(query({ busy })).length, 3, 'one desk: another meeting at the place takes the slot')
  t.equal(starts(query({ busy, places: { aig: { ...place, desks: 2 } } })).length, 4, 'two desks: still free')
  t.equal(starts(query({ busy: [{ ...busy[0], placeId: 'elsewhere', personId: 'ref' }], places: { aig: { ...place, desks: 2 } } })).length, 3, 'the referent is elsewhere then')
  t.equal(starts(query({ absences: [{ personId: 'ref', from: d('2026-03-25T00:00:00+01:00'), until: d('2026-04-01T00:00:00+02:00') }] })).length, 2, 'absent that week')
  t.equal(starts(query({ now: d('2026-03-23T09:10:00+01:00') }))[0], d('2026-03-23T09:30:00+01:00').toISOString(), 'a slot already begun is not offered')
  t.same(starts(query({ permanences: [perm({ personId: null })] })), [], 'no referent: no slot')
  t.equal(starts(query({ permanences: [perm({ personId: null })], defaultPersonId: 'holder' })).length, 4, 'the holder by default')
  t.equal(freeSlots(query({ limit: 1 })).length, 1)
})

t.test('ad-hoc times must fall within the opening hours, on a working day', async (t) => {
  t.equal(adHocRefusal(place, d('2026-03-31T14:00:00+02:00'), d('2026-03-31T14:30:00+02:00'), 'Europe/Paris', '36'), null)
  t.match(adHocRefusal(place, d('2026-03-31T12:30:00+02:00'), d('2026-03-31T13:00:00+02:00'), 'Europe/Paris', '36'), /pas ouvert/)
  t.match(adHocRefusal(place, d('2026-04-06T09:00:00+02:00'), d('2026-04-06T09:30:00+02:00'), 'Europe/Paris', '36'), /férié/)
  t.match(adHocRefusal({ ...place, closures: [{ from: '2026-03-31', to: '2026-03-31' }] }, d('2026-03-31T14:00:00+02:00'), d('2026-03-31T14:30:00+02:00'), 'Europe/Paris', '36'), /fermé/)
})

t.test('the reminder day is the working day before', async (t) => {
  t.equal(workingDayBefore(d('2026-04-07T09:00:00+02:00'), 'Europe/Paris', '36'), '2026-04-03', 'Tuesday after Easter Monday: the Friday before')
  t.equal(workingDayBefore(d('2026-03-31T09:00:00+02:00'), 'Europe/Paris', '36'), '2026-03-30')
})
