import t from 'tap'
import { InvalidInput } from './errors.ts'
import {
  DEFAULT_SLA_POLICY,
  addCountedMinutes,
  assertValidSlaPolicy,
  countedMinutes,
  isHoliday,
  isWorkingDate,
  nextSendingInstant,
  publicHolidays,
  slaOutcome,
  slaPolicyProblems,
  mergeIntervals,
  slaSchedule,
  type ClockMode,
  type Pause,
  type SlaPolicy,
} from './sla.ts'
import { fromLocalMs, localDayOf, offsetMs } from './sla/time-zone.ts'

// Instants are written with their Paris offset (+01:00 in winter, +02:00 in summer) so that the expected
// values do not depend on the code under test.
const d = (iso: string) => new Date(iso)
const indre: SlaPolicy = { ...DEFAULT_SLA_POLICY, departement: '36' }
const moselle: SlaPolicy = { ...DEFAULT_SLA_POLICY, departement: '57' }
const mode = (clockMode: ClockMode, over: Partial<SlaPolicy> = {}): SlaPolicy => ({ ...indre, clockMode, ...over })
const iso = (x: Date | null) => (x === null ? null : x.toISOString())

t.test('the default policy: 72 h on working days, reminder 24 h before, two escalation levels', async (t) => {
  t.same(slaPolicyProblems(indre), [])
  t.equal(DEFAULT_SLA_POLICY.responseMinutes, 4320)
  t.equal(DEFAULT_SLA_POLICY.clockMode, 'working_days')
  t.same(DEFAULT_SLA_POLICY.openingHours[1], [[510, 720], [810, 1050]])
  t.equal(DEFAULT_SLA_POLICY.openingHours[6], undefined)
  t.throws(() => (DEFAULT_SLA_POLICY.escalations as unknown[]).push({}), 'the shared default cannot be changed by accident')
})

t.test('a referral filed on Friday 2026-05-22 at 16:00 before Whit Monday, in each mode', async (t) => {
  const filed = d('2026-05-22T16:00:00+02:00')
  const cases: { clockMode: ClockMode; due: string; reminder: string; level2: string; why: string }[] = [
    {
      clockMode: 'calendar',
      due: '2026-05-25T16:00:00+02:00', // 72 h later, holiday or not
      reminder: '2026-05-24T16:00:00+02:00',
      level2: '2026-05-26T16:00:00+02:00',
      why: 'every minute counts',
    },
    {
      clockMode: 'working_days',
      due: '2026-05-28T16:00:00+02:00', // Fri 8 h + Tue 24 h + Wed 24 h + Thu 16 h
      reminder: '2026-05-27T16:00:00+02:00',
      level2: '2026-05-29T16:00:00+02:00',
      why: 'the weekend and Whit Monday do not count',
    },
    {
      clockMode: 'business_hours',
      due: '2026-06-08T11:30:00+02:00', // Fri 1 h 30 + 9 days of 7 h 30 + 3 h
      reminder: '2026-06-03T10:00:00+02:00',
      level2: '2026-06-11T14:30:00+02:00',
      why: 'only 08:30–12:00 and 13:30–17:30 count',
    },
  ]
  for (const c of cases) {
    const s = slaSchedule(filed, mode(c.clockMode), [])
    t.equal(iso(s.dueAt), iso(d(c.due)), `${c.clockMode}: deadline (${c.why})`)
    t.equal(iso(s.reminderAt), iso(d(c.reminder)), `${c.clockMode}: reminder 24 counted hours before`)
    t.same(
      s.escalations.map((e) => ({ level: e.level, at: iso(e.at), notify: e.notify })),
      [
        { level: 1, at: iso(d(c.due)), notify: ['org_admins', 'backup'] },
        { level: 2, at: iso(d(c.level2)), notify: ['mission_tic'] },
      ],
      `${c.clockMode}: escalations at the deadline and 24 counted hours after`,
    )
    t.equal(countedMinutes(filed, s.dueAt!, mode(c.clockMode), []), 4320, `${c.clockMode}: the deadline is 4320 counted minutes away`)
    const mailed = [s.reminderAt!, s.escalations[0].at!, s.escalations[1].at!].map((x) => iso(nextSendingInstant(x, mode(c.clockMode))))
    const expected = c.clockMode === 'calendar'
      ? ['2026-05-26T08:30:00+02:00', '2026-05-26T08:30:00+02:00', c.level2].map((x) => iso(d(x))) // Sunday and Whit Monday wait for Tuesday
      : [c.reminder, c.due, c.level2].map((x) => iso(d(x)))
    t.same(mailed, expected, `${c.clockMode}: when the mails go out`)
  }
})

