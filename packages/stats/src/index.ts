// SLA statistics (issue 17): who sees which figures, the period and filters, and the figures themselves, for the JSON
// API, the page and the exports alike. Counting is @relais/core/stats's; the rows come from packages/db.
import { authorizeRole, forbidden, invalidFields, reachOf, slaDuration, STATUS_LABELS, type PersonRole } from '@relais/core'
import {
  MAX_PERIOD_DAYS, answeredOnTime, backlogOf, defaultPeriod, groupsOf, matches, monthOf, previousPeriod, totalsOf,
  type DeflectionRow, type StatsFilters, type StatsGroupBy, type StatsRow, type Totals,
} from '@relais/core/stats'
import { DAY_MS, dayOfIsoDate, fromLocalMs, isoDate, localDayOf } from '@relais/core/sla/time-zone'
import type { TenantTx } from '@relais/db'
import { deflectionRows, openRows, statsDirectory, statsRows, type StatsDirectory } from '@relais/db/repositories/stats'

export { renderChart, type ChartSpec } from './charts.ts'
export { exportIndicators, exportReferrals } from './exports.ts'

export interface Principal { personId: string; tenantId: string; organisationId: string; role: PersonRole }

export interface StatsQuery {
  /** Local dates (YYYY-MM-DD) in the tenant's time zone, both included; default the last three months. */
  from?: string
  to?: string
  groupBy?: StatsGroupBy
  organisationId?: string
  theme?: string
  commune?: string
  epci?: string
  mairieOrganisationId?: string
}

export interface GroupOut { key: string; label: string; totals: Totals; belowNetwork: boolean }

export interface StatsResult {
  period: { from: string; to: string; previousFrom: string; previousTo: string; timeZone: string }
  clockMode: StatsDirectory['clockMode']
  scope: 'network' | 'organisation' | 'mairie'
  /** What the figures are restricted to, as asked or as the person's reach imposes. */
  filters: { organisationId: string | null; theme: string | null; commune: string | null; epci: string | null; mairieOrganisationId: string | null }
  totals: Totals
  previous: Totals
  /** The whole network over the same period (and the previous one): the figures beside which the others read. */
  network: Totals
  networkPrevious: Totals
  groupBy: StatsGroupBy
  groups: GroupOut[]
  months: GroupOut[]
  backlog: { key: string; label: string; count: number }[]
}

export interface StatsData extends StatsResult {
  directory: StatsDirectory
  /** The period's referrals in scope and filters, for the export of the list behind the figures. */
  rows: StatsRow[]
  /** The period's deflections in scope and filters. */
  deflections: DeflectionRow[]
  /** The network's compliance and the span, to group the rows again (the report's tables). */
  span: { from: Date; to: Date; timeZone: string }
  now: Date
}

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre']
export const monthLabel = (key: string) => { const [y, m] = key.split('-'); return `${MONTHS[Number(m) - 1]} ${y}` }

function periodOf(q: StatsQuery, now: Date, timeZone: string) {
  const issues: { path: string; message: string }[] = []
  const day = (v: string | undefined, path: string) => {
    if (v === undefined) return undefined
    const d = /^\d{4}-\d{2}-\d{2}$/.test(v) ? dayOfIsoDate(v) : Number.NaN
    if (Number.isNaN(d) || isoDate(d) !== v) { issues.push({ path, message: 'Date invalide : attendu AAAA-MM-JJ.' }); return undefined }
    return d
  }
  const fallback = defaultPeriod(now)
  const fromDay = day(q.from, 'from') ?? localDayOf(fallback.from.getTime(), timeZone)
  const toDay = day(q.to, 'to') ?? localDayOf(fallback.to.getTime(), timeZone)
  if (!issues.length && toDay < fromDay) issues.push({ path: 'to', message: 'La fin de la période doit venir après son début.' })
  if (!issues.length && toDay - fromDay + 1 > MAX_PERIOD_DAYS) issues.push({ path: 'from', message: 'La période ne peut pas dépasser dix ans.' })
  if (issues.length) throw invalidFields(issues)
  return { from: new Date(fromLocalMs(fromDay * DAY_MS, timeZone)), to: new Date(fromLocalMs((toDay + 1) * DAY_MS, timeZone)), fromDay, toDay }
}

