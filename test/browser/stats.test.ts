// The statistics page in a real browser (issue 17): the mission TIC reads the figures, its charts drawn as SVG on the
// server (no script), each followed by its table; changes the grouping with the form; downloads an export; prints the
// report. An org admin sees her organisation beside the network. axe-core (WCAG 2.1 A and AA) on each page.
import t from 'tap'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { axeViolations, launchChromium, listen } from '../helpers/browser.ts'
import { pdfText } from '../helpers/pdf.ts'
import { readFile } from 'node:fs/promises'

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
const base = await listen(app)
const browser = await launchChromium()
t.teardown(async () => { await browser.close(); await app.close(); await env.drop() })

// A few referrals of today: two for the CAF (one answered), one for the DDT.
const secretary = await bearer(app, 'secretaire@ardentes.demo')
const caf = await bearer(app, 'referent@caf36.demo')
const filed: string[] = []
for (const themeCode of ['aides-caf', 'aides-caf', 'urbanisme']) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, themeCode } })
  if (res.statusCode !== 201) throw new Error(res.body)
  filed.push(res.json().id)
}
const answered = await app.inject({ method: 'POST', url: `/api/v1/referrals/${filed[0]}/answer`, headers: caf, payload: { body: 'Réponse.' } })
if (answered.statusCode !== 200) throw new Error(answered.body)

async function open(email: string, path: string, opts: { javaScript?: boolean } = {}) {
  const context = await browser.newContext({ javaScriptEnabled: opts.javaScript ?? true, acceptDownloads: true })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 404/.test(m.text())) errors.push(m.text()) })
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`) })
  await page.goto(`${base}/connexion?retour=${encodeURIComponent(path)}`)
  await page.fill('#email', email)
  await page.fill('#password', 'relais-demo')
  await Promise.all([page.waitForURL((u) => u.pathname === path.split('?')[0]), page.click('button[type=submit]')])
  return { page, errors, close: () => context.close() }
}

t.test('the mission TIC reads the figures, charts drawn without JavaScript, and their tables', async (t) => {
  const bare = await open('tic@indre.demo', '/statistiques', { javaScript: false })
  t.equal(await bare.page.locator('figure.chart svg[role=img]').count(), 5, 'the charts are there with JavaScript off')
  await bare.close()
  // axe itself needs JavaScript: the rest with it on.
  const { page, errors, close } = await open('tic@indre.demo', '/statistiques')
  t.equal(await page.locator('h1').textContent(), 'Statistiques du réseau')
  t.match(await page.locator('nav a[aria-current=page]').textContent(), /Statistiques/)
  const charts = page.locator('figure.chart svg[role=img]')
  t.equal(await charts.count(), 5, 'five charts drawn on the server: months, compliance, appointments, deflections, backlog')
  for (let i = 0; i < 5; i++) t.ok(await charts.nth(i).getAttribute('aria-label'), 'each chart is a named image')
  t.ok(await page.locator('figure.chart svg rect, figure.chart svg path').count() > 10, 'with marks drawn')
  t.match(await page.locator('table.stats-table').first().textContent(), /Saisines déposées\s*3/)
  t.equal(await page.locator('table.stats-table').count(), 4, 'each chart has its table (appointments and deflections share one), and the indicators theirs')
  t.match(await page.locator('#h-service').textContent(), 'Rendez-vous et base de connaissance')
  t.equal(await page.locator('a[href^="/statistiques/rapport.pdf?"]').count(), 1, 'the report as a PDF')
  t.same(await axeViolations(page), [], 'axe: the statistics page')

  // The form, as a browser without JavaScript sends it: grouped by organisation, the CAF and the DDT are named.
  await page.selectOption('#f-regroupement', 'organisation')
  await Promise.all([page.waitForURL(/regroupement=organisation/), page.click('form.filters button[type=submit]')])
  t.equal(await page.locator('figure.chart svg[role=img]').count(), 6, 'and the compliance by organisation')
  const groups = await page.locator('table.stats-table').nth(3).textContent()
  t.match(groups, /CAF de l’Indre\s*2/)
  t.match(groups, /DDT de l’Indre\s*1/)
  t.same(await axeViolations(page), [], 'axe: grouped by organisation')

  // A wrong period is said next to its field, the page keeps working.
  await page.fill('#f-du', '2026-12-31')
  await page.fill('#f-au', '2026-01-01')
  await page.click('form.filters button[type=submit]')
  await page.locator('.error-summary').waitFor()
  t.match(await page.locator('.error-summary').textContent(), /Au : La fin de la période doit venir après son début/)
  t.same(await axeViolations(page), [], 'axe: the page with its error summary')
  t.same(errors.filter((e) => !/^400 .*\/statistiques\?/.test(e) && !e.includes('status of 400')), [], 'nothing refused, nothing broken (the 400 is the wrong period)')
  await close()
})

t.test('exports download, the report prints without menus', async (t) => {
  const { page, errors, close } = await open('tic@indre.demo', '/statistiques')
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=Liste des saisines (CSV)')])
  t.match(download.suggestedFilename(), /^saisines-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/)
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('text=Indicateurs (Excel)')])
  t.match(xlsx.suggestedFilename(), /\.xlsx$/)
  const [report] = await Promise.all([page.waitForEvent('download'), page.click('text=Rapport pour les élus (PDF)')])
  t.match(report.suggestedFilename(), /^rapport-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.pdf$/)
  const reportText = await pdfText(await readFile((await report.path())!))
  t.match(reportText, /Chiffres clés/, 'the downloaded PDF reads back')
  await Promise.all([page.waitForURL(/\/statistiques\/rapport/), page.click('text=Rapport imprimable')])
  t.equal(await page.locator('h1').textContent(), 'Rapport d’activité du réseau Relais')
  t.same(await axeViolations(page), [], 'axe: the report')
  await page.emulateMedia({ media: 'print' })
  t.equal(await page.locator('nav').first().isVisible(), false, 'no menu on paper')
  t.equal(await page.locator('figure.chart svg').first().isVisible(), true, 'the charts are printed')
  const pdf = await page.pdf({ format: 'A4' })
  t.ok(pdf.length > 10_000, `a PDF of the report (${pdf.length} bytes)`)
  t.same(errors, [], 'no script error, nothing refused by the Content-Security-Policy')
  await close()
})

t.test('an org admin sees her organisation beside the network', async (t) => {
  const { page, close } = await open('admin@caf36.demo', '/statistiques')
  t.match(await page.locator('main > p').first().textContent(), /votre organisme, à côté du réseau/)
  t.equal(await page.locator('#f-organisme').count(), 0, 'no choice of another organisation')
  t.notMatch(await page.locator('main').textContent(), /DDT/, 'no other organisation by name')
  t.match(await page.locator('table.stats-table').first().textContent(), /Saisines déposées\s*2\s*0\s*3/)
  t.same(await axeViolations(page), [], 'axe: the org admin’s page')
  await close()
})
