// Issue 13 in a real browser: the mission TIC of the Cher invites the CAF du Cher's admin (the CAF still onboarding),
// she chooses her password from the mail's link, sees the checklist, reads and signs the convention; the PDF receipt
// arrives by mail and its text holds the convention's hash; the mission TIC countersigns; a referral on the CAF's theme,
// which went to triage before, now reaches the CAF. axe-core (WCAG 2.1 A and AA) on every page of it.
import t from 'tap'
import pg from 'pg'
import pino from 'pino'
import { buildApp } from '@relais/api/app'
import { startWorker } from '@relais/worker/worker'
import { MailSink } from '@relais/mail/sink'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { pdfText } from '../helpers/pdf.ts'
import { axeViolations, launchChromium, loggedIn } from '../helpers/browser.ts'

const sink = new MailSink({ httpPort: null, smtpPort: 0 })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl })
// A Tuesday 10:00 in Paris, at the real pace.
const start = Date.parse('2026-11-24T09:00:00Z')
const t0 = Date.now()
const clock = () => new Date(start + (Date.now() - t0))
const app = await buildApp(env.config, { logger: false, clock })
await app.listen({ port: 0, host: '127.0.0.1' })
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
const worker = await startWorker({ ...env.config, PUBLIC_URL: base }, { clock, relayIntervalMs: 50, sweepIntervalMs: 60_000, log: pino({ level: 'silent' }) })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
const browser = await launchChromium()
t.teardown(async () => { await browser.close(); await worker.close(); await app.close(); await owner.end(); await sink.stop(); await env.drop() })

const PASSWORD = 'Cher-CAF-2026-sûr!'
const file = async () => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: await bearer(app, 'secretaire@bourges.demo'), payload: sampleReferral })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json() as { assignedOrganisation: { name: string } }
}

t.test('invited, signed, countersigned: the CAF du Cher joins the network', async (t) => {
  // The CAF du Cher is not a member yet: routing leaves it out.
  await owner.query(`update organisation set status = 'onboarding' where name = 'CAF du Cher'`)
  const before = await file()
  t.not(before.assignedOrganisation.name, 'CAF du Cher', `before: the referral went to ${before.assignedOrganisation.name}`)
  const convention = (await owner.query(`select v.id, v.sha256 from convention_version v join tenant t on t.id = v.tenant_id where t.code = '18' and v.kind = 'partner'`)).rows[0]

  // The mission TIC invites the CAF's admin.
  const tic = await loggedIn(browser, base, 'tic@cher.demo', '/annuaire/inviter')
  t.same(await axeViolations(tic.page), [], 'axe: the invitation form')
  await tic.page.selectOption('#invite-organisme', { label: 'CAF du Cher' })
  await tic.page.fill('#invite-nom', 'Agnès Morel')
  await tic.page.fill('#invite-courriel', 'admin@caf18.demo')
  await tic.page.selectOption('#invite-role', 'org_admin')
  await Promise.all([tic.page.waitForURL(/fait=invitation/), tic.page.click('form[action^="/annuaire/inviter"] button[type=submit]')])

  // The mail's link → her password → the checklist.
  const invitation = await sink.waitFor((m) => m.to.includes('admin@caf18.demo') && m.headers['x-relais-kind'] === 'invitation', 15_000)
  const link = /https?:\/\/\S+jeton=[A-Za-z0-9_.-]+/.exec(invitation.text)![0]
  const context = await browser.newContext()
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('response', (r) => { if (r.status() >= 500) errors.push(`${r.status()} ${r.url()}`) })
  t.teardown(() => context.close())
  await page.goto(link)
  t.same(await axeViolations(page), [], 'axe: choosing her password')
  await page.fill('#mdp', PASSWORD)
  await page.fill('#mdp-confirmation', PASSWORD)
  await Promise.all([page.waitForURL((u) => u.pathname === '/adhesion'), page.click('button[type=submit]')])
  t.match(await page.locator('h1').textContent(), /Adhésion de CAF du Cher/)
  t.same(await axeViolations(page), [], 'axe: the onboarding checklist')

  // Anything else is closed, and says why.
  await page.goto(`${base}/saisines`)
  t.match(await page.locator('h1').textContent(), /Adhésion en cours/)
  t.same(await axeViolations(page), [], 'axe: the page of a closed address')
  await page.goto(`${base}/adhesion`)

  // Read and sign.
  await Promise.all([page.waitForURL((u) => u.pathname === `/conventions/${convention.id}`), page.getByRole('link', { name: /Lire et signer/ }).click()])
  t.same(await axeViolations(page), [], 'axe: the convention with its signing form')
  await page.getByRole('button', { name: 'Signer la convention' }).click()
  await page.waitForSelector('#erreurs-signature')
  t.match(await page.locator('#erreurs-signature').textContent(), /La convention n’a pas été signée/)
  t.same(await axeViolations(page), [], 'axe: the signing form with its errors')
  await page.fill('#signature-nom', 'Agnès Morel')
  await page.fill('#signature-qualite', 'Directrice de la CAF du Cher')
  await page.check('#signature-accord')
  await page.fill('#signature-mot-de-passe', PASSWORD)
  await Promise.all([page.waitForURL(/\/conventions\/signatures\/.+fait=signee/), page.getByRole('button', { name: 'Signer la convention' }).click()])
  t.match(await page.locator('#resultat').textContent(), /La convention est signée/)
  t.same(await axeViolations(page), [], 'axe: the signature and its receipt')
  const signaturePath = new URL(page.url()).pathname

  // The receipt arrives by mail; its text, read back from the PDF, holds the convention's hash.
  for (const to of ['admin@caf18.demo', 'tic@cher.demo']) {
    const mail = await sink.waitFor((m) => m.to.includes(to) && m.headers['x-relais-kind'] === 'convention_signed', 15_000)
    const pdf = mail.attachments.find((a) => a.contentType === 'application/pdf')!
    const text = await pdfText(pdf.bytes)
    t.ok(text.replace(/\s/g, '').includes(convention.sha256), `${to}: the receipt holds the hash ${convention.sha256.slice(0, 12)}…`)
    t.match(text, /Directrice de la CAF du Cher/)
  }
  t.not((await file()).assignedOrganisation.name, 'CAF du Cher', 'signed but not countersigned: still left out')

  // The mission TIC countersigns.
  await tic.page.goto(`${base}${signaturePath}`)
  t.same(await axeViolations(tic.page), [], 'axe: the signature, for the mission TIC')
  await Promise.all([tic.page.waitForURL(/fait=contresignee/), tic.page.getByRole('button', { name: /Contresigner et activer CAF du Cher/ }).click()])
  t.match(await tic.page.locator('#resultat').textContent(), /CAF du Cher est actif/)
  t.same(await axeViolations(tic.page), [], 'axe: countersigned')

  const after = await file()
  t.equal(after.assignedOrganisation.name, 'CAF du Cher', 'a referral on its theme now reaches the CAF du Cher')
  await page.goto(`${base}/`)
  t.equal(new URL(page.url()).pathname, '/saisines', 'her home is the referrals now')
  t.same([...errors, ...tic.errors], [], 'no script error, no 5xx')
  await tic.close()
})