/** The filters the person's reach imposes on what she asked: her mairie's, her organisation's, or as asked. */
function scopeOf(p: Principal, q: StatsQuery, dir: StatsDirectory): { scope: StatsResult['scope']; filters: StatsFilters } {
  const theme = q.theme ? dir.themes.find((t) => t.code === q.theme) : undefined
  const issues: { path: string; message: string }[] = []
  if (q.theme && !theme) issues.push({ path: 'theme', message: 'Thème inconnu.' })
  if (q.commune && !dir.communes.some((c) => c.insee === q.commune)) issues.push({ path: 'commune', message: 'Commune inconnue dans ce département.' })
  if (q.epci && !dir.communes.some((c) => c.epciCode === q.epci)) issues.push({ path: 'epci', message: 'Intercommunalité inconnue dans ce département.' })
  // Ids of another tenant (or of nothing) are refused, never echoed back.
  if (q.organisationId && !dir.organisations.some((o) => o.id === q.organisationId && o.kind !== 'mairie')) issues.push({ path: 'organisationId', message: 'Organisme inconnu dans ce réseau.' })
  if (q.mairieOrganisationId && !dir.organisations.some((o) => o.id === q.mairieOrganisationId && o.kind === 'mairie')) issues.push({ path: 'mairieOrganisationId', message: 'Mairie inconnue dans ce réseau.' })
  if (issues.length) throw invalidFields(issues)
  const filters: StatsFilters = { organisationId: q.organisationId, themeId: theme?.id, communeInsee: q.commune, epciCode: q.epci, mairieOrganisationId: q.mairieOrganisationId }
  const refusal = 'Vous ne voyez que les statistiques de votre organisme, à côté de celles du réseau.'
  switch (reachOf(p.role, 'stats.read')) {
    case 'tenant': return { scope: 'network', filters }
    case 'own_mairie':
      if (q.mairieOrganisationId && q.mairieOrganisationId !== p.organisationId) throw forbidden('Vous ne voyez que les statistiques de votre mairie, à côté de celles du réseau.')
      return { scope: 'mairie', filters: { ...filters, mairieOrganisationId: p.organisationId } }
    case 'own_organisation': {
      // An org admin of a mairie sees the referrals her mairie filed; of a partner, those it holds.
      const mine = dir.organisations.find((o) => o.id === p.organisationId)
      if (mine?.kind === 'mairie') {
        if (q.mairieOrganisationId && q.mairieOrganisationId !== p.organisationId) throw forbidden(refusal)
        return { scope: 'mairie', filters: { ...filters, mairieOrganisationId: p.organisationId } }
      }
      if (q.organisationId && q.organisationId !== p.organisationId) throw forbidden(refusal)
      return { scope: 'organisation', filters: { ...filters, organisationId: p.organisationId } }
    }
    default: throw forbidden()
  }
}

function labeller(dir: StatsDirectory, by: StatsGroupBy): (key: string) => string {
  const orgs = new Map(dir.organisations.map((o) => [o.id, o.name]))
  const themes = new Map(dir.themes.map((t) => [t.id, t.label]))
  const communes = new Map(dir.communes.map((c) => [c.insee, c.name]))
  const epcis = new Map(dir.communes.filter((c) => c.epciCode).map((c) => [c.epciCode!, c.epciName ?? c.epciCode!]))
  switch (by) {
    case 'organisation': case 'mairie': return (k) => orgs.get(k) ?? 'Organisme inconnu'
    case 'theme': return (k) => themes.get(k) ?? 'Thème inconnu'
    case 'commune': return (k) => communes.get(k) ?? k
    case 'epci': return (k) => (k ? epcis.get(k) ?? k : 'Sans intercommunalité')
    case 'month': return monthLabel
  }
}