t.test('business hours with a three-office-day target, as in docs/sla.md', async (t) => {
  const policy = mode('business_hours', { responseMinutes: 1350, reminderBeforeMinutes: 450 })
  const s = slaSchedule(d('2026-05-22T16:00:00+02:00'), policy, [])
  t.equal(iso(s.dueAt), iso(d('2026-05-28T16:00:00+02:00')), 'Fri 1 h 30 + Tue 7 h 30 + Wed 7 h 30 + Thu 6 h')
  t.equal(iso(s.reminderAt), iso(d('2026-05-27T16:00:00+02:00')))
  t.equal(iso(s.escalations[1].at), iso(d('2026-06-02T17:30:00+02:00')), 'level 2 lands on closing time')
  t.equal(iso(nextSendingInstant(s.escalations[1].at!, policy)), iso(d('2026-06-02T17:30:00+02:00')), 'and is mailed at once')
})

t.test('calendar mode counts 24/7, holidays included', async (t) => {
  const rows: [string, number, string][] = [
    ['2026-05-22T16:00:00+02:00', 60, '2026-05-22T17:00:00+02:00'],
    ['2026-05-23T23:30:00+02:00', 60, '2026-05-24T00:30:00+02:00'],
    ['2026-12-24T12:00:00+01:00', 1440, '2026-12-25T12:00:00+01:00'],
  ]
  for (const [start, minutes, expected] of rows) {
    t.equal(iso(addCountedMinutes(d(start), minutes, mode('calendar'), [])), iso(d(expected)), `${start} + ${minutes}`)
  }
})

t.test('working_days mode: weekends and public holidays do not count', async (t) => {
  const rows: [string, number, string, string][] = [
    ['2026-06-03T10:00:00+02:00', 1440, '2026-06-04T10:00:00+02:00', 'Wednesday to Thursday'],
    ['2026-06-05T10:00:00+02:00', 1440, '2026-06-08T10:00:00+02:00', 'Friday to Monday over the weekend'],
    ['2026-06-06T10:00:00+02:00', 60, '2026-06-08T01:00:00+02:00', 'filed on Saturday: the clock starts on Monday at midnight'],
    ['2026-05-13T12:00:00+02:00', 1440, '2026-05-15T12:00:00+02:00', 'Ascension Thursday skipped'],
    ['2026-07-13T12:00:00+02:00', 1440, '2026-07-15T12:00:00+02:00', 'Bastille Day skipped'],
    ['2026-12-24T12:00:00+01:00', 1440, '2026-12-28T12:00:00+01:00', 'Christmas Friday and the weekend skipped'],
  ]
  for (const [start, minutes, expected, why] of rows) {
    t.equal(iso(addCountedMinutes(d(start), minutes, mode('working_days'), [])), iso(d(expected)), why)
  }
  // A whole year of 2026 in the Indre: 261 weekdays less 9 weekday holidays.
  t.equal(countedMinutes(d('2026-01-01T00:00:00+01:00'), d('2027-01-01T00:00:00+01:00'), indre, []), 252 * 1440)
  t.equal(countedMinutes(d('2025-01-01T00:00:00+01:00'), d('2026-01-01T00:00:00+01:00'), indre, []), 251 * 1440)
})

