/**
 * Wall-clock arithmetic in an IANA time zone, with Intl only (no library, no host time zone).
 *
 * A "local day" is a whole number: days since 1970-01-01 on the zone's calendar. A "local ms" is a
 * wall-clock reading written as if it were UTC (day * 86_400_000 + time of day), which makes
 * calendar arithmetic plain integer arithmetic; only the two conversions below touch the zone.
 */

export const DAY_MS = 86_400_000
export const MINUTE_MS = 60_000

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** True when Intl knows the zone (an unknown zone would throw a RangeError later). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone)
    return true
  } catch {
    return false
  }
}

/** The zone's offset from UTC at an instant, in ms (Europe/Paris: 3_600_000 in winter, 7_200_000 in summer). */
export function offsetMs(utcMs: number, timeZone: string): number {
  const whole = utcMs - (((utcMs % 1000) + 1000) % 1000)
  const parts = formatter(timeZone).formatToParts(whole)
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0
  for (const p of parts) {
    switch (p.type) {
      case 'year': y = Number(p.value); break
      case 'month': mo = Number(p.value); break
      case 'day': d = Number(p.value); break
      case 'hour': h = Number(p.value); break
      case 'minute': mi = Number(p.value); break
      case 'second': s = Number(p.value); break
    }
  }
  return Date.UTC(y, mo - 1, d, h, mi, s) - whole
}

/** The wall-clock reading of an instant, as local ms. */
export function toLocalMs(utcMs: number, timeZone: string): number {
  return utcMs + offsetMs(utcMs, timeZone)
}

/** The local day an instant falls on. */
export function localDayOf(utcMs: number, timeZone: string): number {
  return Math.floor(toLocalMs(utcMs, timeZone) / DAY_MS)
}

/**
 * The instant of a wall-clock reading. Like Temporal's 'compatible' disambiguation: a reading skipped by a
 * spring-forward change is moved forward by the gap (02:30 → 03:30), a reading repeated by a fall-back
 * change takes the earlier instant. Assumes two offset changes are never less than two days apart.
 */
export function fromLocalMs(localMs: number, timeZone: string): number {
  const before = offsetMs(localMs - DAY_MS, timeZone)
  const after = offsetMs(localMs + DAY_MS, timeZone)
  if (before === after) return localMs - before
  const withBefore = localMs - before
  const withAfter = localMs - after
  const beforeFits = offsetMs(withBefore, timeZone) === before
  const afterFits = offsetMs(withAfter, timeZone) === after
  if (beforeFits && afterFits) return Math.min(withBefore, withAfter)
  if (afterFits) return withAfter
  // In the gap (or only the old offset fits): the old offset lands just after the gap.
  return withBefore
}

/** 'YYYY-MM-DD' of a local day. */
export function isoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10)
}

/** The local day of a 'YYYY-MM-DD' date, or NaN when it is not one. */
export function dayOfIsoDate(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return Number.NaN
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  if (new Date(ms).toISOString().slice(0, 10) !== date) return Number.NaN
  return ms / DAY_MS
}

/** ISO weekday of a local day: 1 = Monday .. 7 = Sunday (1970-01-01, day 0, was a Thursday). */
export function isoWeekday(day: number): 1 | 2 | 3 | 4 | 5 | 6 | 7 {
  return ((((day + 3) % 7) + 7) % 7 + 1) as 1 | 2 | 3 | 4 | 5 | 6 | 7
}
