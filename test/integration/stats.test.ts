// SLA statistics (issue 17): figures built from referrals filed, answered, transferred, paused, escalated, reopened and
// cancelled through the real use cases, with an injected clock; every figure asserted exactly, whoever reads it.
import t from 'tap'
import ExcelJS from 'exceljs'
import pg from 'pg'
import { buildApp } from '@relais/api/app'
import { createKysely, createPool } from '@relais/db'
import { runSlaStepJob } from '@relais/referrals'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock, sampleReferral } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'
import { pdfText } from '../helpers/pdf.ts'
import { STATS_ROLLUP_BACKFILL } from '../../migrations/0110_referral_stats_rollup.ts'
import { APPOINTMENT_OUTCOME_BACKFILL } from '../../migrations/0111_appointment_outcome_rollup.ts'

const env = await createTestEnv()
const clock = manualClock('2031-02-03T09:00:00Z') // Monday 10:00, Paris
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const pool = createPool(env.config.APP_DATABASE_URL, 2)
const db = createKysely(pool)
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
t.teardown(async () => { await app.close(); await pool.end(); await owner.end(); await env.drop() })

const ardentes = await bearer(app, 'secretaire@ardentes.demo')
const issoudun = await bearer(app, 'secretaire@issoudun.demo')
const caf = await bearer(app, 'referent@caf36.demo')
const cafAdmin = await bearer(app, 'admin@caf36.demo')
const ddt = await bearer(app, 'referent@ddt36.demo')
const tic = await bearer(app, 'tic@indre.demo')

const me = async (h: { authorization: string }) => (await app.inject({ url: '/api/v1/me', headers: h })).json()
const cafOrg = (await me(caf)).organisation.id as string
const ddtOrg = (await me(ddt)).organisation.id as string
const ticOrg = (await me(tic)).organisation.id as string
const issoudunOrg = (await me(issoudun)).organisation.id as string
const tenantId = (await owner.query(`select id from tenant where code = '36'`)).rows[0].id as string
// A France services site open on Thursdays, serving Ardentes: B's appointment is booked there.
const placeRes = await app.inject({ method: 'POST', url: '/api/v1/places', headers: tic, payload: {
  name: 'France services de test', address: '1 place de la Mairie, 36120 Ardentes', communes: ['36005'], openingHours: { thu: [{ opens: '09:00', closes: '17:00' }] },
} })
if (placeRes.statusCode !== 201) throw new Error(placeRes.body)
const place = placeRes.json().id as string

