/**
 * SLA statistics of a network (issue 17): pure indicators over referral facts. The SQL (packages/db repositories/stats)
 * hands one row per referral of the period and its previous one, with what its timeline says (transfers, information
 * requests, escalation level, how the SLA was met); everything is counted here, from the same rows, so a filtered figure,
 * its groups and the network's always add up the same way (a known complaint of networks whose national and regional
 * figures disagree).
 *
 * Definitions (also in docs/architecture.md):
 * - the cohort is the referrals FILED in the period [from, to); each is counted once, in its current status;
 * - filed = open (in triage + in progress) + answered awaiting closure + closed + cancelled;
 * - answered = the SLA was met (a written answer or an appointment proposed) in the current clock cycle: a reopened
 *   referral is open again until answered again; a late answer counts once given;
 * - compliance = answered within the deadline / (answered + unanswered whose deadline has passed); cancelled ones and
 *   running clocks not yet due are not decided;
 * - response time: the counted minutes the SLA recorded (working minutes, business minutes or calendar minutes: the
 *   clock's own unit, pauses removed), median and p90 by nearest rank;
 * - backlog: referrals open NOW (not only the period's), by age since their clock started;
 * - no-show rate: of the appointments of the period's referrals whose outcome is recorded (held, no-show, cancelled by
 *   the citizen), the share of no-shows; counted with their referral, so it follows the same filters and groups;
 * - deflections: questions a fiche answered at a mairie without a referral, counted in the period they were recorded,
 *   by their theme, commune, intercommunalité and mairie, and under « organisation » the fiche's author; the share is
 *   deflections / (deflections + referrals filed).
 */
import type { ReferralStatus } from './referral.ts'
import { DAY_MS, dayOfIsoDate, fromLocalMs } from './sla/time-zone.ts'

export const STATS_GROUP_BY = ['organisation', 'theme', 'commune', 'epci', 'mairie', 'month'] as const
export type StatsGroupBy = (typeof STATS_GROUP_BY)[number]

/** One referral as the statistics see it: no citizen data. */
export interface StatsRow {
  id: string
  reference: string
  filedAt: Date
  status: ReferralStatus
  holderOrganisationId: string
  mairieOrganisationId: string
  themeId: string
  communeInsee: string
  epciCode: string | null
  dueAt: Date | null
  slaMetAt: Date | null
  minutesTaken: number | null
  minutesVsTarget: number | null
  metBy: 'answered' | 'appointment_proposed' | null
  transfers: number
  infoRequests: number
  escalationLevel: number
  /** Its appointments by recorded outcome. */
  appointmentsHeld: number
  noShows: number
  citizenCancellations: number
}

/** A question a fiche answered without a referral (no citizen data); `holderOrganisationId` is the fiche's author. */
export interface DeflectionRow {
  at: Date
  holderOrganisationId: string
  mairieOrganisationId: string
  themeId: string
  communeInsee: string
  epciCode: string | null
}

/** An open referral for the backlog. */
export interface BacklogRow {
  holderOrganisationId: string
  mairieOrganisationId: string
  themeId: string
  communeInsee: string
  epciCode: string | null
  clockStartedAt: Date
}

export interface StatsFilters {
  organisationId?: string
  themeId?: string
  communeInsee?: string
  epciCode?: string
  mairieOrganisationId?: string
}

export interface Totals {
  filed: number
  /** SLA met, whichever way. */
  answered: number
  answeredInWriting: number
  answeredByAppointment: number
  /** Answered, the mairie has not closed it yet. */
  awaitingClosure: number
  closed: number
  cancelled: number
  /** Someone still owes an answer: in triage, assigned or awaiting information. */
  open: number
  inTriage: number
  answeredOnTime: number
  /** Answered, plus unanswered past their deadline: the denominator of compliance. */
  decided: number
  /** answeredOnTime / decided, 0..1; null when nothing is decided. */
  compliance: number | null
  medianMinutes: number | null
  p90Minutes: number | null
  transfers: number
  /** Referrals transferred at least once (« pas pour nous »). */
  transferred: number
  transfersPerReferral: number | null
  infoRequests: number
  infoRequestsPerReferral: number | null
  /** Referrals that reached escalation level 1 or more. */
  escalated: number
  /** Referrals by the highest escalation level reached: index 0 is level 1. */
  escalationLevels: number[]
  /** Appointments of these referrals whose outcome is recorded: held + noShows + citizenCancellations. */
  appointmentOutcomes: number
  appointmentsHeld: number
  noShows: number
  citizenCancellations: number
  /** noShows / appointmentOutcomes, 0..1; null when no outcome is recorded. */
  noShowRate: number | null
  /** Questions answered by a fiche without a referral. */
  deflections: number
  /** deflections / (deflections + filed), 0..1; null when both are zero. */
  deflectionShare: number | null
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)

