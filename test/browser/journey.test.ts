// The extranet in a real browser (Debian's chromium driven by playwright-core): the journey of issue 5, with the
// worker and an SMTP server of our own, and axe-core (WCAG 2.1 A and AA) on every page of it.
// RELAIS_SCREENSHOTS=1 also writes docs/screenshots/*.png (kept out of normal runs: they would dirty the tree).
import t from 'tap'
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import { chromium, type Browser, type Page } from 'playwright-core'
import axe from 'axe-core'
import { buildApp } from '@relais/api/app'
import { startWorker } from '@relais/worker/worker'
import { MailSink } from '@relais/mail/sink'
import { createTestEnv } from '../helpers/db.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (!existsSync(CHROMIUM)) {
  // Never skip: a missing browser must show up as a failure in CI.
  t.fail(`Chromium introuvable à ${CHROMIUM} : installez-le (apt-get install -y chromium, fait par .ci/run) ou indiquez CHROMIUM_PATH.`)
  t.end()
  process.exit(1)
}

const sink = new MailSink({ httpPort: null, smtpPort: 0 })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl })
// Time runs from a Tuesday 10:00 in Paris (working hours: mails go out at once), at the real pace.
const start = Date.parse('2026-11-24T09:00:00Z')
const t0 = Date.now()
const clock = () => new Date(start + (Date.now() - t0))
const app = await buildApp(env.config, { logger: false, clock })
await app.listen({ port: 0, host: '127.0.0.1' })
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
const worker = await startWorker({ ...env.config, PUBLIC_URL: base }, { clock, relayIntervalMs: 50, sweepIntervalMs: 500, log: pino({ level: 'silent' }) })

const browser: Browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  // launch() gives every run a fresh temporary user-data-dir.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
t.teardown(async () => {
  await browser.close()
  await worker.close()
  await app.close()
  await sink.stop()
  await env.drop()
})

const SHOTS = process.env.RELAIS_SCREENSHOTS ? path.resolve(import.meta.dirname, '../../docs/screenshots') : null
if (SHOTS) mkdirSync(SHOTS, { recursive: true })
async function screenshot(page: Page, name: string) {
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true })
}

/** axe-core with the WCAG 2.1 A and AA rules: the violations found, as readable lines. */
async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, not as an inline <script>: the page's policy forbids those.
  await page.evaluate(axe.source)
  // A string: the test is compiled without the DOM's types.
  const result = await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })`) as axe.AxeResults
  if (!result.passes.length) throw new Error('axe-core did not run any rule')
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`)
}

const activeId = (page: Page) => page.evaluate('document.activeElement && document.activeElement.id') as Promise<string | null>
const activeValue = (page: Page) => page.evaluate('document.activeElement && document.activeElement.value') as Promise<string | null>
const activeText = (page: Page) => page.evaluate('document.activeElement && document.activeElement.textContent.trim()') as Promise<string | null>

/** Whatever the Content-Security-Policy refused on any page of the journey (it must stay empty). */
const cspViolations: string[] = []

