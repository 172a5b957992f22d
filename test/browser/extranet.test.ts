// Issue 12 in a real browser: a failed action's errors are where the eye and the focus are; long words never widen
// the page; lists reflow on a 390 px phone; a referral prints as a letter; axe finds nothing in these states.
import t from 'tap'
import type { Page } from 'playwright-core'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { axeViolations, launchChromium, listen } from '../helpers/browser.ts'

const env = await createTestEnv()
// A Tuesday 10:00 in Paris, at the real pace.
const start = Date.parse('2026-11-24T09:00:00Z')
const t0 = Date.now()
const app = await buildApp(env.config, { logger: false, clock: () => new Date(start + (Date.now() - t0)) })
const base = await listen(app)
const browser = await launchChromium()
t.teardown(async () => { await browser.close(); await app.close(); await env.drop() })
const widths = (page: Page) => page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]') as Promise<[number, number]>

async function newPage(width = 1280) {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', viewport: { width, height: 800 } })
  context.setDefaultTimeout(10_000)
  return context.newPage()
}
async function login(page: Page, email: string) {
  await page.goto(`${base}/connexion`)
  await page.fill('#email', email)
  await page.fill('#password', 'relais-demo')
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/connexion')), page.click('button[type=submit]')])
}

const longWord = `https://www.service-public.fr/particuliers/vosdroits/${'TresLongCheminSansEspaceNiTiret'.repeat(60)}`
let referralUrl = ''

t.test('a long unbroken word in a question does not widen the page', async (t) => {
  const sec = await newPage()
  await login(sec, 'secretaire@ardentes.demo')
  await sec.goto(`${base}/saisines/nouvelle`)
  await sec.selectOption('#themeCode', 'aides-caf')
  await sec.fill('#question', `Voir ${longWord} et dire si la démarche s’applique.`)
  await sec.fill('#citizenName', 'Jeanne Longmot')
  await sec.fill('#citizenEmail', 'jeanne@example.org')
  await sec.fill('#internalNote', 'Note que seule la mairie voit')
  await Promise.all([sec.waitForURL(/fait=deposee/), sec.getByRole('button', { name: 'Déposer la saisine' }).click()])
  referralUrl = sec.url().split('?')[0]
  const [scroll, inner] = await widths(sec)
  t.ok(scroll <= inner, `the page stays ${inner} px wide (${scroll})`)
  await sec.setViewportSize({ width: 390, height: 800 })
  const [scroll390] = await widths(sec)
  t.ok(scroll390 <= 390, `and 390 px on a phone (${scroll390})`)
  t.same(await axeViolations(sec), [], 'axe: the referral at 390 px')
  await sec.context().close()
})

t.test('a failed action: the summary sits in its form, focused, its links naming the fields', async (t) => {
  const ref = await newPage()
  await login(ref, 'referent@caf36.demo')
  await ref.goto(referralUrl)
  await ref.getByRole('button', { name: 'Transférer' }).click()
  await ref.waitForLoadState('domcontentloaded')
  t.equal(await ref.evaluate('document.activeElement && document.activeElement.id'), 'erreurs-transfer', 'focus on the summary')
  const box = await ref.locator('#erreurs-transfer').boundingBox()
  t.ok(box && box.y >= 0 && box.y < 800, `the summary is in view (y = ${box?.y})`)
  const link = ref.locator('#erreurs-transfer a')
  t.equal((await link.textContent())?.trim(), 'Motif : Ce champ est obligatoire.')
  await link.click()
  t.equal(await ref.evaluate('document.activeElement && document.activeElement.id'), 'transfert-motif', 'the link leads to the field')
  t.same(await axeViolations(ref), [], 'axe: the referral with a failed transfer')
  await ref.setViewportSize({ width: 390, height: 800 })
  t.same(await axeViolations(ref), [], 'axe: the same at 390 px')

  await ref.goto(`${base}/nulle-part`)
  t.equal(await ref.locator('h1').textContent(), 'Page introuvable')
  t.same(await axeViolations(ref), [], 'axe: the 404 page')
  await ref.context().close()
})

t.test('lists reflow on a 390 px phone: no sideways scrolling, each value under its column’s name', async (t) => {
  const tic = await newPage(390)
  await login(tic, 'tic@indre.demo')
  for (const url of ['/saisines?vue=toutes', '/annuaire/organisations', '/annuaire/personnes', '/annuaire/regles', '/annuaire/couverture', '/courriels', '/tableau-de-bord']) {
    await tic.goto(`${base}${url}`)
    const [scroll] = await widths(tic)
    t.ok(scroll <= 390, `${url}: ${scroll} px wide`)
    t.same(await axeViolations(tic), [], `axe at 390 px: ${url}`)
  }
  await tic.goto(`${base}/saisines?vue=toutes`)
  t.equal(await tic.locator('#liste-saisines tbody tr td').first().getAttribute('data-label'), 'Réponse au plus tard le')
  await tic.context().close()
})