/** Nearest-rank percentile of sorted values (p in 0..1): a value that occurred, the same in SQL and in tests. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]
}

export function answeredOnTime(r: StatsRow): boolean {
  if (!r.slaMetAt) return false
  if (r.dueAt) return r.slaMetAt.getTime() <= r.dueAt.getTime()
  return (r.minutesVsTarget ?? 1) <= 0
}

/** Past its deadline without an answer (a breach already known). */
export function breached(r: StatsRow, now: Date): boolean {
  return !r.slaMetAt && r.status !== 'cancelled' && !!r.dueAt && r.dueAt.getTime() < now.getTime()
}

export function totalsOf(rows: readonly StatsRow[], now: Date, deflections: number = 0): Totals {
  const t: Totals = {
    filed: rows.length, answered: 0, answeredInWriting: 0, answeredByAppointment: 0, awaitingClosure: 0, closed: 0, cancelled: 0, open: 0, inTriage: 0,
    answeredOnTime: 0, decided: 0, compliance: null, medianMinutes: null, p90Minutes: null, transfers: 0, transferred: 0, transfersPerReferral: null,
    infoRequests: 0, infoRequestsPerReferral: null, escalated: 0, escalationLevels: [],
    appointmentOutcomes: 0, appointmentsHeld: 0, noShows: 0, citizenCancellations: 0, noShowRate: null, deflections, deflectionShare: null,
  }
  const minutes: number[] = []
  for (const r of rows) {
    switch (r.status) {
      case 'submitted': t.open++; t.inTriage++; break
      case 'assigned': case 'awaiting_info': t.open++; break
      case 'answered': case 'appointment_proposed': t.awaitingClosure++; break
      case 'closed': t.closed++; break
      case 'cancelled': t.cancelled++; break
    }
    if (r.slaMetAt) {
      t.answered++
      if (r.metBy === 'appointment_proposed') t.answeredByAppointment++
      else t.answeredInWriting++
      t.decided++
      if (answeredOnTime(r)) t.answeredOnTime++
      if (r.minutesTaken !== null) minutes.push(r.minutesTaken)
    } else if (breached(r, now)) t.decided++
    t.transfers += r.transfers
    if (r.transfers > 0) t.transferred++
    t.infoRequests += r.infoRequests
    t.appointmentsHeld += r.appointmentsHeld
    t.noShows += r.noShows
    t.citizenCancellations += r.citizenCancellations
    if (r.escalationLevel > 0) {
      t.escalated++
      while (t.escalationLevels.length < r.escalationLevel) t.escalationLevels.push(0)
      t.escalationLevels[r.escalationLevel - 1]++
    }
  }
  minutes.sort((a, b) => a - b)
  t.compliance = ratio(t.answeredOnTime, t.decided)
  t.medianMinutes = nearestRank(minutes, 0.5)
  t.p90Minutes = nearestRank(minutes, 0.9)
  t.transfersPerReferral = ratio(t.transfers, t.filed)
  t.infoRequestsPerReferral = ratio(t.infoRequests, t.filed)
  t.appointmentOutcomes = t.appointmentsHeld + t.noShows + t.citizenCancellations
  t.noShowRate = ratio(t.noShows, t.appointmentOutcomes)
  t.deflectionShare = ratio(t.deflections, t.deflections + t.filed)
  return t
}

type Dimensioned = Pick<StatsRow, 'holderOrganisationId' | 'mairieOrganisationId' | 'themeId' | 'communeInsee' | 'epciCode'>

export function matches(r: Dimensioned, f: StatsFilters): boolean {
  return (!f.organisationId || r.holderOrganisationId === f.organisationId)
    && (!f.themeId || r.themeId === f.themeId)
    && (!f.communeInsee || r.communeInsee === f.communeInsee)
    && (!f.epciCode || r.epciCode === f.epciCode)
    && (!f.mairieOrganisationId || r.mairieOrganisationId === f.mairieOrganisationId)
}

export function keyOf(r: Dimensioned, by: Exclude<StatsGroupBy, 'month'>): string {
  switch (by) {
    case 'organisation': return r.holderOrganisationId
    case 'theme': return r.themeId
    case 'commune': return r.communeInsee
    case 'epci': return r.epciCode ?? ''
    case 'mairie': return r.mairieOrganisationId
  }
}