async function newPage() {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris' })
  context.setDefaultTimeout(10_000)
  const page = await context.newPage()
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`) })
  return page
}

async function login(page: Page, email: string, password = 'relais-demo') {
  if (!page.url().includes('/connexion')) await page.goto(`${base}/connexion`)
  await page.getByLabel('Adresse électronique').fill(email)
  await page.getByLabel('Mot de passe').fill(password)
  await page.getByRole('button', { name: 'Se connecter' }).click()
  await page.waitForLoadState('domcontentloaded')
}

t.test('the journey: filing, mail, answer, close — in French, by keyboard, accessible', async (t) => {
  const secretary = await newPage()

  // A wrong password: a French error, and the page is still accessible.
  await secretary.goto(`${base}/connexion`)
  t.equal(await secretary.getAttribute('html', 'lang'), 'fr')
  t.same(await axeViolations(secretary), [], `axe, WCAG 2.1 A and AA: the login page`)
  await login(secretary, 'secretaire@ardentes.demo', 'pas-le-bon')
  await t.resolves(secretary.getByRole('alert').filter({ hasText: 'Adresse électronique ou mot de passe incorrect.' }).waitFor(), 'French error on a wrong password')
  t.same(await axeViolations(secretary), [], `axe, WCAG 2.1 A and AA: the login page with its error`)

  await login(secretary, 'secretaire@ardentes.demo')
  t.match(new URL(secretary.url()).pathname, '/saisines')
  t.same(await axeViolations(secretary), [], `axe, WCAG 2.1 A and AA: the mairie’s list`)

  // An empty question: the message sits next to the field, the rest is kept.
  await secretary.goto(`${base}/saisines/nouvelle`)
  t.same(await axeViolations(secretary), [], `axe, WCAG 2.1 A and AA: the filing form`)
  await secretary.getByLabel('Thème').selectOption('aides-caf')
  await secretary.getByLabel('Nom et prénom').fill('Jeanne Durand')
  await secretary.getByLabel('Adresse électronique (facultatif)').fill('jeanne.durand@example.org')
  await secretary.getByRole('button', { name: 'Déposer la saisine' }).click()
  const questionField = secretary.locator('.field', { has: secretary.locator('#question') })
  t.equal((await questionField.locator('.field-error').textContent())?.trim(), 'Erreur : Ce champ ne peut pas être vide.', 'message next to the question')
  t.equal(await secretary.locator('#question').getAttribute('aria-invalid'), 'true')
  t.equal(await secretary.getByLabel('Nom et prénom').inputValue(), 'Jeanne Durand', 'values kept')
  t.same(await axeViolations(secretary), [], `axe, WCAG 2.1 A and AA: the filing form with an error`)

  // The filing form with the keyboard alone: Tab to move, type, Enter to send.
  await secretary.goto(`${base}/saisines/nouvelle`)
  for (let i = 0; i < 40 && await activeId(secretary) !== 'themeCode'; i++) await secretary.keyboard.press('Tab')
  t.equal(await activeId(secretary), 'themeCode', 'Tab reaches the theme')
  await secretary.keyboard.type('Aides de la CAF')
  t.equal(await secretary.locator('#themeCode').inputValue(), 'aides-caf', 'theme chosen by typing')
  await secretary.keyboard.press('Tab') // commune: preset to the mairie's
  t.equal(await secretary.locator('#communeInsee').inputValue(), '36005', 'commune preset to Ardentes')
  await secretary.keyboard.press('Tab')
  await secretary.keyboard.type('Madame Durand, séparée depuis mars, demande si elle a droit à l’allocation de soutien familial.')
  await secretary.keyboard.press('Tab')
  await secretary.keyboard.type('Jeanne Durand')
  await secretary.keyboard.press('Tab')
  await secretary.keyboard.type('jeanne.durand@example.org')
  await secretary.keyboard.press('Tab') // phone: left empty
  await secretary.keyboard.press('Tab') // preferred channel: courriel, already checked
  t.equal(await activeValue(secretary), 'email')
  await secretary.keyboard.press('Tab') // internal note: left empty
  await secretary.keyboard.press('Tab')
  t.equal(await activeId(secretary), 'fichiers', 'then the attachments (none here)')
  await secretary.keyboard.press('Tab')
  t.equal(await activeText(secretary), 'Déposer la saisine')
  await secretary.keyboard.press('Enter')
  await secretary.getByText('La saisine a été déposée').waitFor()
  const referralUrl = secretary.url().split('?')[0]
  const reference = (await secretary.locator('h1').textContent())!.replace('Saisine ', '').trim()
  t.match(reference, /^36-2026-\d{6}$/)
  t.match(await secretary.locator('.summary').textContent(), /CAF de l’Indre/)
  t.match(await secretary.locator('.summary').textContent(), /reste \d+ h/)
  t.same(await axeViolations(secretary), [], `axe, WCAG 2.1 A and AA: the referral as filed`)

  // The citizen's acknowledgement arrives with her tracking code; /suivi, without login, shows where her request is.
  const ack = await sink.waitFor((m) => m.to.includes('jeanne.durand@example.org') && m.subject.includes(reference), 15_000)
  const code = ack.text.match(/Code de suivi : ([A-Z0-9-]+)/)?.[1]
  t.ok(code, 'the acknowledgement carries the tracking code')
  const citizen = await newPage()
  await citizen.goto(ack.text.match(/https?:\/\/\S+\/suivi\?reference=\S+/)![0])
  t.equal(await citizen.getByLabel('Référence').inputValue(), reference, 'the link fills in the reference')
  t.same(await axeViolations(citizen), [], 'axe, WCAG 2.1 A and AA: /suivi')
  await citizen.getByLabel('Code de suivi').fill('ABCD-EFGH-JKMN')
  await citizen.getByRole('button', { name: 'Voir où en est ma demande' }).click()
  await t.resolves(citizen.getByRole('alert').filter({ hasText: 'Aucune demande ne correspond' }).waitFor(), 'a wrong code: the same words as an unknown reference')
  t.same(await axeViolations(citizen), [], 'axe, WCAG 2.1 A and AA: /suivi with its error')
  await citizen.getByLabel('Code de suivi').fill(code!.toLowerCase())
  await citizen.getByRole('button', { name: 'Voir où en est ma demande' }).click()
  await citizen.locator('#suivi').waitFor()
  t.match(await citizen.locator('#suivi').textContent(), /Transmise à CAF de l’Indre/)
  t.notMatch(await citizen.content(), /Jeanne|Durand|soutien familial/, 'nothing personal on the tracking page')
  t.same(await axeViolations(citizen), [], 'axe, WCAG 2.1 A and AA: /suivi with the steps')
  await screenshot(citizen, 'suivi')

  // The CAF referent's mail arrives; its link is the referral's page.
  const mail = await sink.waitFor((m) => m.to.includes('referent@caf36.demo') && m.subject.includes(reference), 15_000)
  const link = mail.text.match(/https?:\/\/\S+\/saisines\/[0-9a-f-]{36}/)?.[0]
  t.equal(link, referralUrl, 'the mail links to the referral')

  // The DDT's referent cannot open the CAF's referral.
  const ddt = await newPage()
  await ddt.goto(link!)
  await login(ddt, 'referent@ddt36.demo')
  t.equal(await ddt.locator('h1').textContent(), 'Page introuvable')
  t.notMatch(await ddt.content(), /Jeanne Durand/)
  t.same(await axeViolations(ddt), [], `axe, WCAG 2.1 A and AA: the 404 page`)

  // The CAF referent follows the link, logs in, lands on the referral and answers.
  const referent = await newPage()
  await referent.goto(link!)
  t.match(new URL(referent.url()).pathname, '/connexion')
  await login(referent, 'referent@caf36.demo')
  t.equal(referent.url(), link, 'back on the referral after login')
  t.match(await referent.locator('.question').textContent(), /allocation de soutien familial/)
  t.same(await axeViolations(referent), [], `axe, WCAG 2.1 A and AA: the referral seen by the referent`)
  await referent.getByLabel('Votre réponse').fill('Oui : l’ASF est due dès le mois suivant la séparation. Formulaire cerfa 12045 à déposer.')
  await referent.getByRole('button', { name: 'Répondre', exact: true }).click()
  await referent.getByText('Votre réponse a été envoyée à la mairie.').waitFor()
  t.same(await axeViolations(referent), [], `axe, WCAG 2.1 A and AA: the referral once answered`)
  await screenshot(referent, 'saisine-repondue')

  // The referent's open inbox: a new referral shows up without a reload (SSE over Redis pub/sub).
  await referent.goto(`${base}/saisines`)
  t.same(await axeViolations(referent), [], `axe, WCAG 2.1 A and AA: the referent’s inbox`)
  await referent.locator('body[data-flux="ouvert"]').waitFor()
  await secretary.goto(`${base}/saisines/nouvelle`)
  await secretary.getByLabel('Thème').selectOption('aides-caf')
  await secretary.getByLabel('Question de l’usager').fill('Monsieur Petit demande le montant de la prime d’activité.')
  await secretary.getByLabel('Nom et prénom').fill('Louis Petit')
  await secretary.getByLabel('Téléphone (facultatif)').fill('02 54 11 22 33')
  await secretary.getByLabel('Téléphone', { exact: true }).check()
  await screenshot(secretary, 'nouvelle-saisine')
  await secretary.getByRole('button', { name: 'Déposer la saisine' }).click()
  await secretary.getByText('La saisine a été déposée').waitFor()
  await t.resolves(referent.locator('#zone-liste').getByText('Louis Petit').waitFor({ timeout: 5000 }), 'the new referral appears in the open inbox')
  // No address: the secretary prints the acknowledgement, with a tracking code, for Louis Petit.
  t.match(await secretary.locator('#resultat').textContent(), /imprimez son accusé de réception/)
  await secretary.getByRole('button', { name: 'Imprimer l’accusé de réception' }).click()
  await secretary.getByRole('heading', { name: 'Accusé de réception de votre demande' }).waitFor()
  t.match(await secretary.locator('.tracking-code').textContent(), /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/)
  t.match(await secretary.locator('.receipt').textContent(), /sous 3 jours ouvrés/)
  t.same(await axeViolations(secretary), [], 'axe, WCAG 2.1 A and AA: the printable acknowledgement')
  await screenshot(secretary, 'accuse-de-reception')
  t.match(await referent.locator('#annonce-flux').textContent(), /Nouvelle saisine reçue/)
  await screenshot(referent, 'boite-de-reception')

  // The secretary sees the answer and closes.
  await secretary.goto(referralUrl)
  t.match(await secretary.locator('.answer-body').textContent(), /cerfa 12045/)
  t.same(await axeViolations(secretary), [], `axe, WCAG 2.1 A and AA: the answered referral seen by the mairie`)
  await secretary.getByRole('button', { name: 'Clôturer' }).click()
  await secretary.getByText('La saisine est close.').waitFor()
  t.match(await secretary.locator('.summary').textContent(), /clôturée/)
  t.same(await axeViolations(secretary), [], `axe, WCAG 2.1 A and AA: the closed referral`)
})

t.test('the mission TIC’s and the organisation admin’s pages are accessible too', async (t) => {
  const admin = await newPage()
  await login(admin, 'tic@indre.demo')
  t.match(new URL(admin.url()).pathname, '/tableau-de-bord')
  for (const url of ['/tableau-de-bord', '/saisines?vue=toutes', '/triage', '/annuaire/organisations', '/annuaire/personnes', '/annuaire/themes', '/annuaire/regles', '/annuaire/delais', '/annuaire/donnees-personnelles', '/annuaire/inviter']) {
    await admin.goto(`${base}${url}`)
    t.same(await axeViolations(admin), [], `axe, WCAG 2.1 A and AA: ${url}`)
  }
  // Issue 13: the mission TIC publishes a convention from its form; the CAF's admin reads it and its fingerprint.
  await admin.goto(`${base}/conventions`)
  await admin.getByRole('link', { name: 'Publier une nouvelle version' }).click()
  t.same(await axeViolations(admin), [], 'axe, WCAG 2.1 A and AA: publishing a convention')
  await admin.getByLabel('Type d’organisme').selectOption({ label: 'Organismes partenaires' })
  await admin.getByLabel('Titre').fill('Convention de partenariat Relais')
  await admin.getByLabel('Entrée en vigueur').fill('2026-12-01')
  await admin.getByLabel('Texte').fill('# Engagements\n\nL’organisme répond aux saisines sous **72 heures**.')
  await admin.getByRole('button', { name: 'Publier la version' }).click()
  await admin.getByText('La version est publiée').waitFor()
  t.same(await axeViolations(admin), [], 'axe, WCAG 2.1 A and AA: a convention version')
  const fingerprint = (await admin.locator('code.hash').textContent())!.trim()
  t.match(fingerprint, /^[0-9a-f]{64}$/)
  const orgAdmin = await newPage()
  await login(orgAdmin, 'admin@caf36.demo')
  await orgAdmin.goto(`${base}/conventions`)
  t.same(await axeViolations(orgAdmin), [], 'axe, WCAG 2.1 A and AA: /conventions')
  await orgAdmin.getByRole('link', { name: 'Convention de partenariat Relais' }).click()
  t.match(await orgAdmin.locator('.convention-body').textContent(), /répond aux saisines sous 72 heures/)
  t.equal((await orgAdmin.locator('code.hash').textContent())!.trim(), fingerprint)
  await orgAdmin.goto(`${base}/organisation/personnes`)
  t.match(await orgAdmin.locator('table').textContent(), /Karim Haddad/)
  t.same(await axeViolations(orgAdmin), [], 'axe, WCAG 2.1 A and AA: /organisation/personnes')
})

t.test('administration in the pages: an org admin invites a person (who chooses her password from the mail) and sets an absence; the mission TIC imports routing rules and edits the SLA policy', async (t) => {
  const orgAdmin = await newPage()
  await login(orgAdmin, 'admin@caf36.demo')
  await orgAdmin.goto(`${base}/organisation/personnes`)
  // A first try without a name: the summary is focused and names the field.
  await orgAdmin.getByLabel('Adresse électronique').fill('lea.morel@caf36.demo')
  await orgAdmin.getByRole('button', { name: 'Envoyer l’invitation' }).click()
  await orgAdmin.locator('#erreurs-ajout').waitFor()
  t.equal(await activeId(orgAdmin), 'erreurs-ajout', 'the error summary has the focus')
  t.same(await axeViolations(orgAdmin), [], 'axe, WCAG 2.1 A and AA: inviting a person, with an error')
  await orgAdmin.getByLabel('Nom et prénom').fill('Léa Morel')
  await orgAdmin.getByRole('button', { name: 'Envoyer l’invitation' }).click()
  await orgAdmin.getByText('L’invitation est envoyée').waitFor()
  // Léa follows her mail's link and chooses her password (issue 13); then « Mon compte » and « Mot de passe oublié ? ».
  const invitation = await sink.waitFor((m) => m.to.includes('lea.morel@caf36.demo') && m.headers['x-relais-kind'] === 'invitation', 15_000)
  const lea = await newPage()
  await lea.goto(/(https?:\/\/\S+jeton=\S+)/.exec(invitation.text)![1])
  await lea.getByRole('heading', { name: 'Bienvenue dans Relais' }).waitFor()
  t.same(await axeViolations(lea), [], 'axe, WCAG 2.1 A and AA: choosing one’s password from an invitation')
  await lea.getByLabel('Mot de passe', { exact: true }).fill('Caf36-Choisi-2026!')
  await lea.getByLabel('Confirmez le mot de passe').fill('Caf36-Choisi-2026!')
  await lea.getByRole('button', { name: 'Créer mon compte' }).click()
  await lea.getByRole('link', { name: 'Mon compte' }).click()
  await lea.getByRole('heading', { name: 'Changer mon mot de passe' }).waitFor()
  t.match(await lea.locator('main').textContent(), /lea\.morel@caf36\.demo/)
  t.same(await axeViolations(lea), [], 'axe, WCAG 2.1 A and AA: « Mon compte »')
  const stranger = await newPage()
  await stranger.goto(`${base}/connexion`)
  await stranger.getByRole('link', { name: 'Mot de passe oublié ?' }).click()
  t.same(await axeViolations(stranger), [], 'axe, WCAG 2.1 A and AA: « Mot de passe oublié »')
  await stranger.getByLabel('Adresse électronique').fill('lea.morel@caf36.demo')
  await stranger.getByRole('button', { name: 'Recevoir un lien' }).click()
  await stranger.getByText('Si un compte existe à cette adresse').waitFor()
  await orgAdmin.goto(`${base}/organisation/personnes`)
  await orgAdmin.getByRole('link', { name: 'Léa Morel' }).click()
  await orgAdmin.getByRole('heading', { name: 'Léa Morel' }).waitFor()
  t.same(await axeViolations(orgAdmin), [], 'axe, WCAG 2.1 A and AA: a person’s page')
  await orgAdmin.getByLabel('Absent à partir du').fill('2026-12-01')
  await orgAdmin.getByLabel('Jusqu’au (inclus, facultatif)').fill('2026-12-10')
  await orgAdmin.getByLabel('Suppléant', { exact: true }).selectOption({ label: 'Karim Haddad' })
  await orgAdmin.getByRole('button', { name: 'Enregistrer l’absence' }).click()
  await orgAdmin.getByText('L’absence et le suppléant sont enregistrés').waitFor()
  t.equal(await orgAdmin.getByLabel('Absent à partir du').inputValue(), '2026-12-01')
  await orgAdmin.goto(`${base}/organisation/personnes`)
  t.match(await orgAdmin.locator('table').textContent(), /absence prévue du 01\/12\/2026/)

  const tic = await newPage()
  await login(tic, 'tic@indre.demo')
  await tic.goto(`${base}/annuaire/regles`)
  const exported = await (await tic.request.get(`${base}/annuaire/regles.csv`)).text()
  const lines = exported.replace(/^\uFEFF/, '').trim().split(/\r?\n/)
  const rulesBefore = await tic.locator('table.list tbody tr').count()
  await tic.locator('#fichier-csv').setInputFiles({ name: 'regles.csv', mimeType: 'text/csv', buffer: Buffer.from([...lines, 'logement-social;commune;99999;OPAC de l’Indre;'].join('\n')) })
  await tic.waitForFunction(`document.getElementById('contenu-csv').value.includes('99999')`)
  await tic.getByRole('button', { name: 'Importer les règles' }).click()
  await tic.locator('#erreurs-import').waitFor()
  t.equal(await activeId(tic), 'erreurs-import', 'the refused lines have the focus')
  t.match(await tic.locator('#erreurs-import').textContent(), new RegExp(`Ligne ${lines.length + 1} \\(colonne « territory_code »\\)`))
  t.equal(await tic.locator('table.list tbody tr').count(), rulesBefore, 'nothing applied')
  t.same(await axeViolations(tic), [], 'axe, WCAG 2.1 A and AA: a refused import')
  await tic.locator('#fichier-csv').setInputFiles({ name: 'regles.csv', mimeType: 'text/csv', buffer: Buffer.from([...lines, 'logement-social;commune;36005;OPAC de l’Indre;'].join('\n')) })
  await tic.waitForFunction(`document.getElementById('contenu-csv').value.includes('36005')`)
  await tic.getByRole('button', { name: 'Importer les règles' }).click()
  await tic.getByText('Import terminé : 1 règle(s) créée(s)').waitFor()
  t.equal(await tic.locator('table.list tbody tr').count(), rulesBefore + 1, 'the good file applied')

  await tic.goto(`${base}/annuaire/delais`)
  await tic.getByLabel('Délai de réponse (en heures)').fill('48')
  await tic.getByLabel('heures calendaires').check()
  await tic.getByRole('button', { name: 'Enregistrer la politique' }).click()
  await tic.getByText('La politique de délai est enregistrée').waitFor()
  t.match(await tic.locator('.facts').first().textContent(), /48 h \(heures calendaires\)/)
  t.same(await axeViolations(tic), [], 'axe, WCAG 2.1 A and AA: the SLA policy page')
  await tic.setViewportSize({ width: 390, height: 800 })
  t.same(await axeViolations(tic), [], 'axe at 390 px: the SLA policy page')
  await tic.goto(`${base}/journal`)
  t.match(await tic.locator('.journal').textContent(), /Import CSV : 1 créée\(s\)/, 'the audit log shows the import')
  t.match(await tic.locator('.journal').textContent(), /Philippe Moreau \(CAF de l’Indre\)/, 'and who added Léa Morel')
  t.same(await axeViolations(tic), [], 'axe at 390 px: the audit log')
})

t.test('the Content-Security-Policy refused nothing on the way', async (t) => {
  t.same(cspViolations, [], 'no inline script or foreign resource anywhere in the journey')
})