const file = async (h: { authorization: string }, themeCode: string, name: string) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: h, payload: { ...sampleReferral, themeCode, citizen: { ...sampleReferral.citizen, name } } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json() as { id: string; reference: string; assignedOrganisation: { id: string; name: string } }
}
const act = async (id: string, action: string, h: { authorization: string }, payload: object = {}) => {
  const res = await app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/${action}`, headers: h, payload })
  if (res.statusCode !== 200) throw new Error(`${action}: ${res.body}`)
  return res.json()
}
/** Every SLA step due by now, as the worker's sweep would run them (reminder, then escalations). */
const runSteps = async (id: string) => {
  for (;;) {
    const { next_step } = (await owner.query('select next_step from referral where id = $1', [id])).rows[0]
    if (!next_step || !(await runSlaStepJob(db, { tenantId, referralId: id, step: next_step }, clock.now()))) return
  }
}
const stats = async (h: { authorization: string }, query = '') => app.inject({ url: `/api/v1/stats?from=2031-03-01&to=2031-05-31${query}`, headers: h })

type Filed = Awaited<ReturnType<typeof file>>
let A: Filed, B: Filed, C: Filed, D: Filed, E: Filed, F: Filed, H: Filed
// The story, through the API's use cases, before any figure is read.
t.before(async () => {
  // The previous period: G, answered in one working day.
  const G = await file(ardentes, 'aides-caf', 'Usager G')
  clock.set('2031-02-04T09:00:00Z')
  await act(G.id, 'answer', caf, { body: 'Réponse G.' })

  // The period (March 2031; the deadline is 3 working days, 4,320 counted minutes).
  clock.set('2031-03-03T09:00:00Z')
  A = await file(ardentes, 'aides-caf', 'Usager A') // answered in 1 working day, closed
  B = await file(ardentes, 'aides-caf', 'Usager B') // « pas pour nous » to the DDT, appointment after 5 days, escalated once
  C = await file(issoudun, 'urbanisme', 'Usager C') // information asked for one day: answered in 2 counted days
  D = await file(ardentes, 'autre', 'Usager D') // no routing rule: stays in triage, escalated twice
  E = await file(issoudun, 'aides-caf', 'Usager E') // cancelled
  F = await file(ardentes, 'aides-caf', 'Usager F') // answered, closed, reopened: open again
  H = await file(issoudun, 'aides-caf', 'Usager H') // answered late, in 6 working days
  if (![A, B, E, F, H].every((r) => r.assignedOrganisation.id === cafOrg)) throw new Error('the CAF should receive the aides-caf referrals')
  //.map((r) => r.assignedOrganisation.id), [cafOrg, cafOrg, cafOrg, cafOrg, cafOrg], 'the CAF receives the aides-caf referrals')
  if (C.assignedOrganisation.id !== ddtOrg) throw new Error('the DDT should receive urbanisme')
  if (D.assignedOrganisation.id !== ticOrg) throw new Error('an unrouted theme should go to triage')

  clock.set('2031-03-03T10:00:00Z')
  await act(B.id, 'transfer', caf, { organisationId: ddtOrg, reason: 'Urbanisme, pas pour nous.' })
  clock.set('2031-03-03T13:00:00Z')
  await act(F.id, 'answer', caf, { body: 'Réponse F.' })
  clock.set('2031-03-04T09:00:00Z')
  await act(A.id, 'answer', caf, { body: 'Réponse A.' })
  await act(C.id, 'request-info', ddt, { body: 'Quelle parcelle ?' })
  await act(E.id, 'cancel', issoudun, { body: 'L’usager a trouvé.' })
  await act(F.id, 'close', ardentes)
  clock.set('2031-03-05T09:00:00Z')
  await act(C.id, 'provide-info', issoudun, { body: 'La parcelle AB 12.' })
  await act(A.id, 'close', ardentes)
  await act(F.id, 'reopen', ardentes, { body: 'Une autre question.' })
  clock.set('2031-03-06T09:00:00Z')
  await act(C.id, 'answer', ddt, { body: 'Réponse C.' })
  await runSteps(B.id)
  clock.set('2031-03-07T09:00:00Z')
  await runSteps(D.id)
  clock.set('2031-03-10T09:00:00Z')
  const booked = await app.inject({ method: 'POST', url: `/api/v1/referrals/${B.id}/appointment`, headers: ddt, payload: { placeId: place, startsAt: '2031-03-20T09:00:00Z' } })
  if (booked.statusCode !== 201) throw new Error(`appointment: ${booked.body}`)
  clock.set('2031-03-11T09:00:00Z')
  await act(H.id, 'answer', caf, { body: 'Réponse H, en retard.' })
  clock.set('2031-04-01T09:00:00Z')

  // B's citizen did not come on 20 March: the DDT's referent says so.
  const appt = (await app.inject({ url: '/api/v1/appointments?from=2031-03-20T00:00:00Z&days=1', headers: ddt })).json().items.find((a: { reference: string }) => a.reference === B.reference)
  const outcome = await app.inject({ method: 'POST', url: `/api/v1/appointments/${appt.id}/outcome`, headers: ddt, payload: { outcome: 'no_show' } })
  if (outcome.statusCode !== 200) throw new Error(`outcome: ${outcome.body}`)

  // Questions the mairies resolved with a fiche, without a referral: one in February, two in March, one in April.
  const ficheId = async (title: string) => (await owner.query(`select id from fiche where tenant_id = $1 and coalesce(published_title, title) like $2`, [tenantId, `${title}%`])).rows[0].id as string
  const prime = await ficheId('Prime d’activité') // the CAF's
  const dp = await ficheId('Déclaration préalable') // the DDT's
  const deflect = async (at: string, h: { authorization: string }, body: object) => {
    clock.set(at)
    const res = await app.inject({ method: 'POST', url: '/api/v1/deflections', headers: h, payload: body })
    if (res.statusCode !== 201) throw new Error(`deflection: ${res.body}`)
  }
  await deflect('2031-02-10T09:00:00Z', issoudun, { ficheId: prime, themeCode: 'aides-caf', communeInsee: '36088' })
  await deflect('2031-03-05T09:00:00Z', ardentes, { ficheId: prime, themeCode: 'aides-caf', communeInsee: '36005' })
  await deflect('2031-03-06T09:00:00Z', ardentes, { ficheId: dp, themeCode: 'urbanisme', communeInsee: '36005' })
  await deflect('2031-04-01T08:00:00Z', issoudun, { ficheId: dp, themeCode: 'urbanisme', communeInsee: '36088' })
  clock.set('2031-04-01T09:00:00Z')
})

t.test('the mission TIC: every figure of the period, the previous one, months with empty ones as zero', async (t) => {
  const res = await stats(tic)
  t.equal(res.statusCode, 200, res.body)
  const s = res.json()
  t.same(s.period, { from: '2031-03-01', to: '2031-05-31', previousFrom: '2030-11-29', previousTo: '2031-02-28', timeZone: 'Europe/Paris' })
  t.equal(s.scope, 'network')
  t.equal(s.clockMode, 'working_days')
  t.match(s.totals, {
    filed: 7, answered: 4, answeredInWriting: 3, answeredByAppointment: 1, awaitingClosure: 3, closed: 1, cancelled: 1, open: 2, inTriage: 1,
    answeredOnTime: 2, decided: 6, medianMinutes: 2880, p90Minutes: 8640, transfers: 1, transferred: 1, infoRequests: 1, escalated: 2, escalationLevels: [1, 1],
  })
  t.equal(s.totals.compliance, 2 / 6, 'answered on time (A, C) over answered and overdue (A, B, C, H, D in triage, F reopened)')
  t.equal(s.totals.transfersPerReferral, 1 / 7)
  t.equal(s.totals.open + s.totals.awaitingClosure + s.totals.closed + s.totals.cancelled, s.totals.filed, 'every filed referral is in one status')
  t.same(s.network, s.totals, 'nothing filtered: the network is the same')
  t.match(s.previous, { filed: 1, answered: 1, answeredOnTime: 1, compliance: 1, medianMinutes: 1440 })
  t.same(s.months.map((m: { key: string; totals: { filed: number } }) => [m.key, m.totals.filed]), [['2031-03', 7], ['2031-04', 0], ['2031-05', 0]])
  t.equal(s.months[0].label, 'mars 2031')
  t.same(s.backlog.map((b: { count: number }) => b.count), [0, 0, 0, 2, 0], 'D and F open for 7 to 30 days (F since its reopening)')
})

t.test('appointment no-shows and knowledge-base deflections, with the same filters and the same agreement', async (t) => {
  const s = (await stats(tic)).json()
  t.match(s.totals, { appointmentOutcomes: 1, appointmentsHeld: 0, noShows: 1, citizenCancellations: 0, noShowRate: 1, deflections: 3 })
  t.equal(s.totals.deflectionShare, 3 / 10, 'three questions resolved by a fiche beside seven referrals filed')
  t.match(s.previous, { appointmentOutcomes: 0, noShowRate: null, deflections: 1, deflectionShare: 1 / 2 })
  t.same(s.months.map((m: { totals: { deflections: number; noShows: number } }) => [m.totals.deflections, m.totals.noShows]), [[2, 1], [1, 0], [0, 0]], 'B’s no-show counts in March, when B was filed; deflections in the month they were recorded')
  const org = (await stats(tic, '&groupBy=organisation')).json()
  const by = Object.fromEntries(org.groups.map((g: { key: string; totals: object }) => [g.key, g.totals]))
  t.match(by[ddtOrg], { noShows: 1, appointmentOutcomes: 1, noShowRate: 1, deflections: 2 }, 'the DDT holds B and wrote the urbanisme fiche')
  t.match(by[cafOrg], { noShows: 0, noShowRate: null, deflections: 1 })
  for (const groupBy of ['organisation', 'theme', 'commune', 'epci', 'mairie', 'month']) {
    const g = (await stats(tic, `&groupBy=${groupBy}`)).json()
    for (const k of ['deflections', 'noShows', 'appointmentOutcomes'] as const) {
      t.equal(g.groups.reduce((n: number, x: { totals: Record<string, number> }) => n + x.totals[k], 0), g.totals[k], `${groupBy}: the groups' ${k} add up`)
    }
  }
  t.match((await stats(tic, `&mairieOrganisationId=${issoudunOrg}`)).json().totals, { deflections: 1, deflectionShare: 1 / 4, noShows: 0 })
  t.match((await stats(tic, '&theme=urbanisme')).json().totals, { filed: 1, deflections: 2, noShows: 0 }, 'urbanisme: C, and the two questions on the DDT’s fiche')
  t.match((await stats(tic, '&theme=aides-caf')).json().totals, { deflections: 1, noShows: 1 }, 'B keeps its theme after its transfer')
  const own = (await stats(cafAdmin)).json()
  t.match(own.totals, { deflections: 1, deflectionShare: 1 / 5, noShows: 0 }, 'the CAF’s admin: her fiches’ deflections beside her four referrals')
  t.equal(own.network.deflections, 3)
  t.match((await stats(issoudun)).json().totals, { deflections: 1 }, 'a mairie: the questions she resolved herself')

  const v = await Visitor.as(app, 'tic@indre.demo')
  const page = await v.get('/statistiques?du=2031-03-01&au=2031-05-31')
  t.equal(page.statusCode, 200)
  t.match(page.body, 'Usager absent à <strong>100 %</strong> des 1 rendez-vous dont l’issue est indiquée')
  t.match(page.body, '<strong>3</strong> question(s) résolue(s) par une fiche sans saisine, soit <strong>30 %</strong>')
  t.match(page.body, /<svg role="img" aria-label="Rendez-vous tenus et absences de l’usager/, 'a chart')
  t.match(page.body, /<tr><th scope="row">mars 2031<\/th><td>1<\/td><td>0<\/td><td>1<\/td><td>100 %<\/td><td>2<\/td><td>[^<]+<\/td><\/tr>/, 'and its table')
  t.match(page.headers['server-timing'], /read;dur=[\d.]+, charts;dur=[\d.]+/, 'where the time went')
  const ind = await v.get('/statistiques/export?du=2031-03-01&au=2031-05-31&contenu=indicateurs&format=csv')
  t.match(ind.body, /Taux d’absence aux rendez-vous;100 %;;100 %/)
  t.match(ind.body, /Questions résolues par une fiche, sans saisine;3;1;3/)
})