/** The figures of a period for a person: hers (or as filtered), the previous period's, and the network's beside them. */
export async function networkStats(trx: TenantTx, p: Principal, q: StatsQuery, now: Date): Promise<StatsData> {
  authorizeRole(p, 'stats.read')
  const dir = await statsDirectory(trx, p.tenantId)
  const period = periodOf(q, now, dir.timeZone)
  const { scope, filters } = scopeOf(p, q, dir)
  const prev = previousPeriod(period.from, period.to)
  const epcis = new Map(dir.communes.map((c) => [c.insee, c.epciCode]))
  const epciOf = (insee: string) => epcis.get(insee) ?? null
  const [all, open, deflected] = await Promise.all([
    statsRows(trx, p.tenantId, prev.from, period.to, epciOf), openRows(trx, p.tenantId, epciOf), deflectionRows(trx, p.tenantId, prev.from, period.to, epciOf),
  ])
  const split = all.findIndex((r) => r.filedAt >= period.from)
  const current = split < 0 ? [] : all.slice(split)
  const before = split < 0 ? all : all.slice(0, split)
  const mine = current.filter((r) => matches(r, filters))
  const dSplit = deflected.findIndex((d) => d.at >= period.from)
  const dCurrent = dSplit < 0 ? [] : deflected.slice(dSplit)
  const dBefore = dSplit < 0 ? deflected : deflected.slice(0, dSplit)
  const dMine = dCurrent.filter((d) => matches(d, filters))
  const network = totalsOf(current, now, dCurrent.length)
  const groupBy = q.groupBy ?? 'month'
  // No other organisation by name for whoever does not see the whole network: her own figures are the totals.
  if (scope !== 'network' && (groupBy === 'organisation' || groupBy === 'mairie')) throw forbidden('Le détail par organisme est réservé à la mission TIC : vos chiffres sont ceux de votre organisme, à côté de ceux du réseau.')
  const groupable = groupBy
  const label = labeller(dir, groupable)
  const span = { from: period.from, to: period.to, timeZone: dir.timeZone }
  const groups = groupsOf(mine, groupable, now, span, dMine).map((g) => ({ key: g.key, label: label(g.key), totals: g.totals, belowNetwork: g.totals.compliance !== null && network.compliance !== null && g.totals.compliance < network.compliance }))
  const months = groupBy === 'month' ? groups : groupsOf(mine, 'month', now, span, dMine).map((g) => ({ key: g.key, label: monthLabel(g.key), totals: g.totals, belowNetwork: false }))
  return {
    period: { from: isoDate(period.fromDay), to: isoDate(period.toDay), previousFrom: isoDate(localDayOf(prev.from.getTime(), dir.timeZone)), previousTo: isoDate(period.fromDay - 1), timeZone: dir.timeZone },
    clockMode: dir.clockMode, scope,
    filters: { organisationId: filters.organisationId ?? null, theme: q.theme ?? null, commune: filters.communeInsee ?? null, epci: filters.epciCode ?? null, mairieOrganisationId: filters.mairieOrganisationId ?? null },
    totals: totalsOf(mine, now, dMine.length), previous: totalsOf(before.filter((r) => matches(r, filters)), now, dBefore.filter((d) => matches(d, filters)).length),
    network, networkPrevious: totalsOf(before, now, dBefore.length),
    groupBy, groups, months,
    backlog: backlogOf(open.filter((r) => matches(r, filters)), now),
    directory: dir, rows: mine, deflections: dMine, span, now,
  }
}

/** The JSON answer: the figures without the rows nor the directory. */
export function statsJson(d: StatsData): StatsResult {
  const { directory: _d, rows: _r, deflections: _x, span: _s, now: _n, ...out } = d
  return out
}

/**
 * The same figures grouped by another dimension (the report's tables per organisation and per theme), from the rows
 * already read: they add up to the same totals. No grouping by organisation or mairie outside the network's scope.
 */
export function regroup(d: StatsData, by: StatsGroupBy): GroupOut[] {
  if (d.scope !== 'network' && (by === 'organisation' || by === 'mairie')) throw forbidden('Le détail par organisme est réservé à la mission TIC.')
  if (by === d.groupBy) return d.groups
  const label = labeller(d.directory, by)
  return groupsOf(d.rows, by, d.now, d.span, d.deflections).map((g) => ({
    key: g.key, label: label(g.key), totals: g.totals,
    belowNetwork: by !== 'month' && g.totals.compliance !== null && d.network.compliance !== null && g.totals.compliance < d.network.compliance,
  }))
}

/** The referral list behind the figures, without any citizen data (no name, contact, question nor answer). */
export function referralLines(d: StatsData) {
  const orgs = new Map(d.directory.organisations.map((o) => [o.id, o.name]))
  const themes = new Map(d.directory.themes.map((t) => [t.id, t.label]))
  const communes = new Map(d.directory.communes.map((c) => [c.insee, c]))
  const tz = d.period.timeZone
  const day = (at: Date | null) => (at ? isoDate(localDayOf(at.getTime(), tz)) : '')
  return d.rows.map((r) => ({
    reference: r.reference, filedOn: day(r.filedAt), month: monthOf(r.filedAt, tz), theme: themes.get(r.themeId) ?? '', commune: communes.get(r.communeInsee)?.name ?? r.communeInsee,
    epci: communes.get(r.communeInsee)?.epciName ?? '', mairie: orgs.get(r.mairieOrganisationId) ?? '', holder: orgs.get(r.holderOrganisationId) ?? '',
    status: STATUS_LABELS[r.status], answeredOn: day(r.slaMetAt),
    answeredBy: r.slaMetAt ? (r.metBy === 'appointment_proposed' ? 'rendez-vous' : 'écrit') : '',
    responseTime: r.minutesTaken !== null && r.slaMetAt ? slaDuration(r.minutesTaken, d.clockMode) : '', minutesTaken: r.slaMetAt ? r.minutesTaken : null,
    onTime: r.slaMetAt ? (answeredOnTime(r) ? 'oui' : 'non') : '', transfers: r.transfers, infoRequests: r.infoRequests, escalationLevel: r.escalationLevel,
    appointmentsHeld: r.appointmentsHeld, noShows: r.noShows,
  }))
}