t.test('business_hours mode: only opening hours count, a deadline at closing time stays at closing time', async (t) => {
  const bh = mode('business_hours')
  const rows: [string, number, string, string][] = [
    ['2026-06-03T10:00:00+02:00', 60, '2026-06-03T11:00:00+02:00', 'inside the morning range'],
    ['2026-06-03T11:30:00+02:00', 60, '2026-06-03T14:00:00+02:00', 'over the lunch break'],
    ['2026-06-03T07:00:00+02:00', 30, '2026-06-03T09:00:00+02:00', 'filed before opening'],
    ['2026-06-03T16:00:00+02:00', 90, '2026-06-03T17:30:00+02:00', 'reached exactly at closing time'],
    ['2026-06-03T16:00:00+02:00', 91, '2026-06-04T08:31:00+02:00', 'one minute more goes to the next morning'],
    ['2026-06-05T17:00:00+02:00', 60, '2026-06-08T09:00:00+02:00', 'Friday evening to Monday morning'],
    ['2026-06-03T20:00:00+02:00', 450, '2026-06-04T17:30:00+02:00', 'a full day of 7 h 30'],
  ]
  for (const [start, minutes, expected, why] of rows) {
    t.equal(iso(addCountedMinutes(d(start), minutes, bh, [])), iso(d(expected)), why)
  }
  t.equal(countedMinutes(d('2026-06-01T00:00:00+02:00'), d('2026-06-08T00:00:00+02:00'), bh, []), 5 * 450, 'a week is 37 h 30')
  t.equal(countedMinutes(d('2026-05-25T00:00:00+02:00'), d('2026-05-26T00:00:00+02:00'), bh, []), 0, 'a holiday Monday counts nothing')
  // Opening hours decide the weekdays: a tenant may open on Saturday mornings.
  const saturdays = mode('business_hours', { openingHours: { ...indre.openingHours, 6: [[540, 720]] } })
  t.equal(iso(addCountedMinutes(d('2026-06-05T17:00:00+02:00'), 60, saturdays, [])), iso(d('2026-06-06T09:30:00+02:00')))
})

t.test('public holidays 2025–2027, with Alsace-Moselle', async (t) => {
  const national: Record<number, string[]> = {
    2025: ['01-01', '04-21', '05-01', '05-08', '05-29', '06-09', '07-14', '08-15', '11-01', '11-11', '12-25'],
    2026: ['01-01', '04-06', '05-01', '05-08', '05-14', '05-25', '07-14', '08-15', '11-01', '11-11', '12-25'],
    2027: ['01-01', '03-29', '05-01', '05-06', '05-08', '05-17', '07-14', '08-15', '11-01', '11-11', '12-25'],
  }
  const goodFriday: Record<number, string> = { 2025: '04-18', 2026: '04-03', 2027: '03-26' }
  for (const year of [2025, 2026, 2027]) {
    const expected = national[year].map((md) => `${year}-${md}`)
    for (const dep of ['36', '18', '75', '2A']) t.same([...publicHolidays(year, dep)].sort(), expected, `${year} in ${dep}`)
    const alsace = [...expected, `${year}-${goodFriday[year]}`, `${year}-12-26`].sort()
    for (const dep of ['57', '67', '68']) t.same([...publicHolidays(year, dep)].sort(), alsace, `${year} in ${dep}: Good Friday and 26 December added`)
  }
  t.ok(isHoliday('2026-05-25', '36'), 'Whit Monday')
  t.notOk(isHoliday('2026-05-24', '36'), 'Whit Sunday is an observance, not a public holiday')
  t.notOk(isHoliday('2026-04-03', '36'))
  t.ok(isHoliday('2026-04-03', '57'))
  t.ok(isHoliday('2026-12-20', '974'), 'La Réunion: abolition of slavery')
  t.notOk(isHoliday('not a date', '36'))
  t.ok(isWorkingDate('2026-04-03', '36'))
  t.notOk(isWorkingDate('2026-04-03', '57'))
  t.notOk(isWorkingDate('2026-06-06', '36'), 'Saturday')
  t.notOk(isWorkingDate('2026-02-30', '36'), 'not a date')
})

t.test('Alsace-Moselle changes deadlines', async (t) => {
  const rows: [string, string, string, string][] = [
    ['2026-04-02T16:00:00+02:00', '36', '2026-04-03T16:00:00+02:00', 'Indre: Good Friday is worked'],
    ['2026-04-02T16:00:00+02:00', '57', '2026-04-07T16:00:00+02:00', 'Moselle: Good Friday, weekend and Easter Monday skipped'],
    ['2025-12-24T12:00:00+01:00', '36', '2025-12-26T12:00:00+01:00', 'Indre: 26 December is worked'],
    ['2025-12-24T12:00:00+01:00', '67', '2025-12-29T12:00:00+01:00', 'Bas-Rhin: 26 December skipped'],
  ]
  for (const [start, dep, expected, why] of rows) {
    const policy = { ...indre, departement: dep }
    t.equal(iso(addCountedMinutes(d(start), 1440, policy, [])), iso(d(expected)), why)
  }
  t.equal(iso(slaSchedule(d('2026-04-02T16:00:00+02:00'), moselle, []).dueAt), iso(d('2026-04-09T16:00:00+02:00')))
})