t.test('the report for elected officials as a PDF: period, key figures beside the previous period and the network, tables; no citizen data', async (t) => {
  const v = await Visitor.as(app, 'tic@indre.demo')
  const page = await v.get('/statistiques?du=2031-03-01&au=2031-05-31')
  t.match(page.body, /<a href="\/statistiques\/rapport\.pdf\?du(=|&#x3D;)2031-03-01&amp;au(=|&#x3D;)2031-05-31[^"]*" download>Rapport pour les élus \(PDF\)<\/a>/, 'a link on the page')
  const res = await v.get('/statistiques/rapport.pdf?du=2031-03-01&au=2031-05-31')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/pdf')
  t.match(res.headers['content-disposition'], 'rapport-2031-03-01-2031-05-31.pdf')
  const text = (await pdfText(res.rawPayload)).replace(/\s+/g, ' ')
  t.match(text, 'Rapport d’activité du réseau Relais')
  t.match(text, 'Période : du 01/03/2031 au 31/05/2031')
  t.match(text, 'Période précédente : du 29/11/2030 au 28/02/2031')
  t.match(text, 'Saisines déposées 7 1 7', 'filed: the period, the previous one, the network')
  t.match(text, 'Taux de respect du délai 33,3 % 100 % 33,3 %')
  t.match(text, /Taux d’absence aux rendez- ?vous 100 % — 100 %/)
  t.match(text, 'Questions résolues par une fiche 3 1 3')
  t.match(text, 'Par organisme')
  t.match(text, 'CAF de l’Indre 4 2')
  t.match(text, 'Par thème')
  t.notMatch(text, /Usager [A-H]|Jeanne|Durand|example\.org|36-2031-/, 'no citizen, no reference')
  const admin = await Visitor.as(app, 'admin@caf36.demo')
  const own = (await pdfText((await admin.get('/statistiques/rapport.pdf?du=2031-03-01&au=2031-05-31')).rawPayload)).replace(/\s+/g, ' ')
  t.match(own, 'Saisines déposées 4 1 7', 'the CAF’s admin: hers beside the network')
  t.notMatch(own, /Par organisme|DDT/, 'no other organisation by name')
  const bad = await v.get('/statistiques/rapport.pdf?du=2031-13-01')
  t.equal(bad.statusCode, 400, 'a wrong date is the page’s clear 400')
})

