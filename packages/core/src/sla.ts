/**
 * The SLA calendar: which minutes count towards a referral's response time, and when its deadline, reminder
 * and escalations fall. Pure: every instant comes in as an argument. Rules and examples: docs/sla.md.
 *
 * Counting walks interval by interval (a whole working day, or one opening range), never minute by minute, so a
 * schedule costs a few dozen steps however long the span; day boundaries are cached per time zone.
 */
import { InvalidInput } from './errors.ts'
import { openingHoursIssues, weeklyMinutes, type WeeklyHours } from './opening-hours.ts'
import { isHoliday } from './sla/holidays.ts'
import { DAY_MS, MINUTE_MS, dayOfIsoDate, fromLocalMs, isValidTimeZone, isoDate, isoWeekday } from './sla/time-zone.ts'

export { isHoliday, publicHolidays } from './sla/holidays.ts'

export type ClockMode = 'calendar' | 'working_days' | 'business_hours'
/** minutes from midnight, local time, per ISO weekday 1 (Monday) .. 7 */
export type OpeningHours = Partial<Record<1 | 2 | 3 | 4 | 5 | 6 | 7, [number, number][]>>
export type EscalationTarget = 'org_admins' | 'backup' | 'mission_tic'

export interface SlaPolicy {
  responseMinutes: number
  clockMode: ClockMode
  /** 0 (or ≥ responseMinutes) means no reminder */
  reminderBeforeMinutes: number
  /** level i + 1 fires afterDueMinutes counted minutes after the deadline; listed in ascending order */
  escalations: { afterDueMinutes: number; notify: EscalationTarget[] }[]
  openingHours: OpeningHours
  /** Awaiting information: the mairie is reminded this many working days after the request… */
  infoReminderDays: number
  /** …and after this many the holder is told and may close the referral « sans suite ». */
  infoCloseDays: number
  timeZone: string /* 'Europe/Paris' */
  departement: string /* '36', '57'… for holidays */
}

export const CLOCK_MODES: readonly ClockMode[] = ['calendar', 'working_days', 'business_hours']
export const ESCALATION_TARGETS: readonly EscalationTarget[] = ['org_admins', 'backup', 'mission_tic']

const OFFICE_DAY: [number, number][] = [
  [8 * 60 + 30, 12 * 60],
  [13 * 60 + 30, 17 * 60 + 30],
]

export const DEFAULT_SLA_POLICY: Omit<SlaPolicy, 'departement'> = deepFreeze({
  responseMinutes: 4320,
  clockMode: 'working_days',
  reminderBeforeMinutes: 1440,
  escalations: [
    { afterDueMinutes: 0, notify: ['org_admins', 'backup'] },
    { afterDueMinutes: 1440, notify: ['mission_tic'] },
  ],
  openingHours: { 1: OFFICE_DAY, 2: OFFICE_DAY, 3: OFFICE_DAY, 4: OFFICE_DAY, 5: OFFICE_DAY },
  infoReminderDays: 5,
  infoCloseDays: 10,
  timeZone: 'Europe/Paris',
})

/** An awaiting_info period, derived from the timeline; `to: null` while it lasts. */
export interface Pause {
  from: Date
  to: Date | null
}

export interface SlaSchedule {
  dueAt: Date | null
  reminderAt: Date | null
  escalations: { level: number; at: Date | null; notify: EscalationTarget[] }[]
}

// ---------------------------------------------------------------------------------------------------------
// Days and counting intervals

interface DayInfo {
  /** UTC ms of local midnight at the start and at the end of the day (23 or 25 hours apart on DST days) */
  start: number
  end: number
}

// Caches keyed by time zone or département, then by local day: they stay small (a few thousand days in use).
const dayCache = new Map<string, Map<number, DayInfo>>()
const holidayCache = new Map<string, Map<number, boolean>>()

