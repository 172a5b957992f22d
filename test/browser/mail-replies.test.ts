// Replies by email in a real browser (issue 15): the referent answers a referral from the local mailbox of `npm start`
// (its « Répondre » form sends through the inbound server), and the secretary's referral page shows the answer and
// the mail it came from. axe-core (WCAG 2.1 A and AA) on each page.
import t from 'tap'
import pino from 'pino'
import { startInbound } from '@relais/worker/inbound'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { startAppWithMail } from '../helpers/network.ts'
import { axeViolations, launchChromium, listen } from '../helpers/browser.ts'

const { app, sink, env, clock } = await startAppWithMail({ mailboxPage: true })
const inbound = await startInbound(env.config, { log: pino({ level: 'silent' }), clock: clock.now, host: '127.0.0.1', port: 0 })
sink.replyRelay = `smtp://127.0.0.1:${inbound.port}`
const base = await listen(app)
const mailbox = `http://127.0.0.1:${(await sink.start()).httpPort}`
const browser = await launchChromium()
t.teardown(async () => { await browser.close(); await inbound.close() })

t.test('a referent answers from the local mailbox; the secretary sees the answer and its mail on the referral page', async (t) => {
  const filed = (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: await bearer(app, 'secretaire@ardentes.demo'), payload: sampleReferral })).json()
  const mail = await sink.waitFor((m) => m.to.includes('referent@caf36.demo') && m.subject.includes(filed.reference))
  const context = await browser.newContext()
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('response', (r) => { if (r.status() >= 500) errors.push(`${r.status()} ${r.url()}`) })

  await page.goto(`${mailbox}/messages/${mail.id}`)
  t.same(await axeViolations(page), [], 'axe: the mail with its reply form')
  await page.fill('#texte', 'Bonjour, Mme Durand peut demander l’ASF : formulaire cerfa 12045 à envoyer à la CAF.')
  await Promise.all([page.waitForURL(/\/messages\/\d+/), page.click('button:has-text("Envoyer la réponse")')])
  t.match(await page.textContent('[role=status]'), 'Réponse envoyée à Relais')
  t.same(await axeViolations(page), [], 'axe: the page saying the reply went')
  await sink.waitFor((m) => m.to.includes('referent@caf36.demo') && m.headers['x-relais-kind'] === 'reply_outcome')

  await page.goto(`${base}/connexion?retour=${encodeURIComponent(`/saisines/${filed.id}`)}`)
  await page.fill('#email', 'secretaire@ardentes.demo')
  await page.fill('#password', 'relais-demo')
  await Promise.all([page.waitForURL((u) => u.pathname === `/saisines/${filed.id}`), page.click('button[type=submit]')])
  const body = await page.textContent('main')
  t.match(body, 'formulaire cerfa 12045', 'the answer is on the referral page')
  t.match(body, 'Courriel reçu', 'with the mail it came from on the timeline')
  t.notMatch(body, 'a écrit :', 'not the quoted history')
  t.same(await axeViolations(page), [], 'axe: the referral page')
  t.same(errors, [], 'no page error')
  await context.close()
})