t.test('DST changes: wall-clock days are 23 or 25 hours long', async (t) => {
  const rows: [ClockMode, string, number, string, string][] = [
    ['working_days', '2026-03-27T16:00:00+01:00', 1440, '2026-03-30T16:00:00+02:00', 'spring: Friday 16:00 CET to Monday 16:00 CEST'],
    ['working_days', '2026-10-23T16:00:00+02:00', 1440, '2026-10-26T16:00:00+01:00', 'autumn: Friday 16:00 CEST to Monday 16:00 CET'],
    ['business_hours', '2026-03-27T17:00:00+01:00', 60, '2026-03-30T09:00:00+02:00', 'spring: opening hours are wall-clock hours'],
    ['business_hours', '2026-10-23T17:00:00+02:00', 60, '2026-10-26T09:00:00+01:00', 'autumn: opening hours are wall-clock hours'],
    ['calendar', '2026-03-28T12:00:00+01:00', 4320, '2026-03-31T13:00:00+02:00', 'spring: 72 real hours read 73 on the wall clock'],
    ['calendar', '2026-10-24T12:00:00+02:00', 4320, '2026-10-27T11:00:00+01:00', 'autumn: 72 real hours read 71 on the wall clock'],
  ]
  for (const [clockMode, start, minutes, expected, why] of rows) {
    t.equal(iso(addCountedMinutes(d(start), minutes, mode(clockMode), [])), iso(d(expected)), why)
  }
  // A tenant open around the clock every day of the week sees the short and the long Sunday.
  const allWeek = mode('business_hours', { openingHours: { 1: [[0, 1440]], 2: [[0, 1440]], 3: [[0, 1440]], 4: [[0, 1440]], 5: [[0, 1440]], 6: [[0, 1440]], 7: [[0, 1440]] } })
  t.equal(countedMinutes(d('2026-03-29T00:00:00+01:00'), d('2026-03-30T00:00:00+02:00'), allWeek, []), 23 * 60)
  t.equal(countedMinutes(d('2026-10-25T00:00:00+02:00'), d('2026-10-26T00:00:00+01:00'), allWeek, []), 25 * 60)
  // A range 02:30–04:00 on the DST Sundays. Spring: 02:30 does not exist and moves forward by the gap, to 03:30
  // CEST. Autumn: 02:30 happens twice, the first one is taken, and 2 h 30 elapse until 04:00 CET.
  const night = mode('business_hours', { openingHours: { 7: [[150, 240]] } })
  t.equal(countedMinutes(d('2026-03-29T00:00:00+01:00'), d('2026-03-30T00:00:00+02:00'), night, []), 30)
  t.equal(countedMinutes(d('2026-10-25T00:00:00+02:00'), d('2026-10-26T00:00:00+01:00'), night, []), 150)
})

t.test('time-zone helpers', async (t) => {
  const paris = 'Europe/Paris'
  t.equal(offsetMs(Date.parse('2026-01-15T12:00:00Z'), paris), 3_600_000)
  t.equal(offsetMs(Date.parse('2026-07-15T12:00:00Z'), paris), 7_200_000)
  const local = (s: string) => Date.parse(`${s}Z`)
  t.equal(fromLocalMs(local('2026-03-29T02:30:00'), paris), Date.parse('2026-03-29T03:30:00+02:00'), 'a skipped time moves forward')
  t.equal(fromLocalMs(local('2026-10-25T02:30:00'), paris), Date.parse('2026-10-25T02:30:00+02:00'), 'a repeated time takes the earlier instant')
  t.equal(fromLocalMs(local('2026-06-01T00:00:00'), paris), Date.parse('2026-06-01T00:00:00+02:00'))
  t.equal(localDayOf(Date.parse('2026-05-31T23:30:00Z'), paris), Date.parse('2026-06-01T00:00:00Z') / 86_400_000, '01:30 in Paris is already June')
  t.equal(
    iso(addCountedMinutes(d('2026-06-05T17:00:00-04:00'), 60, mode('business_hours', { timeZone: 'America/New_York' }), [])),
    iso(d('2026-06-08T09:00:00-04:00')),
    'another time zone: its own wall clock',
  )
})