function dayInfo(day: number, timeZone: string): DayInfo {
  let days = dayCache.get(timeZone)
  if (!days) dayCache.set(timeZone, (days = new Map()))
  let info = days.get(day)
  if (!info) {
    if (days.size > 50_000) days.clear()
    info = { start: fromLocalMs(day * DAY_MS, timeZone), end: fromLocalMs((day + 1) * DAY_MS, timeZone) }
    days.set(day, info)
  }
  return info
}

/** The local day of an instant, from the cached day boundaries (an offset is within ±14 h, so ±1 day). */
function dayOf(t: number, timeZone: string): number {
  let day = Math.floor(t / DAY_MS)
  for (;;) {
    const info = dayInfo(day, timeZone)
    if (t < info.start) day--
    else if (t >= info.end) day++
    else return day
  }
}

function isHolidayDay(day: number, departement: string): boolean {
  let days = holidayCache.get(departement)
  if (!days) holidayCache.set(departement, (days = new Map()))
  let holiday = days.get(day)
  if (holiday === undefined) {
    if (days.size > 50_000) days.clear()
    holiday = isHoliday(isoDate(day), departement)
    days.set(day, holiday)
  }
  return holiday
}

/** The instant of a wall-clock minute of a day; the arithmetic shortcut holds on every day without a DST change. */
function instantOf(day: number, minute: number, info: DayInfo, timeZone: string): number {
  if (minute <= 0) return info.start
  if (minute >= 1440) return info.end
  if (info.end - info.start === DAY_MS) return info.start + minute * MINUTE_MS
  return fromLocalMs(day * DAY_MS + minute * MINUTE_MS, timeZone)
}

type Ranges = Record<1 | 2 | 3 | 4 | 5 | 6 | 7, [number, number][]>
const normalizedHours = new WeakMap<object, Ranges>()

/**
 * Opening hours sorted, clipped to the day and merged; bad ranges dropped (validation reports them). Cached per
 * object: a policy is a value, build a new one rather than mutate it.
 */
function openingRanges(hours: OpeningHours): Ranges {
  let ranges = normalizedHours.get(hours)
  if (!ranges) {
    ranges = { 1: [], 2: [], 3: [], 4: [], 5: [], 6: [], 7: [] }
    for (const wd of [1, 2, 3, 4, 5, 6, 7] as const) {
      const given: unknown = hours[wd]
      const list = (Array.isArray(given) ? given : [])
        .filter((r): r is [number, number] => Array.isArray(r) && r.length === 2)
        .map(([a, b]) => [Math.max(0, a), Math.min(1440, b)] as [number, number])
        .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && a < b)
      ranges[wd] = mergeIntervals(list)
    }
    normalizedHours.set(hours, ranges)
  }
  return ranges
}

function hasAnyOpening(ranges: Ranges): boolean {
  return Object.values(ranges).some((r) => r.length > 0)
}

/** True when a local date ('YYYY-MM-DD') is Mon–Fri and not a public holiday of the département. */
export function isWorkingDate(localDate: string, departement: string): boolean {
  const day = dayOfIsoDate(localDate)
  return !Number.isNaN(day) && isoWeekday(day) <= 5 && !isHoliday(localDate, departement)
}

/** Pauses as sorted, merged [from, to) in ms; an open pause ends at Infinity. */
function normalizePauses(pauses: Pause[]): [number, number][] {
  const list = pauses
    .map((p) => [instant(p.from, 'pause.from'), p.to === null ? Infinity : instant(p.to, 'pause.to')] as [number, number])
    .filter(([a, b]) => b > a)
  return mergeIntervals(list)
}

/** [from, to) intervals sorted by start, overlapping or touching ones joined; the input is left as it was. */
export function mergeIntervals(list: readonly (readonly [number, number])[]): [number, number][] {
  const merged: [number, number][] = []
  for (const [from, to] of [...list].sort((x, y) => x[0] - y[0])) {
    const last = merged[merged.length - 1]
    if (last && from <= last[1]) last[1] = Math.max(last[1], to)
    else merged.push([from, to])
  }
  return merged
}

