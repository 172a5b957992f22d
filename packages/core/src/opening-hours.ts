/**
 * Opening hours, one format for the whole product: an organisation's hours and the SLA policy's business hours are
 * both written `{ mon: [{ opens: "08:30", closes: "12:00" }, …], … }` (API, pages, database). The SLA calendar
 * computes on minutes per ISO weekday: `toMinuteRanges` compiles this format into that form, `fromMinuteRanges`
 * reads it back. Pure.
 */
import type { OpeningHours as MinuteRanges } from './sla.ts'

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]

export const WEEKDAY_LABELS: Record<Weekday, string> = {
  mon: 'lundi', tue: 'mardi', wed: 'mercredi', thu: 'jeudi', fri: 'vendredi', sat: 'samedi', sun: 'dimanche',
}

/** Local wall-clock time, "HH:MM"; "24:00" closes at midnight. */
export const TIME_PATTERN = '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$'
export const MAX_WINDOWS_PER_DAY = 6

export interface OpeningWindow { opens: string; closes: string }
export type WeeklyHours = Partial<Record<Weekday, OpeningWindow[]>>

export interface HoursIssue { path: string; message: string }

/** "08:30" → 510. */
export function minutesOf(time: string): number {
  const [h, m] = time.split(':').map(Number)
  return h * 60 + m
}

/** 510 → "08:30". */
export function timeOf(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

/** Each window opens before it closes, and the windows of a day do not overlap. `path` prefixes the field paths. */
export function openingHoursIssues(hours: WeeklyHours, path = 'openingHours'): HoursIssue[] {
  const issues: HoursIssue[] = []
  for (const day of WEEKDAYS) {
    const windows = hours[day] ?? []
    windows.forEach((w, i) => {
      if (minutesOf(w.opens) >= minutesOf(w.closes)) issues.push({ path: `${path}.${day}.${i}`, message: 'L’ouverture doit précéder la fermeture.' })
    })
    const sorted = windows.map((w) => [minutesOf(w.opens), minutesOf(w.closes)]).filter(([a, b]) => a < b).sort((x, y) => x[0] - y[0])
    if (sorted.some(([a], i) => i > 0 && a < sorted[i - 1][1])) issues.push({ path: `${path}.${day}`, message: `Les plages du ${WEEKDAY_LABELS[day]} se chevauchent.` })
  }
  return issues
}

/** Open minutes in a week. */
export function weeklyMinutes(hours: WeeklyHours): number {
  return WEEKDAYS.reduce((n, day) => n + (hours[day] ?? []).reduce((m, w) => m + Math.max(0, minutesOf(w.closes) - minutesOf(w.opens)), 0), 0)
}

/** The SLA calendar's form: minutes from local midnight per ISO weekday (1 = Monday). */
export function toMinuteRanges(hours: WeeklyHours): MinuteRanges {
  const ranges: MinuteRanges = {}
  WEEKDAYS.forEach((day, i) => {
    const windows = hours[day]
    if (windows) ranges[(i + 1) as 1] = windows.map((w) => [minutesOf(w.opens), minutesOf(w.closes)])
  })
  return ranges
}

export function fromMinuteRanges(ranges: MinuteRanges): WeeklyHours {
  const hours: WeeklyHours = {}
  WEEKDAYS.forEach((day, i) => {
    const list = ranges[(i + 1) as 1]
    if (list) hours[day] = list.map(([a, b]) => ({ opens: timeOf(a), closes: timeOf(b) }))
  })
  return hours
}

/** For people: [{ day: "lundi", windows: "08 h 30 – 12 h 00, 13 h 30 – 17 h 30" }], open days only. */
export function describeOpeningHours(hours: WeeklyHours): { day: string; windows: string }[] {
  const said = (t: string) => t.replace(':', ' h ')
  return WEEKDAYS.filter((day) => hours[day]?.length).map((day) => ({
    day: WEEKDAY_LABELS[day], windows: hours[day]!.map((w) => `${said(w.opens)} – ${said(w.closes)}`).join(', '),
  }))
}