t.test('groups add up to the totals, and organisations under the network’s compliance are flagged', async (t) => {
  const s = (await stats(tic, '&groupBy=organisation')).json()
  const by = Object.fromEntries(s.groups.map((g: { key: string }) => [g.key, g]))
  t.match(by[cafOrg], { label: 'CAF de l’Indre', totals: { filed: 4, answered: 2, answeredOnTime: 1, decided: 3, medianMinutes: 1440, p90Minutes: 8640 }, belowNetwork: false })
  t.match(by[ddtOrg], { totals: { filed: 2, answered: 2, answeredOnTime: 1, decided: 2, compliance: 0.5, transfers: 1, infoRequests: 1 }, belowNetwork: false })
  t.match(by[ticOrg], { totals: { filed: 1, inTriage: 1, decided: 1, compliance: 0 }, belowNetwork: true })
  for (const groupBy of ['organisation', 'theme', 'commune', 'epci', 'mairie', 'month']) {
    const g = (await stats(tic, `&groupBy=${groupBy}`)).json()
    for (const k of ['filed', 'answered', 'answeredOnTime', 'decided', 'open', 'closed', 'cancelled', 'transfers', 'infoRequests', 'escalated'] as const) {
      t.equal(g.groups.reduce((n: number, x: { totals: Record<string, number> }) => n + x.totals[k], 0), g.totals[k], `${groupBy}: the groups' ${k} add up`)
    }
  }
  const filtered = (await stats(tic, `&organisationId=${cafOrg}&theme=aides-caf`)).json()
  t.match(filtered.totals, { filed: 4, answered: 2, compliance: 1 / 3 })
  t.equal(filtered.network.filed, 7, 'the network beside it is the whole network')
  const mairie = (await stats(tic, `&mairieOrganisationId=${issoudunOrg}`)).json()
  t.match(mairie.totals, { filed: 3, answered: 2, answeredOnTime: 1, decided: 2, compliance: 0.5 })
})