/** A policy that can never count a minute would make the walk endless: stop it after this many idle days. */
const MAX_IDLE_DAYS = 800

/**
 * Calls `visit` with the counted intervals [s, e) from `startMs` onwards, in order, pauses removed, until it
 * returns true or an open pause blocks the clock. In `calendar` mode the last interval ends at Infinity.
 * Which minutes count: `working_days`, the whole of Mon–Fri days that are not public holidays;
 * `business_hours`, the opening ranges of each weekday that is not a public holiday (the opening hours decide
 * the weekdays, so a tenant whose partners open on Saturday mornings may list them).
 * A callback rather than a generator: the sweep recomputes many schedules, and this is its inner loop.
 */
function walkCounted(startMs: number, policy: SlaPolicy, pauses: Pause[], visit: (s: number, e: number) => boolean): void {
  const ps = normalizePauses(pauses)
  let pi = 0

  /** Visits [a, b) minus the pauses; true when the walk must stop (visitor done, or an open pause). */
  const emit = (a: number, b: number): boolean => {
    while (pi < ps.length && ps[pi][1] <= a) pi++
    while (a < b) {
      const p = ps[pi]
      if (!p || p[0] >= b) return visit(a, b)
      if (p[0] > a && visit(a, p[0])) return true
      if (p[1] === Infinity) return true
      a = Math.max(a, p[1])
      if (p[1] > b) return false
      pi++
    }
    return false
  }

  const mode = policy.clockMode
  if (mode === 'calendar') {
    emit(startMs, Infinity)
    return
  }
  if (mode !== 'working_days' && mode !== 'business_hours') throw new TypeError(`Unknown SLA clock mode: ${String(mode)}`)
  const tz = policy.timeZone
  const ranges = mode === 'business_hours' ? openingRanges(policy.openingHours) : null

  let day = dayOf(startMs, tz)
  for (let idle = 0; ; day++) {
    const info = dayInfo(day, tz)
    const from = Math.max(info.start, startMs)
    // Jump over days a pause covers whole: a referral awaiting information for months costs one step.
    while (pi < ps.length && ps[pi][1] <= from) pi++
    const p = ps[pi]
    if (p && p[0] <= from && p[1] >= info.end) {
      if (p[1] === Infinity) return
      day = Math.max(day, dayOf(p[1], tz) - 1)
      continue
    }
    const weekday = isoWeekday(day)
    if (ranges === null) {
      if (weekday <= 5 && !isHolidayDay(day, policy.departement)) {
        idle = 0
        if (emit(from, info.end)) return
        continue
      }
    } else {
      const list = ranges[weekday]
      if (list.length > 0 && !isHolidayDay(day, policy.departement)) {
        idle = 0
        for (const [a, b] of list) {
          const end = instantOf(day, b, info, tz)
          if (end <= from) continue
          if (emit(Math.max(instantOf(day, a, info, tz), from), end)) return
        }
        continue
      }
    }
    if (++idle > MAX_IDLE_DAYS) throw new Error('This SLA policy never counts a minute (no opening hours?)')
  }
}

function countedMs(fromMs: number, toMs: number, policy: SlaPolicy, pauses: Pause[]): number {
  if (!(toMs > fromMs)) return 0
  let total = 0
  walkCounted(fromMs, policy, pauses, (s, e) => {
    if (s >= toMs) return true
    total += Math.min(e, toMs) - s
    return e >= toMs
  })
  return total
}

/** The instants at which counted time from `startMs` reaches each target (ms); null past an open pause. One walk. */
function instantsAtCounted(startMs: number, targets: number[], policy: SlaPolicy, pauses: Pause[]): (number | null)[] {
  const order = targets.map((_, i) => i).sort((x, y) => targets[x] - targets[y])
  const out: (number | null)[] = targets.map(() => null)
  let k = 0
  while (k < order.length && targets[order[k]] <= 0) out[order[k++]] = startMs
  if (k === order.length) return out
  let acc = 0
  walkCounted(startMs, policy, pauses, (s, e) => {
    const len = e - s
    while (k < order.length && targets[order[k]] <= acc + len) {
      out[order[k]] = s + (targets[order[k]] - acc)
      k++
    }
    acc += len
    return k === order.length
  })
  return out
}

