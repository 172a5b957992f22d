// The statistics page (issue 17): the period's figures beside the previous period's and the network's, charts drawn
// on the server as SVG (each followed by its table), the exports and a printable report. Same use case as the API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { InvalidInput, slaDuration, type PersonRole } from '@relais/core'
import { STATS_GROUP_BY, type StatsGroupBy, type Totals } from '@relais/core/stats'
import { exportIndicators, exportReferrals, networkStats, renderChart, type Principal, type StatsData, type StatsQuery } from '@relais/stats'
import { indicatorLines } from '@relais/stats/exports'
import { statsReportPdf } from '@relais/stats/report'
import { errorItems, fieldErrors } from './format.ts'

type Query = Record<string, string | undefined>

const GROUP_LABELS: Record<StatsGroupBy, string> = { month: 'Mois', organisation: 'Organisme', theme: 'Thème', commune: 'Commune', epci: 'Intercommunalité', mairie: 'Mairie' }
const FIELDS: Record<string, { id: string; label: string }> = {
  from: { id: 'f-du', label: 'Du' }, to: { id: 'f-au', label: 'Au' }, theme: { id: 'f-theme', label: 'Thème' }, commune: { id: 'f-commune', label: 'Commune' },
  epci: { id: 'f-epci', label: 'Intercommunalité' },
}

const principal = (request: FastifyRequest) => request.principal! as Principal
const opt = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined)
const uuid = (v: string | undefined) => (v && /^[0-9a-f-]{36}$/i.test(v) ? v : undefined)

/** The page's French parameters as the use case's query (an unknown grouping falls back to months). */
function queryOf(q: Query): StatsQuery {
  const groupBy = (STATS_GROUP_BY as readonly string[]).includes(q.regroupement ?? '') ? (q.regroupement as StatsGroupBy) : undefined
  return {
    from: opt(q.du), to: opt(q.au), groupBy, organisationId: uuid(q.organisme), theme: opt(q.theme), commune: opt(q.commune), epci: opt(q.epci), mairieOrganisationId: uuid(q.mairie),
  }
}

/** The same filters as a query string (for the exports, the report and the other grouping). */
function linkQuery(d: StatsData): string {
  const p = new URLSearchParams({ du: d.period.from, au: d.period.to, regroupement: d.groupBy })
  if (d.scope === 'network' && d.filters.organisationId) p.set('organisme', d.filters.organisationId)
  if (d.scope === 'network' && d.filters.mairieOrganisationId) p.set('mairie', d.filters.mairieOrganisationId)
  if (d.filters.theme) p.set('theme', d.filters.theme)
  if (d.filters.commune) p.set('commune', d.filters.commune)
  if (d.filters.epci) p.set('epci', d.filters.epci)
  return p.toString()
}

const percent = (v: number | null) => (v === null ? '—' : `${(Math.round(v * 1000) / 10).toString().replace('.', ',')} %`)