t.test('pause and resume (awaiting_info)', async (t) => {
  const filed = d('2026-06-01T10:00:00+02:00')
  const asked = d('2026-06-02T11:00:00+02:00') // 25 counted hours
  const provided = d('2026-06-08T09:00:00+02:00')

  const open = slaSchedule(filed, indre, [{ from: asked, to: null }])
  t.equal(open.dueAt, null, 'no deadline while the clock waits for the mairie')
  t.equal(open.reminderAt, null)
  t.same(open.escalations.map((e) => e.at), [null, null])
  t.equal(countedMinutes(filed, d('2026-06-05T12:00:00+02:00'), indre, [{ from: asked, to: null }]), 1500, 'the count stops at the pause')
  t.equal(addCountedMinutes(filed, 4320, indre, [{ from: asked, to: null }]), null)
  t.equal(iso(addCountedMinutes(filed, 60, indre, [{ from: asked, to: null }])), iso(d('2026-06-01T11:00:00+02:00')), 'a target before the pause is reached')

  const resumed = slaSchedule(filed, indre, [{ from: asked, to: provided }])
  // 4320 − 1500 = 2820 minutes from Monday 8 at 09:00: Monday 15 h, Tuesday 24 h, Wednesday 8 h.
  t.equal(iso(resumed.dueAt), iso(d('2026-06-10T08:00:00+02:00')))
  t.equal(iso(resumed.reminderAt), iso(d('2026-06-09T08:00:00+02:00')))
  t.equal(countedMinutes(filed, d('2026-06-08T12:00:00+02:00'), indre, [{ from: asked, to: provided }]), 1500 + 180)
  t.equal(iso(resumed.escalations[1].at), iso(d('2026-06-11T08:00:00+02:00')))
  t.equal(iso(nextSendingInstant(resumed.dueAt!, indre)), iso(d('2026-06-10T08:30:00+02:00')), 'level 1 mailed at opening')
  t.same(slaOutcome(filed, d('2026-06-09T15:00:00+02:00'), indre, [{ from: asked, to: provided }]), { minutesTaken: 3300, minutesVsTarget: -1020 })
  const calendar48 = slaSchedule(filed, { ...indre, clockMode: 'calendar', responseMinutes: 2880, reminderBeforeMinutes: 240 }, [{ from: asked, to: provided }])
  t.equal(iso(calendar48.dueAt), iso(d('2026-06-09T08:00:00+02:00')), '48 h plus 5 days 22 hours of pause')
  t.equal(iso(nextSendingInstant(calendar48.reminderAt!, indre)), iso(d('2026-06-09T08:30:00+02:00')), 'the 04:00 reminder is mailed at 08:30')

  const twice: Pause[] = [
    { from: asked, to: d('2026-06-03T11:00:00+02:00') },
    { from: d('2026-06-04T10:00:00+02:00'), to: d('2026-06-04T12:00:00+02:00') },
  ]
  t.equal(iso(slaSchedule(filed, indre, twice).dueAt), iso(d('2026-06-05T12:00:00+02:00')), 'two pauses: 24 h and 2 h added')
  const overlapping: Pause[] = [...twice, { from: d('2026-06-02T12:00:00+02:00'), to: d('2026-06-02T13:00:00+02:00') }]
  t.equal(iso(slaSchedule(filed, indre, overlapping).dueAt), iso(d('2026-06-05T12:00:00+02:00')), 'overlapping pauses are not subtracted twice')
  t.equal(
    iso(slaSchedule(filed, indre, [{ from: d('2026-06-06T09:00:00+02:00'), to: d('2026-06-07T18:00:00+02:00') }]).dueAt),
    iso(slaSchedule(filed, indre, []).dueAt),
    'a pause over the weekend changes nothing in working_days mode',
  )
  t.equal(
    iso(slaSchedule(filed, indre, [{ from: d('2026-05-01T09:00:00+02:00'), to: d('2026-05-30T18:00:00+02:00') }]).dueAt),
    iso(slaSchedule(filed, indre, []).dueAt),
    'a pause before filing is ignored',
  )
  const long = slaSchedule(filed, indre, [{ from: asked, to: d('2027-02-01T09:00:00+01:00') }])
  t.equal(iso(long.dueAt), iso(d('2027-02-03T08:00:00+01:00')), 'a pause of eight months')

  // A referral already overdue when put on hold stays overdue; what lies after the pause waits.
  const quick = mode('calendar', { responseMinutes: 60 })
  const held = slaSchedule(filed, quick, [{ from: d('2026-06-01T12:00:00+02:00'), to: null }])
  t.equal(iso(held.dueAt), iso(d('2026-06-01T11:00:00+02:00')))
  t.equal(iso(held.escalations[0].at), iso(d('2026-06-01T11:00:00+02:00')))
  t.equal(held.escalations[1].at, null)
  t.equal(held.reminderAt, null, 'reminder before a 60-minute deadline: 60 − 1440 ≤ 0, none')

  // The calendar clock pauses too.
  t.equal(iso(addCountedMinutes(filed, 120, mode('calendar'), [{ from: d('2026-06-01T11:00:00+02:00'), to: d('2026-06-01T15:00:00+02:00') }])), iso(d('2026-06-01T16:00:00+02:00')))
})