t.test('an org admin sees her organisation beside the network; a mairie her referrals; nobody per person', async (t) => {
  const own = (await stats(cafAdmin)).json()
  t.equal(own.scope, 'organisation')
  t.equal(own.filters.organisationId, cafOrg)
  t.match(own.totals, { filed: 4, answered: 2 })
  t.equal(own.network.filed, 7)
  t.notMatch(JSON.stringify(own), /DDT|Mission TIC/, 'no other organisation by name')
  t.equal((await stats(cafAdmin, `&organisationId=${ddtOrg}`)).statusCode, 403, 'another organisation’s figures are refused')
  t.equal((await stats(cafAdmin, '&groupBy=organisation')).statusCode, 403, 'no ranking of organisations for her')
  const sec = (await stats(issoudun)).json()
  t.equal(sec.scope, 'mairie')
  t.match(sec.totals, { filed: 3, answered: 2 })
  t.equal((await stats(ardentes, `&mairieOrganisationId=${issoudunOrg}`)).statusCode, 403)
  const referent = await stats(caf)
  t.equal(referent.statusCode, 403, 'a referent has no statistics page: no figure per agent')
  t.match(referent.json().error.message, /réservées/)
})

t.test('bad input is a clear 400', async (t) => {
  for (const q of ['from=2031-13-01', 'from=2031-05-01&to=2031-03-01', 'groupBy=person', 'theme=inconnu', 'commune=99999', 'from=2001-01-01&to=2031-01-01', 'epci=12']) {
    const res = await app.inject({ url: `/api/v1/stats?${q}`, headers: tic })
    t.equal(res.statusCode, 400, `${q}: ${res.body}`)
    t.match(res.json().error, { code: String, message: /./ })
  }
})