async function view(d: StatsData) {
  const clock = d.clockMode
  const time = (m: number | null) => (m === null ? '—' : slaDuration(m, clock))
  const rule = d.network.compliance !== null ? { rule: { value: d.network.compliance, label: 'Réseau' } } : {}
  // Drawn together: each chart shape has its own vega view (packages/stats/src/charts.ts).
  const [monthsChart, complianceChart, backlogChart, groupsChart, appointmentsChart, deflectionsChart] = await Promise.all([
    renderChart({
      kind: 'grouped-bars', title: 'Saisines déposées et répondues par mois', xTitle: 'Mois', yTitle: 'Saisines',
      data: d.months.flatMap((m) => [{ label: m.label, series: 'Déposées', value: m.totals.filed }, { label: m.label, series: 'Répondues', value: m.totals.answered }]),
    }),
    renderChart({
      kind: 'line', title: 'Taux de respect du délai par mois', xTitle: 'Mois', yTitle: 'Respect du délai', percent: true,
      data: d.months.map((m) => ({ label: m.label, value: m.totals.compliance })), ...rule,
    }),
    renderChart({ kind: 'bars', title: 'Saisines en cours aujourd’hui, par ancienneté', xTitle: 'Ancienneté', yTitle: 'Saisines', data: d.backlog.map((b) => ({ label: b.label, value: b.count })) }),
    d.groupBy === 'month' ? null : renderChart({
      kind: 'horizontal-bars', title: `Taux de respect du délai par ${GROUP_LABELS[d.groupBy].toLowerCase()}`, xTitle: 'Respect du délai', yTitle: GROUP_LABELS[d.groupBy], percent: true,
      data: d.groups.map((g) => ({ label: g.label, value: g.totals.compliance, highlight: g.belowNetwork })), ...rule,
    }),
    renderChart({
      kind: 'grouped-bars', title: 'Rendez-vous tenus et absences de l’usager, par mois de dépôt de la saisine', xTitle: 'Mois', yTitle: 'Rendez-vous',
      data: d.months.flatMap((m) => [{ label: m.label, series: 'Tenus', value: m.totals.appointmentsHeld }, { label: m.label, series: 'Usager absent', value: m.totals.noShows }]),
    }),
    renderChart({ kind: 'bars', title: 'Questions résolues par une fiche, sans saisine, par mois', xTitle: 'Mois', yTitle: 'Questions', data: d.months.map((m) => ({ label: m.label, value: m.totals.deflections })) }),
  ])
  const row = (label: string, f: (t: Totals) => string) => ({ label, value: f(d.totals), previous: f(d.previous), network: f(d.network) })
  return {
    period: { from: d.period.from.split('-').reverse().join('/'), to: d.period.to.split('-').reverse().join('/'), previousFrom: d.period.previousFrom.split('-').reverse().join('/'), previousTo: d.period.previousTo.split('-').reverse().join('/') },
    headline: {
      compliance: percent(d.totals.compliance), networkCompliance: percent(d.network.compliance), median: time(d.totals.medianMinutes), p90: time(d.totals.p90Minutes),
      filed: d.totals.filed, answered: d.totals.answered, open: d.totals.open, below: d.totals.compliance !== null && d.network.compliance !== null && d.totals.compliance < d.network.compliance,
    },
    indicators: [
      ...indicatorLines(d).filter((l) => l.key !== 'responseMedian' && l.key !== 'responseP90' && l.key !== 'compliance'),
      row('Taux de respect du délai', (t) => percent(t.compliance)),
      row('Délai de réponse médian', (t) => time(t.medianMinutes)),
      row('Neuf réponses sur dix en moins de', (t) => time(t.p90Minutes)),
    ],
    months: d.months.map((m) => ({
      label: m.label, filed: m.totals.filed, answered: m.totals.answered, onTime: m.totals.answeredOnTime, compliance: percent(m.totals.compliance),
      outcomes: m.totals.appointmentOutcomes, held: m.totals.appointmentsHeld, noShows: m.totals.noShows, noShowRate: percent(m.totals.noShowRate),
      deflections: m.totals.deflections, deflectionShare: percent(m.totals.deflectionShare),
    })),
    service: {
      outcomes: d.totals.appointmentOutcomes, noShows: d.totals.noShows, noShowRate: percent(d.totals.noShowRate), networkNoShowRate: percent(d.network.noShowRate),
      deflections: d.totals.deflections, deflectionShare: percent(d.totals.deflectionShare), networkDeflectionShare: percent(d.network.deflectionShare),
    },
    backlog: d.backlog,
    groups: d.groups.map((g) => ({ label: g.label, filed: g.totals.filed, answered: g.totals.answered, onTime: g.totals.answeredOnTime, compliance: percent(g.totals.compliance), median: time(g.totals.medianMinutes), transfers: g.totals.transfers, below: g.belowNetwork, noShowRate: percent(g.totals.noShowRate), deflections: g.totals.deflections })),
    groupTitle: GROUP_LABELS[d.groupBy], byMonth: d.groupBy === 'month',
    escalationLevels: d.totals.escalationLevels.map((n, i) => ({ level: i + 1, count: n })),
    charts: { months: monthsChart, compliance: complianceChart, backlog: backlogChart, groups: groupsChart, appointments: appointmentsChart, deflections: deflectionsChart },
    links: linkQuery(d),
  }
}

const scopeTextOf = (d: StatsData) => (d.scope === 'network' ? 'tout le réseau' : d.scope === 'mairie' ? 'les saisines de votre mairie' : 'les saisines de votre organisme')

