// The figures and the referral list behind them as CSV (writeCsv: `;`, BOM, formulas neutralised) or XLSX (exceljs).
// No citizen data: references, dates, theme, territory, organisations, status and delays only.
import ExcelJS from 'exceljs'
import { spreadsheetCell, writeCsv } from '@relais/core/csv'
import { clockUnit, inClockUnit, type Totals } from '@relais/core/stats'
import { referralLines, type StatsData } from './index.ts'

const pct = (v: number | null) => (v === null ? '' : `${Math.round(v * 1000) / 10} %`)
const num = (v: number | null) => (v === null ? '' : String(Math.round(v * 100) / 100).replace('.', ','))

/** The indicators as lines (label, value, previous period, network), in the order of the page. */
export function indicatorLines(d: StatsData): { label: string; key: keyof Totals | 'responseMedian' | 'responseP90'; value: string; previous: string; network: string }[] {
  const unit = clockUnit(d.clockMode).unit
  const line = (label: string, key: keyof Totals, fmt: (t: Totals) => string) => ({ label, key, value: fmt(d.totals), previous: fmt(d.previous), network: fmt(d.network) })
  const count = (k: keyof Totals) => (t: Totals) => String(t[k] ?? '')
  return [
    line('Saisines déposées', 'filed', count('filed')),
    line('Répondues (délai tenu ou non)', 'answered', count('answered')),
    line('dont par écrit', 'answeredInWriting', count('answeredInWriting')),
    line('dont par rendez-vous', 'answeredByAppointment', count('answeredByAppointment')),
    line('Clôturées', 'closed', count('closed')),
    line('Annulées', 'cancelled', count('cancelled')),
    line('En cours (sans réponse)', 'open', count('open')),
    line('dont en file de tri', 'inTriage', count('inTriage')),
    line('Répondues dans le délai', 'answeredOnTime', count('answeredOnTime')),
    line('Taux de respect du délai', 'compliance', (t) => pct(t.compliance)),
    { label: `Délai de réponse médian (${unit})`, key: 'responseMedian', value: num(inClockUnit(d.totals.medianMinutes, d.clockMode)), previous: num(inClockUnit(d.previous.medianMinutes, d.clockMode)), network: num(inClockUnit(d.network.medianMinutes, d.clockMode)) },
    { label: `Délai de réponse, 9 sur 10 en moins de (${unit})`, key: 'responseP90', value: num(inClockUnit(d.totals.p90Minutes, d.clockMode)), previous: num(inClockUnit(d.previous.p90Minutes, d.clockMode)), network: num(inClockUnit(d.network.p90Minutes, d.clockMode)) },
    line('Transferts (« pas pour nous »)', 'transfers', count('transfers')),
    line('Saisines transférées au moins une fois', 'transferred', count('transferred')),
    line('Transferts par saisine', 'transfersPerReferral', (t) => num(t.transfersPerReferral)),
    line('Demandes de complément', 'infoRequests', count('infoRequests')),
    line('Demandes de complément par saisine', 'infoRequestsPerReferral', (t) => num(t.infoRequestsPerReferral)),
    line('Saisines escaladées', 'escalated', count('escalated')),
    line('Rendez-vous à l’issue indiquée', 'appointmentOutcomes', count('appointmentOutcomes')),
    line('dont tenus', 'appointmentsHeld', count('appointmentsHeld')),
    line('dont usager absent', 'noShows', count('noShows')),
    line('dont annulés par l’usager', 'citizenCancellations', count('citizenCancellations')),
    line('Taux d’absence aux rendez-vous', 'noShowRate', (t) => pct(t.noShowRate)),
    line('Questions résolues par une fiche, sans saisine', 'deflections', count('deflections')),
    line('Part des questions résolues par une fiche', 'deflectionShare', (t) => pct(t.deflectionShare)),
  ]
}

const REFERRAL_COLUMNS = [
  ['reference', 'Référence'], ['filedOn', 'Déposée le'], ['month', 'Mois'], ['theme', 'Thème'], ['commune', 'Commune'], ['epci', 'Intercommunalité'],
  ['mairie', 'Mairie'], ['holder', 'Organisme'], ['status', 'Statut'], ['answeredOn', 'Répondue le'], ['answeredBy', 'Réponse'],
  ['responseTime', 'Délai de réponse'], ['minutesTaken', 'Délai (minutes décomptées)'], ['onTime', 'Dans le délai'], ['transfers', 'Transferts'],
  ['infoRequests', 'Demandes de complément'], ['escalationLevel', 'Niveau d’escalade atteint'], ['appointmentsHeld', 'Rendez-vous tenus'], ['noShows', 'Rendez-vous où l’usager était absent'],
] as const