function instant(d: Date, name: string): number {
  const t = d instanceof Date ? d.getTime() : Number.NaN
  if (Number.isNaN(t)) throw new TypeError(`${name} must be a valid Date`)
  return t
}

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms))

// ---------------------------------------------------------------------------------------------------------
// Public API

/** Counted minutes in [from, to) (whole minutes, rounded down); paused time never counts. */
export function countedMinutes(from: Date, to: Date, policy: SlaPolicy, pauses: Pause[]): number {
  return Math.floor(countedMs(instant(from, 'from'), instant(to, 'to'), policy, pauses) / MINUTE_MS)
}

/**
 * The earliest instant at which `minutes` counted minutes have elapsed since `start` (so a deadline reached
 * at closing time is that closing time, not the next opening). `minutes` = 0 gives `start`.
 * Null while an open pause blocks the clock before the target is reached.
 */
export function addCountedMinutes(start: Date, minutes: number, policy: SlaPolicy, pauses: Pause[]): Date | null {
  if (!(minutes >= 0) || !Number.isFinite(minutes)) throw new RangeError('minutes must be a finite number ≥ 0')
  const [at] = instantsAtCounted(instant(start, 'start'), [Math.round(minutes * MINUTE_MS)], policy, pauses)
  return toDate(at)
}

/**
 * Deadline, reminder and escalation instants of a referral filed at `filedAt`, given the pauses so far.
 * Each instant is null while an open pause stops the clock before it (one reached before the pause began keeps
 * its date: an overdue referral put on hold stays overdue). Recomputing with another policy gives that
 * policy's schedule: nothing is stored in between.
 */
export function slaSchedule(filedAt: Date, policy: SlaPolicy, pauses: Pause[]): SlaSchedule {
  const response = policy.responseMinutes * MINUTE_MS
  const reminderAfter = policy.reminderBeforeMinutes > 0 ? (policy.responseMinutes - policy.reminderBeforeMinutes) * MINUTE_MS : 0
  const targets = [response, ...policy.escalations.map((e) => response + e.afterDueMinutes * MINUTE_MS)]
  if (reminderAfter > 0) targets.push(reminderAfter)
  const at = instantsAtCounted(instant(filedAt, 'filedAt'), targets, policy, pauses)
  return {
    dueAt: toDate(at[0]),
    reminderAt: reminderAfter > 0 ? toDate(at[targets.length - 1]) : null,
    escalations: policy.escalations.map((e, i) => ({ level: i + 1, at: toDate(at[i + 1]), notify: [...e.notify] })),
  }
}

/**
 * When a reminder or escalation due at `at` may be mailed: `at` itself inside opening hours (closing time
 * included) on a day that is not a public holiday, else the next opening. The deadline itself never moves. Whatever the clock mode.
 */
export function nextSendingInstant(at: Date, policy: SlaPolicy): Date {
  const t = instant(at, 'at')
  const ranges = openingRanges(policy.openingHours)
  if (!hasAnyOpening(ranges)) return new Date(t)
  let day = dayOf(t, policy.timeZone)
  for (let i = 0; i < 400; i++, day++) {
    const list = ranges[isoWeekday(day)]
    if (list.length === 0 || isHolidayDay(day, policy.departement)) continue
    const info = dayInfo(day, policy.timeZone)
    for (const [a, b] of list) {
      // The closing instant itself still counts as open: a business-hours deadline often falls exactly on it.
      if (t <= instantOf(day, b, info, policy.timeZone)) return new Date(Math.max(instantOf(day, a, info, policy.timeZone), t))
    }
  }
  return new Date(t)
}

/**
 * What the SLA came to once met (answer or appointment proposed) at `metAt`: counted minutes since filing, and
 * the difference to the target (negative = early, 0 = on the dot, positive = late). Whole minutes, rounded
 * down, so to tell "late" compare metAt with dueAt rather than the sign of a sub-minute difference.
 */