export async function statsPages(app: FastifyInstance) {
  const kit = app.pages

  const formOf = (d: StatsData | null, q: Query, role: PersonRole) => {
    const dir = d?.directory
    const network = d ? d.scope === 'network' : role === 'network_admin'
    const epcis = dir ? [...new Map(dir.communes.filter((c) => c.epciCode).map((c) => [c.epciCode!, c.epciName ?? c.epciCode!])).entries()].map(([code, name]) => ({ code, name })).sort((a, b) => a.name.localeCompare(b.name, 'fr')) : []
    return {
      du: d?.period.from ?? q.du ?? '', au: d?.period.to ?? q.au ?? '', network,
      groupings: (Object.entries(GROUP_LABELS) as [StatsGroupBy, string][]).filter(([k]) => network || (k !== 'organisation' && k !== 'mairie')).map(([value, label]) => ({ value, label, selected: value === (d?.groupBy ?? q.regroupement ?? 'month') })),
      organisations: (dir?.organisations ?? []).filter((o) => o.kind !== 'mairie').map((o) => ({ value: o.id, label: o.name, selected: o.id === q.organisme })),
      mairies: (dir?.organisations ?? []).filter((o) => o.kind === 'mairie').map((o) => ({ value: o.id, label: o.name, selected: o.id === q.mairie })),
      themes: (dir?.themes ?? []).map((t) => ({ value: t.code, label: t.label, selected: t.code === q.theme })),
      communes: (dir?.communes ?? []).map((c) => ({ value: c.insee, label: c.name, selected: c.insee === q.commune })),
      epcis: epcis.map((e) => ({ value: e.code, label: e.name, selected: e.code === q.epci })),
    }
  }

  const show = async (request: FastifyRequest<{ Querystring: Query }>, reply: FastifyReply, template: 'stats.hbs' | 'stats-report.hbs') => {
    const q = request.query ?? {}
    const now = app.clock()
    const t0 = performance.now()
    let failure: InvalidInput | null = null
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      try {
        return { me, d: await networkStats(trx, principal(request), queryOf(q), now) }
      } catch (err) {
        if (!(err instanceof InvalidInput)) throw err
        failure = err
        // The figures of the default period, under the message: the page stays usable.
        return { me, d: await networkStats(trx, principal(request), {}, now) }
      }
    })
    const f = failure as InvalidInput | null
    const t1 = performance.now()
    const shown = await view(data.d)
    // Where a request's time goes (the bench reads it): the read and counting, then the charts.
    reply.header('server-timing', `read;dur=${(t1 - t0).toFixed(1)}, charts;dur=${(performance.now() - t1).toFixed(1)}`)
    const scopeText = scopeTextOf(data.d)
    return kit.render(reply, template, {
      title: template === 'stats.hbs' ? 'Statistiques du réseau' : 'Rapport d’activité du réseau', me: data.me, scopeText, scope: data.d.scope,
      form: formOf(data.d, q, principal(request).role), ...shown,
      errors: f ? { id: 'erreurs', title: 'La période ou les filtres sont à corriger', message: 'Les chiffres ci-dessous sont ceux des trois derniers mois.', items: errorItems(fieldErrors(f.details), FIELDS) } : null,
    }, f ? 400 : 200)
  }

  app.get<{ Querystring: Query }>('/statistiques', { config: { access: 'stats.read' } }, (request, reply) => show(request, reply, 'stats.hbs'))
  app.get<{ Querystring: Query }>('/statistiques/rapport', { config: { access: 'stats.read' } }, (request, reply) => show(request, reply, 'stats-report.hbs'))

  // The report as a PDF (renderPdf): the same figures and filters as the page; a wrong filter is the page's 400.
  app.get<{ Querystring: Query }>('/statistiques/rapport.pdf', { config: { access: 'stats.read' } }, async (request, reply) => {
    const now = app.clock()
    let d: StatsData
    try {
      d = await app.tx(request, (trx) => networkStats(trx, principal(request), queryOf(request.query ?? {}), now))
    } catch (err) {
      if (err instanceof InvalidInput) return show(request, reply, 'stats-report.hbs')
      throw err
    }
    const pdf = await statsReportPdf(d, { scopeText: scopeTextOf(d), createdAt: now })
    return reply.header('content-type', 'application/pdf').header('content-disposition', `attachment; filename="${pdf.filename}"`).header('cache-control', 'no-store').send(pdf.content)
  })

  app.get<{ Querystring: Query }>('/statistiques/export', { config: { access: 'stats.export' } }, async (request, reply) => {
    const q = request.query ?? {}
    const format = q.format === 'xlsx' ? 'xlsx' : 'csv'
    const d = await app.tx(request, (trx) => networkStats(trx, principal(request), queryOf(q), app.clock()))
    const out = q.contenu === 'saisines' ? await exportReferrals(d, format) : await exportIndicators(d, format)
    return reply.header('content-type', out.contentType).header('content-disposition', `attachment; filename="${out.filename}"`).header('cache-control', 'no-store').send(out.content)
  })
}