t.test('a policy change recomputes from the same facts', async (t) => {
  const filed = d('2026-06-01T10:00:00+02:00')
  const pauses: Pause[] = [{ from: d('2026-06-02T11:00:00+02:00'), to: d('2026-06-03T11:00:00+02:00') }]
  const before = slaSchedule(filed, indre, pauses)
  t.equal(iso(before.dueAt), iso(d('2026-06-05T10:00:00+02:00')))
  // The tenant switches to 48 calendar hours with a reminder 4 h before.
  const changed = { ...indre, clockMode: 'calendar' as const, responseMinutes: 2880, reminderBeforeMinutes: 240 }
  const after = slaSchedule(filed, changed, pauses)
  t.equal(iso(after.dueAt), iso(d('2026-06-04T10:00:00+02:00')), '48 h plus the 24 h pause')
  t.equal(iso(after.reminderAt), iso(d('2026-06-04T06:00:00+02:00')))
  // A theme's override with three levels.
  const theme = { ...indre, responseMinutes: 1440, escalations: [...indre.escalations, { afterDueMinutes: 2880, notify: ['mission_tic' as const] }] }
  const t3 = slaSchedule(filed, theme, pauses)
  t.equal(iso(t3.dueAt), iso(d('2026-06-02T10:00:00+02:00')), '24 h reached before the pause began')
  t.same(t3.escalations.map((e) => e.level), [1, 2, 3])
  // Level 3: 1440 + 2880 counted minutes; 1500 before the pause, 2820 from Wednesday 11:00.
  t.equal(iso(t3.escalations[2].at), iso(d('2026-06-05T10:00:00+02:00')))
  t.same(slaSchedule(filed, indre, pauses), before, 'back to the first policy: the first schedule again')
})