export function slaOutcome(filedAt: Date, metAt: Date, policy: SlaPolicy, pauses: Pause[]): { minutesTaken: number; minutesVsTarget: number } {
  const minutesTaken = countedMinutes(filedAt, metAt, policy, pauses)
  return { minutesTaken, minutesVsTarget: minutesTaken - policy.responseMinutes }
}

// ---------------------------------------------------------------------------------------------------------
// Validation (for the policy API and the seed)

const MAX_MINUTES = 366 * 24 * 60

/** What is wrong with a policy, in French, one line per problem; empty when it is usable. */
export function slaPolicyProblems(policy: SlaPolicy): string[] {
  const problems: string[] = []
  const minutes = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= MAX_MINUTES
  if (!minutes(policy.responseMinutes, 1)) problems.push(`Le délai de réponse doit être un nombre entier de minutes entre 1 et ${MAX_MINUTES}.`)
  if (!CLOCK_MODES.includes(policy.clockMode)) problems.push('Le mode de décompte doit être calendar, working_days ou business_hours.')
  if (!minutes(policy.reminderBeforeMinutes, 0)) problems.push(`Le délai de relance doit être un nombre entier de minutes entre 0 et ${MAX_MINUTES}.`)
  if (!Array.isArray(policy.escalations) || policy.escalations.length > 10) {
    problems.push('Il faut au plus 10 niveaux d’escalade.')
  } else {
    policy.escalations.forEach((e, i) => {
      if (!minutes(e.afterDueMinutes, 0)) problems.push(`Escalade ${i + 1} : le délai après l’échéance doit être un nombre entier de minutes entre 0 et ${MAX_MINUTES}.`)
      else if (i > 0 && e.afterDueMinutes < policy.escalations[i - 1].afterDueMinutes) problems.push(`Escalade ${i + 1} : les niveaux doivent être donnés dans l’ordre croissant des délais.`)
      if (!Array.isArray(e.notify) || e.notify.length === 0 || e.notify.some((n) => !ESCALATION_TARGETS.includes(n))) {
        problems.push(`Escalade ${i + 1} : les destinataires doivent être choisis parmi org_admins, backup et mission_tic.`)
      }
    })
  }
  const days = (v: unknown, min: number, max: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max
  if (!days(policy.infoReminderDays, 1, 60)) problems.push('La relance de la mairie pendant une demande de complément doit venir entre 1 et 60 jours ouvrés après la demande.')
  if (!days(policy.infoCloseDays, 2, 120)) problems.push('La clôture sans suite doit devenir possible entre 2 et 120 jours ouvrés après la demande.')
  else if (policy.infoCloseDays <= policy.infoReminderDays) problems.push('La clôture sans suite doit venir après la relance de la mairie.')
  if (typeof policy.timeZone !== 'string' || !isValidTimeZone(policy.timeZone)) problems.push('Le fuseau horaire est inconnu.')
  if (typeof policy.departement !== 'string' || !/^(\d{2,3}|2[AB])$/.test(policy.departement)) problems.push('Le code du département est invalide.')
  const hours = policy.openingHours ?? {}
  let anyRange = false
  for (const [key, list] of Object.entries(hours)) {
    const wd = Number(key)
    if (!Number.isInteger(wd) || wd < 1 || wd > 7) {
      problems.push(`Horaires d’ouverture : « ${key} » n’est pas un jour (1 = lundi … 7 = dimanche).`)
      continue
    }
    if (!Array.isArray(list)) {
      problems.push(`Horaires d’ouverture du jour ${wd} : une liste de plages est attendue.`)
      continue
    }
    const sorted = [...list].sort((x, y) => x[0] - y[0])
    sorted.forEach((r, i) => {
      const ok = Array.isArray(r) && r.length === 2 && Number.isInteger(r[0]) && Number.isInteger(r[1]) && r[0] >= 0 && r[1] <= 1440 && r[0] < r[1]
      if (!ok) problems.push(`Horaires d’ouverture du jour ${wd} : chaque plage va d’une minute de début à une minute de fin (0 à 1440), la fin après le début.`)
      else if (i > 0 && r[0] < sorted[i - 1][1]) problems.push(`Horaires d’ouverture du jour ${wd} : des plages se chevauchent.`)
      else anyRange = true
    })
  }
  if (!anyRange) problems.push('Il faut au moins une plage d’ouverture (les relances partent pendant les heures d’ouverture).')
  return problems
}

/** A change of policy as people and partner systems write it: opening hours in the product's one format. */
export interface SlaPolicyChange {
  responseMinutes: number
  clockMode: ClockMode
  reminderBeforeMinutes: number
  escalations: { afterDueMinutes: number; notify: EscalationTarget[] }[]
  openingHours?: WeeklyHours
  /** Working days after a request for information: reminder to the mairie (default 5), then « sans suite » possible (default 10). */
  infoReminderDays?: number
  infoCloseDays?: number
}

/**
 * The steps of an information pause, from the request: the mairie's reminder, then the holder told that it may be
 * closed « sans suite ». Counted in working days (Mon–Fri, public holidays excepted) whatever the clock mode; each
 * mail goes out during opening hours.
 */
export function infoPauseSteps(requestedAt: Date, policy: SlaPolicy): { name: 'info-reminder' | 'info-stale'; at: Date; sendAt: Date }[] {
  const working: SlaPolicy = { ...policy, clockMode: 'working_days' }
  const step = (name: 'info-reminder' | 'info-stale', days: number) => {
    const at = addCountedMinutes(requestedAt, days * 1440, working, [])!
    return { name, at, sendAt: nextSendingInstant(at, policy) }
  }
  return [step('info-reminder', policy.infoReminderDays), step('info-stale', policy.infoCloseDays)]
}

/** Business hours so thin that the deadline lies years away: computing it walks day by day and would hold the process. */
const MAX_HORIZON_WEEKS = 104

/** What is wrong with a change, field by field, in French (the schema has already checked types and ranges). */
export function slaPolicyChangeIssues(change: SlaPolicyChange): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = []
  if (change.reminderBeforeMinutes >= change.responseMinutes && change.reminderBeforeMinutes > 0) issues.push({ path: 'reminderBeforeMinutes', message: 'La relance doit précéder l’échéance.' })
  change.escalations.forEach((e, i) => {
    if (i > 0 && e.afterDueMinutes <= change.escalations[i - 1].afterDueMinutes) issues.push({ path: `escalations.${i}.afterDueMinutes`, message: 'Les niveaux d’escalade doivent se suivre dans le temps.' })
  })
  if (change.infoReminderDays !== undefined && change.infoCloseDays !== undefined && change.infoCloseDays <= change.infoReminderDays) {
    issues.push({ path: 'infoCloseDays', message: 'La clôture sans suite doit venir après la relance de la mairie.' })
  }
  issues.push(...openingHoursIssues(change.openingHours ?? {}))
  if (change.clockMode === 'business_hours' && change.openingHours && !issues.length) {
    const weekly = weeklyMinutes(change.openingHours)
    const furthest = change.responseMinutes + Math.max(0, ...change.escalations.map((e) => e.afterDueMinutes))
    if (weekly === 0 || furthest / weekly > MAX_HORIZON_WEEKS) issues.push({ path: 'openingHours', message: 'Trop peu d’heures d’ouverture pour ces délais : l’échéance tomberait à plus de deux ans.' })
  }
  return issues
}

/** Throws InvalidInput 'invalid_sla_policy' listing the problems in `details.problems`. */
export function assertValidSlaPolicy(policy: SlaPolicy): void {
  const problems = slaPolicyProblems(policy)
  if (problems.length > 0) throw new InvalidInput('invalid_sla_policy', 'La politique de délai est invalide.', { problems })
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