t.test('a referral prints as a letter: mairie, reference, question, answer; no menu, form nor internal note', async (t) => {
  const ref = await newPage()
  await login(ref, 'referent@caf36.demo')
  await ref.goto(referralUrl)
  await ref.fill('#answer-body', 'Oui, la démarche s’applique.')
  await Promise.all([ref.waitForURL(/fait=answer/), ref.getByRole('button', { name: 'Répondre', exact: true }).click()])
  const sec = await newPage()
  await login(sec, 'secretaire@ardentes.demo')
  await sec.goto(referralUrl)
  await sec.emulateMedia({ media: 'print' })
  const shown = (sel: string) => sec.locator(sel).first().isVisible()
  t.ok(await shown('.letterhead'), 'the mairie’s header')
  t.match(await sec.locator('.letterhead').textContent(), /Mairie d’Ardentes/)
  t.ok(await shown('h1'), 'the reference')
  t.ok(await shown('.question'), 'the question')
  t.ok(await shown('.answer-body'), 'the answer')
  for (const sel of ['.site-header', 'nav', 'form', '.internal-note', '.site-footer']) t.notOk(await shown(sel), `${sel} is not printed`)
  await sec.emulateMedia({ media: 'screen' })
  t.notOk(await shown('.letterhead'), 'the letterhead is for paper only')
  t.ok(await shown('.internal-note'), 'the internal note is on screen')
  await ref.context().close()
  await sec.context().close()
})

t.test('search: words find the referral, a typed reference opens it, the commune field says when it names none', async (t) => {
  const sec = await newPage()
  await login(sec, 'secretaire@ardentes.demo')
  await sec.goto(`${base}/saisines`)
  await sec.getByRole('searchbox', { name: 'Rechercher' }).fill('LONGMOT demarche')
  await Promise.all([sec.waitForURL(/q=/), sec.getByRole('button', { name: 'Rechercher' }).click()])
  t.equal(await sec.locator('#liste-saisines tbody tr').count(), 1, 'one referral: the citizen’s name and a word of the question')
  const reference = (await sec.locator('#liste-saisines tbody th a').textContent())!.trim()
  t.same(await axeViolations(sec), [], 'axe: a search and its result')
  await sec.getByRole('searchbox', { name: 'Rechercher' }).fill(reference)
  await Promise.all([sec.waitForURL((u) => u.pathname !== '/saisines'), sec.getByRole('button', { name: 'Rechercher' }).click()])
  t.equal(sec.url(), referralUrl, 'the reference opens the referral')
  await sec.goto(`${base}/saisines`)
  await sec.getByLabel('Commune', { exact: true }).fill('Atlantide')
  await Promise.all([sec.waitForURL(/commune=/), sec.getByRole('button', { name: 'Rechercher' }).click()])
  t.match(await sec.locator('#filtre-commune-erreur').textContent(), /Aucune commune du département ne correspond/)
  t.equal(await sec.evaluate('document.activeElement && document.activeElement.id'), 'filtre-commune', 'focus on the field to correct')
  await sec.setViewportSize({ width: 390, height: 800 })
  t.same(await axeViolations(sec), [], 'axe: the commune field in error, at 390 px')
  t.ok((await widths(sec))[0] <= 390, 'no sideways scrolling')
  await sec.context().close()
})

t.test('the mission TIC’s directory pages: an organisation, its coverage and a theme, errors included, axe clean', async (t) => {
  const tic = await newPage()
  await login(tic, 'tic@indre.demo')
  await tic.goto(`${base}/annuaire/organisations`)
  await tic.selectOption('#org-type', 'mairie')
  await tic.getByRole('button', { name: 'Créer l’organisation' }).click()
  await tic.waitForLoadState('domcontentloaded')
  t.equal(await tic.evaluate('document.activeElement && document.activeElement.id'), 'erreurs-creation', 'focus on the summary')
  t.same(await axeViolations(tic), [], 'axe: the refused organisation')
  await tic.fill('#org-nom', 'Point justice de l’Indre')
  await tic.selectOption('#org-type', 'partner')
  await tic.fill('#org-commune', 'Issoudun')
  await Promise.all([tic.waitForURL(/fait=creee/), tic.getByRole('button', { name: 'Créer l’organisation' }).click()])
  await tic.selectOption('#couverture-theme', 'aides-caf')
  await tic.fill('#couverture-code', 'Chateauroux')
  await Promise.all([tic.waitForURL(/fait=couverture/), tic.getByRole('button', { name: 'Ajouter la couverture' }).click()])
  t.equal(await tic.locator('table.list tbody tr').count(), 1, 'the coverage is listed')
  t.same(await axeViolations(tic), [], 'axe: an organisation and its coverage')
  await tic.setViewportSize({ width: 390, height: 800 })
  t.ok((await widths(tic))[0] <= 390, 'no sideways scrolling at 390 px')
  t.same(await axeViolations(tic), [], 'axe: the same at 390 px')
  await tic.setViewportSize({ width: 1280, height: 800 })
  await tic.goto(`${base}/annuaire/themes`)
  await tic.fill('#theme-libelle', 'Justice')
  await tic.fill('#theme-code', 'justice')
  await Promise.all([tic.waitForURL(/fait=theme-cree/), tic.getByRole('button', { name: 'Créer le thème' }).click()])
  await Promise.all([tic.waitForURL(/\/annuaire\/themes\/[0-9a-f-]{36}$/), tic.getByRole('link', { name: 'Justice', exact: true }).click()])
  t.same(await axeViolations(tic), [], 'axe: a theme’s page')
  await tic.context().close()
})