t.test('reminders and escalations go out within opening hours', async (t) => {
  const rows: [string, string, string][] = [
    ['2026-06-03T10:00:00+02:00', '2026-06-03T10:00:00+02:00', 'inside opening hours: at once'],
    ['2026-06-03T08:30:00+02:00', '2026-06-03T08:30:00+02:00', 'at opening time: at once'],
    ['2026-06-03T12:30:00+02:00', '2026-06-03T13:30:00+02:00', 'lunch break: after lunch'],
    ['2026-06-03T17:30:00+02:00', '2026-06-03T17:30:00+02:00', 'at closing time: at once (a business-hours deadline often falls on it)'],
    ['2026-06-03T17:31:00+02:00', '2026-06-04T08:30:00+02:00', 'a minute after closing: next morning'],
    ['2026-06-03T23:00:00+02:00', '2026-06-04T08:30:00+02:00', 'at night: next opening'],
    ['2026-05-22T18:00:00+02:00', '2026-05-26T08:30:00+02:00', 'Friday evening before Whit Monday: Tuesday'],
    ['2026-05-25T10:00:00+02:00', '2026-05-26T08:30:00+02:00', 'on a holiday: next working day'],
    ['2026-03-28T10:00:00+01:00', '2026-03-30T08:30:00+02:00', 'over the DST weekend: 08:30 on the new wall clock'],
  ]
  for (const [at, expected, why] of rows) t.equal(iso(nextSendingInstant(d(at), indre)), iso(d(expected)), why)
  t.equal(iso(nextSendingInstant(d('2026-04-03T10:00:00+02:00'), moselle)), iso(d('2026-04-07T08:30:00+02:00')), 'Good Friday in Moselle')
  for (const clockMode of ['calendar', 'working_days', 'business_hours'] as const) {
    t.equal(iso(nextSendingInstant(d('2026-06-06T10:00:00+02:00'), mode(clockMode))), iso(d('2026-06-08T08:30:00+02:00')), `${clockMode}: Saturday waits for Monday`)
  }

  // Worked example of docs/sla.md: filed Tuesday 23:00, the reminder falls on Thursday 23:00 and goes on Friday.
  const s = slaSchedule(d('2026-05-19T23:00:00+02:00'), indre, [])
  t.equal(iso(s.reminderAt), iso(d('2026-05-21T23:00:00+02:00')))
  t.equal(iso(nextSendingInstant(s.reminderAt!, indre)), iso(d('2026-05-22T08:30:00+02:00')))
  t.equal(iso(s.dueAt), iso(d('2026-05-22T23:00:00+02:00')), 'the deadline itself does not move')
  t.equal(iso(nextSendingInstant(s.escalations[0].at!, indre)), iso(d('2026-05-26T08:30:00+02:00')), 'level 1 mailed after the long weekend')
  t.equal(iso(s.escalations[1].at), iso(d('2026-05-26T23:00:00+02:00')))
  t.equal(iso(nextSendingInstant(s.escalations[1].at!, indre)), iso(d('2026-05-27T08:30:00+02:00')))
})

t.test('outcome when the SLA is met', async (t) => {
  const filed = d('2026-05-22T16:00:00+02:00')
  const rows: [string, Pause[], number, number, string][] = [
    ['2026-05-26T10:00:00+02:00', [], 480 + 600, 1080 - 4320, 'answered Tuesday 10:00: early'],
    ['2026-05-28T16:00:00+02:00', [], 4320, 0, 'answered on the deadline'],
    ['2026-05-29T09:00:00+02:00', [], 4320 + 1020, 1020, 'answered Friday 09:00: 17 h late (Thursday evening counts)'],
    ['2026-05-29T09:00:00+02:00', [{ from: d('2026-05-26T00:00:00+02:00'), to: d('2026-05-27T00:00:00+02:00') }], 4320 + 1020 - 1440, 1020 - 1440, 'a day on hold does not count'],
    ['2026-05-27T10:00:00+02:00', [{ from: d('2026-05-26T10:00:00+02:00'), to: null }], 480 + 600, 1080 - 4320, 'answered while on hold: the hold does not count'],
  ]
  for (const [met, pauses, taken, vs, why] of rows) {
    t.same(slaOutcome(filed, d(met), indre, pauses), { minutesTaken: taken, minutesVsTarget: vs }, why)
  }
  t.equal(countedMinutes(d('2026-06-02T10:00:00+02:00'), d('2026-06-01T10:00:00+02:00'), indre, []), 0, 'an empty span')
  t.equal(countedMinutes(d('2026-06-01T10:00:00+02:00'), d('2026-06-01T10:00:59+02:00'), indre, []), 0, 'whole minutes, rounded down')
})

t.test('addCountedMinutes edge cases', async (t) => {
  const sat = d('2026-06-06T10:00:00+02:00')
  t.equal(iso(addCountedMinutes(sat, 0, indre, [])), iso(sat), 'zero minutes: the start itself')
  t.throws(() => addCountedMinutes(sat, -1, indre, []), RangeError)
  t.throws(() => addCountedMinutes(new Date('nope'), 1, indre, []), TypeError)
  t.throws(() => slaSchedule(sat, { ...indre, clockMode: 'lunar' as ClockMode }, []), TypeError)
  t.throws(() => addCountedMinutes(sat, 1, mode('business_hours', { openingHours: {} }), []), /never counts/, 'a policy that never counts does not loop forever')
  t.equal(iso(nextSendingInstant(sat, mode('business_hours', { openingHours: {} }))), iso(sat), 'no opening hours: mails are not held back')
})

