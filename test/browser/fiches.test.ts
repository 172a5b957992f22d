// The knowledge base in a real browser: the filing form's « Fiches qui peuvent répondre » appear as the secretary
// types and « Cette fiche répond à la question » records a deflection instead of a referral; a referent turns an
// answer into a fiche draft; the mission TIC exports and imports fiches and reads what the base misses; stale fiches
// are flagged. axe-core (WCAG 2.1 A and AA) on each page.
import t from 'tap'
import pg from 'pg'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { axeViolations, launchChromium, listen, loggedIn as loggedInAs } from '../helpers/browser.ts'

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
const base = await listen(app)
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
const browser = await launchChromium()
t.teardown(async () => { await browser.close(); await app.close(); await owner.end(); await env.drop() })

t.test('the fiches appear as the secretary types, and one answers the question', async (t) => {
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 404/.test(m.text())) errors.push(m.text()) })
  // The browser asks for /favicon.ico by itself; any other missing resource is a fault.
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`) })
  await page.goto(`${base}/connexion?retour=/saisines/nouvelle`)
  await page.fill('#email', 'secretaire@ardentes.demo')
  await page.fill('#password', 'relais-demo')
  await Promise.all([page.waitForURL(/\/saisines\/nouvelle/), page.click('button[type=submit]')])
  t.match(await page.locator('#fiches-suggestions').textContent(), /Choisissez le thème/)

  await page.selectOption('#themeCode', 'aides-caf')
  await page.locator('#question').pressSequentially('Sa fille étudiante loue un studio, a-t-elle droit à l’APL ?', { delay: 5 })
  const first = page.locator('#fiches-suggestions .results li h3 a').first()
  await first.waitFor({ timeout: 10_000 })
  t.equal((await first.textContent())?.trim().replace(/ \(nouvel onglet\)$/, ''), 'APL : l’aide au logement des étudiants', 'live, without reloading')
  t.ok(await page.locator('#fiches-suggestions mark').count() > 0, 'words highlighted')
  t.equal(await page.inputValue('#question'), 'Sa fille étudiante loue un studio, a-t-elle droit à l’APL ?', 'the form is untouched')
  if (process.env.RELAIS_SCREENSHOTS) await page.screenshot({ path: process.env.RELAIS_SCREENSHOTS, fullPage: true })

  const referrals = Number((await owner.query('select count(*) from referral')).rows[0].count)
  await page.fill('#citizenName', 'Louise Petit')
  await Promise.all([page.waitForURL(/\/fiches\/[0-9a-f-]{36}\?fait=repondu/), page.locator('#fiches-suggestions button', { hasText: 'Cette fiche répond à la question' }).first().click()])
  t.match(await page.locator('.alert-success').textContent(), /résolue par cette fiche/)
  t.equal(Number((await owner.query('select count(*) from referral')).rows[0].count), referrals, 'no referral')
  t.equal(Number((await owner.query('select count(*) from deflection')).rows[0].count), 1, 'one deflection')
  t.same(errors, [], 'no script error, nothing refused by the Content-Security-Policy')
  await page.close()
})

/** axe-core with the WCAG 2.1 A and AA rules: the violations found, as readable lines. */
/** A fresh browser session logged in as `email`, with every page error and refused resource collected. */
const loggedIn = (email: string, retour: string) => loggedInAs(browser, base, email, retour, { acceptDownloads: true })

t.test('a referent turns an answer into a fiche draft: the citizen left out, a warning to check', async (t) => {
  const filed = (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: await bearer(app, 'secretaire@ardentes.demo'), payload: sampleReferral })).json()
  const answered = await app.inject({ method: 'POST', url: `/api/v1/referrals/${filed.id}/answer`, headers: await bearer(app, 'referent@caf36.demo'), payload: { body: 'Mme Jeanne Durand peut demander l’ASF dès le mois suivant la séparation ; joignable au 02 54 00 00 00.' } })
  t.equal(answered.statusCode, 200, 'answered')
  const { page, errors, close } = await loggedIn('referent@caf36.demo', `/saisines/${filed.id}`)
  t.same(await axeViolations(page), [], 'axe: the referral page with its button')
  await Promise.all([page.waitForURL(/\/fiches\/[0-9a-f-]{36}\/modifier\?fait=depuis-reponse/), page.getByRole('button', { name: 'Faire une fiche de cette réponse' }).click()])
  t.match(await page.locator('#avertissement-donnees').textContent(), /Relisez tout le texte avant de publier/)
  const body = await page.inputValue('#body')
  t.match(body, /ASF dès le mois suivant la séparation/)
  t.notMatch(`${await page.inputValue('#title')} ${body}`, /Jeanne|Durand|54 00 00 00/, 'nothing of the citizen in the draft')
  t.same(await axeViolations(page), [], 'axe: the draft’s form with its warning')
  t.same(errors, [])
  await close()
})

t.test('the mission TIC exports, imports (refusals listed, nothing kept), reads the figures; stale fiches are flagged', async (t) => {
  const { page, errors, close } = await loggedIn('tic@indre.demo', '/fiches/echange')
  t.same(await axeViolations(page), [], 'axe: the import and export page')
  await page.check('#export-zip')
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Télécharger' }).click()])
  t.match(download.suggestedFilename(), /^fiches-\d{4}-\d{2}-\d{2}\.zip$/, 'the zip downloads')

  const count = async () => Number((await owner.query('select count(*) from fiche')).rows[0].count)
  const before = await count()
  const file = (fiches: unknown[]) => ({ name: 'fiches.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ format: 'relais-fiches', fiches })) })
  await page.setInputFiles('#fichier', file([{ title: 'Cantine : les tarifs', body: 'Selon le quotient familial.', themeCodes: ['autre'] }, { title: 'Sans thème connu', body: 'Texte.', themeCodes: ['nimporte'] }]))
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Importer' }).click()])
  t.match(await page.locator('#resume-erreurs').textContent(), /Aucune fiche n’a été importée : 1 entrée refusée sur 2[^]*Fiche 2 : Thème inconnu : nimporte/)
  t.equal(await count(), before, 'nothing imported')
  t.same(await axeViolations(page), [], 'axe: the refusals')
  await page.setInputFiles('#fichier', file([{ title: 'Cantine : les tarifs', body: 'Selon le quotient familial.', themeCodes: ['autre'] }]))
  await Promise.all([page.waitForURL(/importees=1/), page.getByRole('button', { name: 'Importer' }).click()])
  t.match(await page.locator('.alert-success').textContent(), /1 fiche\(s\) importée\(s\) en brouillon/)
  t.equal(await count(), before + 1)

  await page.goto(`${base}/fiches/statistiques`)
  for (const heading of ['Questions résolues par thème', 'Questions résolues par fiche', 'Recherches sans résultat, par thème', 'Fiches jamais ouvertes', 'Fiches à relire (date de relecture dépassée)']) {
    t.equal(await page.getByRole('heading', { name: heading }).count(), 1, heading)
  }
  t.same(await axeViolations(page), [], 'axe: the figures')

  await page.goto(`${base}/fiches?q=cheque+energie`)
  t.match(await page.locator('ol.results li').first().textContent(), /Chèque énergie[^]*à relire : date de relecture dépassée/, 'a stale fiche is flagged in the results')
  await page.locator('ol.results li h3 a').first().click()
  t.match(await page.locator('.stale').textContent(), /date de relecture dépassée/)
  t.same(await axeViolations(page), [], 'axe: a stale fiche')
  t.same(errors, [])
  await close()
})