/** « 2026-03 » of an instant in a time zone. */
const monthFormats = new Map<string, Intl.DateTimeFormat>()
export function monthOf(at: Date, timeZone: string): string {
  let f = monthFormats.get(timeZone)
  if (!f) monthFormats.set(timeZone, (f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' })))
  const parts = f.formatToParts(at)
  return `${parts.find((p) => p.type === 'year')!.value}-${parts.find((p) => p.type === 'month')!.value}`
}

/** Every month from the one of `from` to the one of the last instant before `to`, empty ones included. */
export function monthsBetween(from: Date, to: Date, timeZone: string): string[] {
  const first = monthOf(from, timeZone)
  const last = monthOf(new Date(Math.max(from.getTime(), to.getTime() - 1)), timeZone)
  const out: string[] = []
  let [y, m] = first.split('-').map(Number)
  for (let guard = 0; guard < 1200; guard++) {
    const key = `${y}-${String(m).padStart(2, '0')}`
    out.push(key)
    if (key >= last) break
    if (++m > 12) { m = 1; y++ }
  }
  return out
}

/** A month-key function for instants within [from, to): month starts computed once, then a comparison per row. */
function monthKeyer(from: Date, to: Date, timeZone: string): (at: Date) => string {
  const months = monthsBetween(from, to, timeZone)
  const starts = months.map((m) => fromLocalMs(dayOfIsoDate(`${m}-01`) * DAY_MS, timeZone))
  return (at) => {
    const t = at.getTime()
    if (t < starts[0]) return monthOf(at, timeZone)
    let i = starts.length - 1
    while (i > 0 && t < starts[i]) i--
    return months[i]
  }
}

export interface Group { key: string; totals: Totals }

/**
 * Rows grouped by a dimension (months in order, empty ones as zero; other keys by filed count, then key). Deflections
 * fall in the same groups (by the month they were recorded in), so the groups add up to the totals for them too.
 */
export function groupsOf(rows: readonly StatsRow[], by: StatsGroupBy, now: Date, period: { from: Date; to: Date; timeZone: string }, deflections: readonly DeflectionRow[] = []): Group[] {
  const buckets = new Map<string, StatsRow[]>()
  const deflected = new Map<string, number>()
  const month = by === 'month' ? monthKeyer(period.from, period.to, period.timeZone) : null
  if (by === 'month') for (const m of monthsBetween(period.from, period.to, period.timeZone)) buckets.set(m, [])
  for (const r of rows) {
    const key = month ? month(r.filedAt) : keyOf(r, by as Exclude<StatsGroupBy, 'month'>)
    let list = buckets.get(key)
    if (!list) buckets.set(key, (list = []))
    list.push(r)
  }
  for (const d of deflections) {
    const key = month ? month(d.at) : keyOf(d, by as Exclude<StatsGroupBy, 'month'>)
    if (!buckets.has(key)) buckets.set(key, [])
    deflected.set(key, (deflected.get(key) ?? 0) + 1)
  }
  const groups = [...buckets].map(([key, list]) => ({ key, totals: totalsOf(list, now, deflected.get(key) ?? 0) }))
  if (by !== 'month') groups.sort((a, b) => b.totals.filed - a.totals.filed || b.totals.deflections - a.totals.deflections || a.key.localeCompare(b.key))
  return groups
}

export const BACKLOG_BUCKETS = [
  { key: 'lt1', label: 'Moins d’un jour', maxDays: 1 },
  { key: '1to3', label: '1 à 3 jours', maxDays: 3 },
  { key: '3to7', label: '3 à 7 jours', maxDays: 7 },
  { key: '7to30', label: '7 à 30 jours', maxDays: 30 },
  { key: 'gte30', label: '30 jours et plus', maxDays: Infinity },
] as const

/** Open referrals by calendar age since their clock started (a reopened one is young again). */
export function backlogOf(rows: readonly BacklogRow[], now: Date): { key: string; label: string; count: number }[] {
  const out = BACKLOG_BUCKETS.map((b) => ({ key: b.key as string, label: b.label as string, count: 0 }))
  for (const r of rows) {
    const days = (now.getTime() - r.clockStartedAt.getTime()) / 86400_000
    out[BACKLOG_BUCKETS.findIndex((b) => days < b.maxDays)].count++
  }
  return out
}

/** The period before, of the same length, ending where this one starts. */
export function previousPeriod(from: Date, to: Date): { from: Date; to: Date } {
  return { from: new Date(from.getTime() - (to.getTime() - from.getTime())), to: from }
}

/** The default period: the last three months, up to now. */
export function defaultPeriod(now: Date): { from: Date; to: Date } {
  const from = new Date(now)
  from.setUTCMonth(from.getUTCMonth() - 3)
  return { from, to: now }
}

/** The longest period asked at once (ten years): past it a request would read the tenant's whole history for nothing. */
export const MAX_PERIOD_DAYS = 3660

/** Response time in the clock's own unit, in French: « 1,5 jour ouvré », « 3 h ouvrées ». */
export function clockUnit(clockMode: 'calendar' | 'working_days' | 'business_hours'): { perUnit: number; unit: string } {
  if (clockMode === 'working_days') return { perUnit: 1440, unit: 'jours ouvrés' }
  if (clockMode === 'business_hours') return { perUnit: 60, unit: 'heures ouvrées' }
  return { perUnit: 60, unit: 'heures' }
}

export function inClockUnit(minutes: number | null, clockMode: 'calendar' | 'working_days' | 'business_hours'): number | null {
  if (minutes === null) return null
  const { perUnit } = clockUnit(clockMode)
  return Math.round((minutes / perUnit) * 10) / 10
}
