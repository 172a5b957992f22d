/**
 * Appointments at France services (issue 14): which slots of the permanences are free, and whether an ad-hoc time
 * falls within a place's opening hours. Pure: the permanences, places, busy times and absences come in as
 * arguments; every wall-clock reading is turned into an instant in the tenant's time zone (DST-correct: 9:00 is
 * 9:00 local on both sides of a change) and public holidays come from the same calendar as the SLA.
 */
import { isHoliday } from './sla/holidays.ts'
import { DAY_MS, MINUTE_MS, dayOfIsoDate, fromLocalMs, isoDate, isoWeekday, localDayOf } from './sla/time-zone.ts'
import { WEEKDAYS, minutesOf, type WeeklyHours } from './opening-hours.ts'

export interface Permanence {
  id: string
  placeId: string
  organisationId: string
  /** The referent who holds it; absent: the referral's holder. */
  personId: string | null
  /** ISO weekday, 1 = Monday. */
  weekday: number
  startMinute: number
  endMinute: number
  everyWeeks: number
  /** 'YYYY-MM-DD', local; the first occurrence is in this date's week. */
  validFrom: string
  validUntil: string | null
  slotMinutes: number
}

export interface Closure { from: string; to: string; reason?: string }
export interface PlaceFacts { id: string; desks: number; closures: Closure[]; openingHours: WeeklyHours }
export interface Busy { placeId: string; personId: string; startsAt: Date; endsAt: Date }
export interface Absence { personId: string; from: Date | null; until: Date | null }

export interface SlotQuery {
  from: Date
  days: number
  /** Nothing before this instant (a slot already begun is not offered). */
  now: Date
  timeZone: string
  departement: string
  permanences: Permanence[]
  places: Record<string, PlaceFacts>
  busy: Busy[]
  absences: Absence[]
  /** The referent of a permanence without one. */
  defaultPersonId: string | null
  limit?: number
}

export interface Slot { startsAt: Date; endsAt: Date; placeId: string; personId: string; permanenceId: string }

/** True when the local date ('YYYY-MM-DD') is within one of the place's closures. */
export function isClosed(closures: readonly Closure[], localDate: string): boolean {
  return closures.some((c) => c.from <= localDate && localDate <= (c.to || c.from))
}

const overlaps = (a0: number, a1: number, b0: number, b1: number) => a0 < b1 && b0 < a1

/** The Monday of a local day's week. */
const mondayOf = (day: number) => day - (isoWeekday(day) - 1)

/** The free slots, soonest first (then by place), at most `limit`. */
export function freeSlots(q: SlotQuery): Slot[] {
  const out: Slot[] = []
  const firstDay = localDayOf(Math.max(q.from.getTime(), q.now.getTime()), q.timeZone)
  const lastDay = localDayOf(q.from.getTime(), q.timeZone) + Math.max(1, q.days) - 1
  const nowMs = q.now.getTime()
  for (let day = firstDay; day <= lastDay; day++) {
    const date = isoDate(day)
    if (isHoliday(date, q.departement)) continue
    const wd = isoWeekday(day)
    for (const p of q.permanences) {
      if (p.weekday !== wd || date < p.validFrom || (p.validUntil && date > p.validUntil)) continue
      const startDay = dayOfIsoDate(p.validFrom)
      if (Number.isNaN(startDay) || ((mondayOf(day) - mondayOf(startDay)) / 7) % Math.max(1, p.everyWeeks) !== 0) continue
      const place = q.places[p.placeId]
      if (!place || isClosed(place.closures, date)) continue
      const personId = p.personId ?? q.defaultPersonId
      if (!personId) continue
      for (let m = p.startMinute; m + p.slotMinutes <= p.endMinute; m += p.slotMinutes) {
        const s = fromLocalMs(day * DAY_MS + m * MINUTE_MS, q.timeZone)
        const e = fromLocalMs(day * DAY_MS + (m + p.slotMinutes) * MINUTE_MS, q.timeZone)
        if (s < nowMs || e <= s) continue
        if (q.absences.some((a) => a.personId === personId && overlaps(s, e, a.from?.getTime() ?? -Infinity, a.until?.getTime() ?? Infinity))) continue
        if (q.busy.some((b) => b.personId === personId && overlaps(s, e, b.startsAt.getTime(), b.endsAt.getTime()))) continue
        const atPlace = q.busy.filter((b) => b.placeId === p.placeId && overlaps(s, e, b.startsAt.getTime(), b.endsAt.getTime())).length
        if (atPlace >= Math.max(1, place.desks)) continue
        out.push({ startsAt: new Date(s), endsAt: new Date(e), placeId: p.placeId, personId, permanenceId: p.id })
      }
    }
  }
  const seen = new Set<string>()
  return out
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.placeId.localeCompare(b.placeId))
    .filter((s) => { const k = `${s.startsAt.getTime()}|${s.placeId}|${s.personId}`; return seen.has(k) ? false : (seen.add(k), true) })
    .slice(0, q.limit ?? 200)
}

/**
 * Why an ad-hoc appointment may not take place then (null when it may): the place must be open the whole time, on a
 * day that is neither a public holiday nor a closure.
 */
export function adHocRefusal(place: PlaceFacts, startsAt: Date, endsAt: Date, timeZone: string, departement: string): string | null {
  const day = localDayOf(startsAt.getTime(), timeZone)
  if (localDayOf(endsAt.getTime() - 1, timeZone) !== day) return 'Un rendez-vous tient dans une seule journée.'
  const date = isoDate(day)
  if (isHoliday(date, departement)) return 'Ce jour est férié.'
  if (isClosed(place.closures, date)) return 'Le lieu est fermé ce jour-là.'
  const windows = place.openingHours[WEEKDAYS[isoWeekday(day) - 1]] ?? []
  const fits = windows.some((w) => {
    const o = fromLocalMs(day * DAY_MS + minutesOf(w.opens) * MINUTE_MS, timeZone)
    const c = fromLocalMs(day * DAY_MS + minutesOf(w.closes) * MINUTE_MS, timeZone)
    return o <= startsAt.getTime() && endsAt.getTime() <= c
  })
  return fits ? null : 'Le lieu n’est pas ouvert à cette heure-là.'
}

/** The working day before a local date (the reminder's day): weekdays that are not public holidays. */
export function workingDayBefore(at: Date, timeZone: string, departement: string): string {
  let day = localDayOf(at.getTime(), timeZone) - 1
  while (isoWeekday(day) > 5 || isHoliday(isoDate(day), departement)) day--
  return isoDate(day)
}
