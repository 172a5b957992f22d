// The filing form's « Fiches qui peuvent répondre » in a real browser: the fiches appear as the secretary types,
// and « Cette fiche répond à la question » records a deflection instead of a referral.
import t from 'tap'
import { existsSync } from 'node:fs'
import pg from 'pg'
import { chromium, type Browser } from 'playwright-core'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (!existsSync(CHROMIUM)) {
  t.fail(`Chromium introuvable à ${CHROMIUM} : installez-le (apt-get install -y chromium) ou indiquez CHROMIUM_PATH.`)
  process.exit(1)
}
const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
await app.listen({ port: 0, host: '127.0.0.1' })
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
const browser: Browser = await chromium.launch({
  executablePath: CHROMIUM, headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
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
