// The printable report for elected officials (issue 17) as a PDF, written by renderPdf (@relais/documents): the period,
// the key figures beside the previous period's and the network's, then tables per organisation (mission TIC only: no
// other organisation by name otherwise), per theme and per month. Only figures and names of organisations, themes and
// territories: no citizen data, no reference, no agent.
import { renderPdf, type PdfBlock } from '@relais/documents'
import { slaDuration } from '@relais/core'
import type { Totals } from '@relais/core/stats'
import { indicatorLines } from './exports.ts'
import { regroup, type GroupOut, type StatsData } from './index.ts'

const pct = (v: number | null) => (v === null ? '—' : `${(Math.round(v * 1000) / 10).toString().replace('.', ',')} %`)
const frDate = (iso: string) => iso.split('-').reverse().join('/')

export async function statsReportPdf(d: StatsData, opts: { scopeText: string; createdAt: Date }): Promise<{ filename: string; content: Buffer }> {
  const time = (m: number | null) => (m === null ? '—' : slaDuration(m, d.clockMode))
  const key = (label: string, f: (t: Totals) => string): string[] => [label, f(d.totals), f(d.previous), f(d.network)]
  const groupTable = (groups: GroupOut[], title: string): PdfBlock => ({
    table: {
      columns: [title, 'Déposées', 'Répondues', 'Respect du délai', 'Délai médian', 'Taux d’absence', 'Résolues par une fiche'],
      rows: groups.map((g) => [g.belowNetwork ? `${g.label} (sous le réseau)` : g.label, String(g.totals.filed), String(g.totals.answered), pct(g.totals.compliance), time(g.totals.medianMinutes), pct(g.totals.noShowRate), String(g.totals.deflections)]),
    },
  })
  const blocks: PdfBlock[] = [
    { fields: [
      ['Période', `du ${frDate(d.period.from)} au ${frDate(d.period.to)}`],
      ['Période précédente', `du ${frDate(d.period.previousFrom)} au ${frDate(d.period.previousTo)}`],
      ['Périmètre', opts.scopeText],
    ] },
    { heading: 'Chiffres clés' },
    { table: { columns: ['Indicateur', 'Période', 'Période précédente', 'Réseau'], rows: [
      key('Saisines déposées', (t) => String(t.filed)),
      key('Saisines répondues', (t) => String(t.answered)),
      key('Taux de respect du délai', (t) => pct(t.compliance)),
      key('Délai de réponse médian', (t) => time(t.medianMinutes)),
      key('Neuf réponses sur dix en moins de', (t) => time(t.p90Minutes)),
      key('Taux d’absence aux rendez-vous', (t) => pct(t.noShowRate)),
      key('Questions résolues par une fiche', (t) => String(t.deflections)),
    ] } },
    { heading: 'Tous les indicateurs' },
    { table: { columns: ['Indicateur', 'Période', 'Période précédente', 'Réseau'], rows: indicatorLines(d).map((l) => [l.label, l.value || '—', l.previous || '—', l.network || '—']) } },
  ]
  if (d.scope === 'network') blocks.push({ heading: 'Par organisme' }, groupTable(regroup(d, 'organisation'), 'Organisme'))
  blocks.push({ heading: 'Par thème' }, groupTable(regroup(d, 'theme'), 'Thème'))
  blocks.push({ heading: 'Mois par mois' }, groupTable(regroup(d, 'month'), 'Mois'))
  blocks.push({ paragraph: 'Une saisine compte dans la période où elle a été déposée, dans son état d’aujourd’hui. Le taux de respect rapporte les réponses dans le délai aux saisines répondues et à celles dont l’échéance est passée sans réponse ; les délais sont décomptés comme l’échéance. Aucun chiffre n’est donné par agent ; ce rapport ne contient aucune donnée personnelle d’usager.' })
  const content = await renderPdf({
    title: `Rapport d’activité du réseau Relais — ${d.directory.tenantName}`,
    subtitle: `Du ${frDate(d.period.from)} au ${frDate(d.period.to)} : ${opts.scopeText}`,
    createdAt: opts.createdAt, blocks, footer: `Relais — rapport du ${frDate(d.period.from)} au ${frDate(d.period.to)}`,
  })
  return { filename: `rapport-${d.period.from}-${d.period.to}.pdf`, content }
}