t.test('policy validation, in French', async (t) => {
  const bad: [Partial<SlaPolicy>, RegExp][] = [
    [{ responseMinutes: 0 }, /délai de réponse/],
    [{ responseMinutes: 1.5 }, /délai de réponse/],
    [{ clockMode: 'weekly' as ClockMode }, /mode de décompte/],
    [{ reminderBeforeMinutes: -5 }, /relance/],
    [{ escalations: [{ afterDueMinutes: 60, notify: ['mission_tic'] }, { afterDueMinutes: 0, notify: ['org_admins'] }] }, /ordre croissant/],
    [{ escalations: [{ afterDueMinutes: 0, notify: [] }] }, /destinataires/],
    [{ escalations: [{ afterDueMinutes: 0, notify: ['mayor' as 'backup'] }] }, /destinataires/],
    [{ timeZone: 'Europe/Nowhere' }, /fuseau/],
    [{ departement: '999x' }, /département/],
    [{ openingHours: { 1: [[600, 500]] } }, /fin après le début/],
    [{ openingHours: { 1: [[480, 720], [700, 900]] } }, /chevauchent/],
    [{ openingHours: { 8: [[480, 720]] } as never }, /n’est pas un jour/],
    [{ openingHours: {} }, /au moins une plage/],
    [{ openingHours: { 1: 'all day' as never } }, /une liste de plages est attendue/],
    [{ escalations: Array.from({ length: 11 }, (_, i) => ({ afterDueMinutes: i, notify: ['mission_tic' as const] })) }, /au plus 10 niveaux/],
  ]
  for (const [over, re] of bad) {
    const problems = slaPolicyProblems({ ...indre, ...over })
    t.match(problems.join('\n'), re, JSON.stringify(over))
  }
  t.same(slaPolicyProblems({ ...indre, departement: '2A' }), [])
  t.same(slaPolicyProblems({ ...indre, departement: '974', clockMode: 'business_hours', reminderBeforeMinutes: 0 }), [])
  const err = t.throws(() => assertValidSlaPolicy({ ...indre, responseMinutes: -1 })) as unknown as InvalidInput
  t.ok(err instanceof InvalidInput)
  t.equal(err.code, 'invalid_sla_policy')
  t.ok(Array.isArray((err.details as { problems: string[] }).problems))
  t.doesNotThrow(() => assertValidSlaPolicy(indre))
})

t.test('reminder settings', async (t) => {
  const filed = d('2026-06-01T10:00:00+02:00')
  t.equal(slaSchedule(filed, { ...indre, reminderBeforeMinutes: 0 }, []).reminderAt, null, 'reminderBeforeMinutes 0: no reminder')
  t.equal(slaSchedule(filed, { ...indre, reminderBeforeMinutes: 4320 }, []).reminderAt, null, 'reminder as long as the deadline: none')
  t.equal(iso(slaSchedule(filed, { ...indre, reminderBeforeMinutes: 60 }, []).reminderAt), iso(d('2026-06-04T09:00:00+02:00')))
  t.same(slaSchedule(filed, { ...indre, escalations: [] }, []).escalations, [], 'no escalation levels')
})

t.test('a two-minute policy for demos and worker tests', async (t) => {
  const demo = mode('calendar', { responseMinutes: 2, reminderBeforeMinutes: 1, escalations: [{ afterDueMinutes: 0, notify: ['org_admins', 'backup'] }, { afterDueMinutes: 1, notify: ['mission_tic'] }] })
  const s = slaSchedule(d('2026-06-06T03:00:00+02:00'), demo, [])
  t.equal(iso(s.reminderAt), iso(d('2026-06-06T03:01:00+02:00')))
  t.equal(iso(s.dueAt), iso(d('2026-06-06T03:02:00+02:00')))
  t.same(s.escalations.map((e) => iso(e.at)), [iso(d('2026-06-06T03:02:00+02:00')), iso(d('2026-06-06T03:03:00+02:00'))])
})

t.test('mergeIntervals joins overlapping and touching intervals, whatever their order', async (t) => {
  t.same(mergeIntervals([[600, 720], [480, 610], [840, 1020], [1020, 1080]]), [[480, 720], [840, 1080]])
  t.same(mergeIntervals([]), [])
  const given: [number, number][] = [[5, 9], [1, 3]]
  mergeIntervals(given)
  t.same(given, [[5, 9], [1, 3]], 'the input is not reordered')
})
