// The citizen's rights in a real browser (issue 18): the secretary forwards the written answer to the citizen from the
// referral page; the mission TIC finds a person, exports her data and erases it. axe-core (WCAG 2.1 A and AA) on each page.
import t from 'tap'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { startAppWithMail } from '../helpers/network.ts'
import { axeViolations, launchChromium, listen, loggedIn } from '../helpers/browser.ts'

const { app, sink } = await startAppWithMail()
const base = await listen(app)
const browser = await launchChromium()
t.teardown(async () => { await browser.close() })

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const referent = await bearer(app, 'referent@caf36.demo')
const filed = (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, citizen: { ...sampleReferral.citizen, name: 'Odile Navigateur', email: 'odile.navigateur@example.org' } } })).json()
await app.inject({ method: 'POST', url: `/api/v1/referrals/${filed.id}/answer`, headers: referent, payload: { body: 'Votre demande d’ASF est recevable : envoyez le formulaire cerfa 12045.' } })

t.test('the secretary forwards the answer to the citizen from the referral page', async (t) => {
  const { page, errors, close } = await loggedIn(browser, base, 'secretaire@ardentes.demo', `/saisines/${filed.id}`)
  t.match(await page.textContent('#transmettre'), 'odile.navigateur@example.org')
  t.same(await axeViolations(page), [], 'axe: the referral page with the button')
  await Promise.all([page.waitForURL(/fait=reponse_transmise/), page.click('button:has-text("Envoyer la réponse à l’usager")')])
  t.match(await page.textContent('[role=status]'), 'La réponse a été envoyée à l’usager par courriel')
  t.match(await page.textContent('main'), 'Réponse transmise à l’usager', 'on the timeline')
  t.same(await axeViolations(page), [], 'axe: the page saying it went')
  const mail = await sink.waitFor((m) => m.to.includes('odile.navigateur@example.org') && m.subject.startsWith('Réponse à votre demande'), 10_000)
  t.match(mail.text, 'cerfa 12045')
  await Promise.all([page.waitForURL(/transmettre-reponse/), page.click('button:has-text("Imprimer la réponse pour l’usager")')])
  t.match(await page.textContent('main'), 'Réponse à votre demande')
  t.same(await axeViolations(page), [], 'axe: the letter to print')
  t.same(errors, [], 'no page error')
  await close()
})

t.test('the mission TIC finds a person, exports her data and erases it', async (t) => {
  await app.inject({ method: 'POST', url: `/api/v1/referrals/${filed.id}/close`, headers: secretary, payload: {} })
  const { page, errors, close } = await loggedIn(browser, base, 'tic@indre.demo', '/annuaire/usagers')
  t.same(await axeViolations(page), [], 'axe: the search form')
  await page.fill('#email', 'odile.navigateur@example.org')
  await Promise.all([page.waitForURL(/email=/), page.click('button:has-text("Rechercher")')])
  t.match(await page.textContent('main'), filed.reference, 'her referral is found')
  t.same(await axeViolations(page), [], 'axe: the results')
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("Exporter ses données (PDF)")')])
  t.match(download.suggestedFilename(), /^donnees-personnelles-.*\.pdf$/, 'the PDF export downloads')
  await page.check('#confirmer')
  await Promise.all([page.waitForURL(/effacer/), page.click('button:has-text("Effacer ses données")')])
  t.match(await page.textContent('[role=status]'), 'ont été effacées de 1 demande')
  t.same(await axeViolations(page), [], 'axe: the page saying it is erased')
  t.same(errors, [], 'no page error')
  await close()
})