const periodText = (d: StatsData) => `du ${d.period.from.split('-').reverse().join('/')} au ${d.period.to.split('-').reverse().join('/')}`

export async function exportIndicators(d: StatsData, format: 'csv' | 'xlsx'): Promise<{ filename: string; contentType: string; content: Buffer }> {
  const lines = indicatorLines(d)
  const groupTitle = { organisation: 'Organisme', theme: 'Thème', commune: 'Commune', epci: 'Intercommunalité', mairie: 'Mairie', month: 'Mois' }[d.groupBy]
  const name = `indicateurs-${d.period.from}-${d.period.to}`
  if (format === 'csv') {
    const rows = [
      ...lines.map((l) => [l.label, l.value, l.previous, l.network]),
      ['', '', '', ''],
      ...d.groups.map((g) => [`${groupTitle} : ${g.label}`, `${g.totals.filed} déposées, ${g.totals.answered} répondues, ${g.totals.deflections} résolues par une fiche, ${g.totals.noShows} absence(s) sur ${g.totals.appointmentOutcomes} rendez-vous`, pct(g.totals.compliance), g.belowNetwork ? 'sous le taux du réseau' : '']),
    ]
    return { filename: `${name}.csv`, contentType: 'text/csv; charset=utf-8', content: Buffer.from(writeCsv([`Indicateur (${periodText(d)})`, 'Période', 'Période précédente', 'Réseau'], rows), 'utf8') }
  }
  const wb = new ExcelJS.Workbook()
  wb.creator = 'Relais'
  const sheet = wb.addWorksheet('Indicateurs')
  sheet.addRow([`Indicateurs ${periodText(d)}`]).font = { bold: true }
  sheet.addRow(['Indicateur', 'Période', 'Période précédente', 'Réseau']).font = { bold: true }
  for (const l of lines) sheet.addRow([spreadsheetCell(l.label), l.value, l.previous, l.network])
  sheet.getColumn(1).width = 48
  for (const c of [2, 3, 4]) sheet.getColumn(c).width = 18
  const groups = wb.addWorksheet(`Par ${groupTitle.toLowerCase()}`.slice(0, 31))
  groups.addRow([groupTitle, 'Déposées', 'Répondues', 'Dans le délai', 'Taux de respect', 'Sous le taux du réseau', 'Transferts', 'Demandes de complément', 'Escaladées',
    'Rendez-vous à l’issue indiquée', 'Usager absent', 'Taux d’absence', 'Résolues par une fiche']).font = { bold: true }
  const share = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 1000)
  for (const g of d.groups) {
    const t = g.totals
    groups.addRow([spreadsheetCell(g.label), t.filed, t.answered, t.answeredOnTime, share(t.compliance), g.belowNetwork ? 'oui' : 'non', t.transfers, t.infoRequests, t.escalated,
      t.appointmentOutcomes, t.noShows, share(t.noShowRate), t.deflections])
  }
  groups.getColumn(1).width = 40
  groups.getColumn(5).numFmt = '0.0%'
  groups.getColumn(12).numFmt = '0.0%'
  return { filename: `${name}.xlsx`, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', content: Buffer.from(await wb.xlsx.writeBuffer()) }
}

export async function exportReferrals(d: StatsData, format: 'csv' | 'xlsx'): Promise<{ filename: string; contentType: string; content: Buffer }> {
  const lines = referralLines(d)
  const name = `saisines-${d.period.from}-${d.period.to}`
  if (format === 'csv') {
    const rows = lines.map((l) => REFERRAL_COLUMNS.map(([k]) => { const v = l[k]; return v === null || v === undefined ? '' : String(v) }))
    return { filename: `${name}.csv`, contentType: 'text/csv; charset=utf-8', content: Buffer.from(writeCsv(REFERRAL_COLUMNS.map(([, label]) => label), rows), 'utf8') }
  }
  const wb = new ExcelJS.Workbook()
  wb.creator = 'Relais'
  const sheet = wb.addWorksheet('Saisines')
  sheet.addRow(REFERRAL_COLUMNS.map(([, label]) => label)).font = { bold: true }
  for (const l of lines) sheet.addRow(REFERRAL_COLUMNS.map(([k]) => { const v = l[k]; return typeof v === 'string' ? spreadsheetCell(v) : v }))
  sheet.views = [{ state: 'frozen', ySplit: 1 }]
  REFERRAL_COLUMNS.forEach((_, i) => { sheet.getColumn(i + 1).width = i === 0 ? 18 : 16 })
  return { filename: `${name}.xlsx`, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', content: Buffer.from(await wb.xlsx.writeBuffer()) }
}