t.test('figures follow what happens after the fact: a transfer, a late answer, a reopening', async (t) => {
  await act(F.id, 'transfer', caf, { organisationId: ddtOrg, reason: 'Finalement pour la DDT.' })
  clock.set('2031-04-02T09:00:00Z')
  await act(F.id, 'answer', ddt, { body: 'Réponse F, tardive.' })
  const s = (await stats(tic, '&groupBy=organisation')).json()
  t.match(s.totals, { filed: 7, answered: 5, transfers: 2, transferred: 2, open: 1, awaitingClosure: 4 })
  const by = Object.fromEntries(s.groups.map((g: { key: string }) => [g.key, g]))
  t.equal(by[cafOrg].totals.filed, 3, 'F left the CAF')
  t.equal(by[ddtOrg].totals.filed, 3, 'F is the DDT’s now')
  t.equal(by[ddtOrg].totals.answered, 3)
})

t.test('exports: CSV and XLSX of the figures and of the referral list, without citizen data', async (t) => {
  const v = new Visitor(app)
  await v.login('tic@indre.demo')
  const csv = await v.get('/statistiques/export?du=2031-03-01&au=2031-05-31&contenu=saisines&format=csv')
  t.equal(csv.statusCode, 200)
  t.match(csv.headers['content-type'], /text\/csv/)
  const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n')
  t.equal(lines.length, 8, 'a header and the 7 referrals of the period')
  t.match(lines[0], /^Référence;Déposée le;/)
  t.ok(lines.some((l) => l.startsWith(`${A.reference};2031-03-03;`)), 'A is listed')
  t.notMatch(csv.body, /Usager|Jeanne|example\.org|Madame Durand/, 'no citizen name, address nor question')
  const ind = await v.get('/statistiques/export?du=2031-03-01&au=2031-05-31&contenu=indicateurs&format=csv')
  t.match(ind.body, /Saisines déposées;7;1;7/)
  const xlsx = await v.get('/statistiques/export?du=2031-03-01&au=2031-05-31&contenu=saisines&format=xlsx')
  t.equal(xlsx.statusCode, 200)
  const wb = new ExcelJS.Workbook()
  await wb.xlsx.load(xlsx.rawPayload as never)
  const sheet = wb.getWorksheet('Saisines')!
  t.equal(sheet.rowCount, 8)
  t.equal(sheet.getRow(1).getCell(1).value, 'Référence')
  const sec = new Visitor(app)
  await sec.login('secretaire@issoudun.demo')
  const own = await sec.get('/statistiques/export?du=2031-03-01&au=2031-05-31&contenu=saisines&format=csv')
  t.equal(own.body.replace(/^\uFEFF/, '').trim().split('\r\n').length, 4, 'a mairie exports her own three referrals')
})

t.test('the rollup columns kept by the triggers are what the timelines and appointments say (the migrations\' backfills agree)', async (t) => {
  const cols = 'id, stats_transfers, stats_info_requests, stats_escalation_level, sla_met_by, stats_appointments_held, stats_no_shows, stats_citizen_cancellations'
  const kept = (await owner.query(`select ${cols} from referral order by id`)).rows
  t.ok(kept.some((r) => r.sla_met_by === 'appointment_proposed') && kept.some((r) => r.stats_escalation_level === 2) && kept.some((r) => r.stats_no_shows === 1), 'the story left its marks')
  await owner.query('update referral set stats_transfers = 0, stats_info_requests = 0, stats_escalation_level = 0, sla_met_by = null, stats_appointments_held = 0, stats_no_shows = 0, stats_citizen_cancellations = 0')
  await owner.query(STATS_ROLLUP_BACKFILL)
  await owner.query(APPOINTMENT_OUTCOME_BACKFILL)
  t.same((await owner.query(`select ${cols} from referral order by id`)).rows, kept)
})
