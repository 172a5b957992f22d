// Operators' view: /metrics (Prometheus) and the queues' board, behind METRICS_TOKEN; no token set, no endpoint.
import t from 'tap'
import pino from 'pino'
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { buildApp } from '@relais/api/app'
import { startWorker } from '@relais/worker/worker'
import { MailSink } from '@relais/mail/sink'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock, sampleReferral } from '../helpers/journey.ts'

const TOKEN = 'jeton-exploitation-de-test-0123456789'
const sink = new MailSink({ httpPort: null, smtpPort: 0 })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl, METRICS_TOKEN: TOKEN })
// A Tuesday, 10:00 in Paris: mails go out at once.
const clock = manualClock('2026-11-24T09:00:00Z')
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const worker = await startWorker(env.config, { clock: clock.now, relayIntervalMs: 50, sweepIntervalMs: 200, log: pino({ level: 'silent' }) })
t.teardown(async () => { await worker.close(); await app.close(); await sink.stop(); await env.drop() })

const scrape = async () => {
  const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })
  t.equal(res.statusCode, 200)
  return res.body
}
const value = (body: string, series: string): number | undefined => {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

t.test('without the token: 401 and a stable code; a wrong token is refused the same way', async (t) => {
  for (const headers of [{}, { authorization: 'Bearer pas-le-bon-jeton-du-tout-0000' }, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }]) {
    const res = await app.inject({ url: '/metrics', headers })
    t.equal(res.statusCode, 401)
    t.equal(res.json().error.code, 'operations_token_required')
    t.notMatch(res.body, /relais_/)
  }
  const board = await app.inject({ url: '/operations/files' })
  t.equal(board.statusCode, 401, 'the board is closed without the token')
  const api = await app.inject({ url: '/operations/files/api/queues' })
  t.equal(api.statusCode, 401, 'and so is its API')
})

t.test('a filing shows in the figures: latency by route, mails sent, backlog, queues, breaches', async (t) => {
  const secretary = await bearer(app, 'secretaire@ardentes.demo')
  const filed = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: sampleReferral })
  t.equal(filed.statusCode, 201)
  const { reference, dueAt } = filed.json()
  await sink.waitFor((m) => m.subject.includes(reference), 10_000)
  // The worker records the mail sent (and counts it) just after the SMTP server accepted it: wait for that.
  let body = ''
  for (let i = 0; i < 200; i++) {
    body = await scrape()
    if (value(body, 'relais_outbox_backlog') === 0 && (value(body, 'relais_worker_events_total{event="mails_sent"}') ?? 0) >= 1) break
    await new Promise((r) => setTimeout(r, 50))
  }
  t.ok(value(body, 'relais_worker_events_total{event="mails_sent"}')! >= 1, 'the mail sent is counted')
  t.equal(value(body, 'relais_worker_events_total{event="mails_failed"}'), 0)
  t.match(body, /relais_http_request_duration_seconds_bucket\{le="[\d.]+",method="POST",route="\/api\/v1\/referrals",status_code="201"\}/, 'latency by route pattern')
  t.notMatch(body, new RegExp(filed.json().id), 'no id in the labels')
  t.equal(value(body, 'relais_outbox_backlog'), 0, 'nothing waits once the mail is sent')
  t.ok(value(body, 'relais_queue_jobs{queue="mail",state="waiting"}') !== undefined, 'queue depths by state')
  t.equal(value(body, 'relais_referrals_overdue'), 0)
  t.match(body, /# TYPE relais_worker_events_total counter/)

  clock.set(new Date(new Date(dueAt).getTime() + 60_000))
  const late = await scrape()
  t.ok(value(late, 'relais_referrals_overdue')! >= 1, 'past its deadline, the referral counts as a breach')
})

t.test('the board opens with the token (form → cookie) and shows only ids in job data', async (t) => {
  const login = await app.inject({ url: '/operations' })
  t.equal(login.statusCode, 200)
  t.match(login.body, /Jeton d’exploitation/)
  const wrong = await app.inject({ method: 'POST', url: '/operations', payload: 'jeton=mauvais', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(wrong.statusCode, 401)
  t.match(wrong.body, /Jeton invalide/)
  const ok = await app.inject({ method: 'POST', url: '/operations', payload: `jeton=${TOKEN}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(ok.statusCode, 303)
  t.equal(ok.headers.location, '/operations/files/')
  const cookie = ok.cookies.find((c) => c.name === 'relais_ops')!
  t.ok(cookie.httpOnly)
  t.not(cookie.value, TOKEN, 'the cookie holds a digest, not the token')
  const queues = await app.inject({ url: '/operations/files/api/queues', cookies: { relais_ops: cookie.value } })
  t.equal(queues.statusCode, 200)
  t.same(queues.json().queues.map((q: { name: string }) => q.name).sort(), ['mail', 'sla'])

  const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (!existsSync(CHROMIUM)) return t.fail(`Chromium introuvable à ${CHROMIUM}`)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  // Its stylesheet asks for Google's fonts, which the policy refuses (system fonts are used instead).
  page.on('console', (m) => { if (m.type() === 'error' && !/fonts\.googleapis|Failed to load resource/.test(m.text())) errors.push(m.text()) })
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`) })
  await page.goto(`${base}/operations`)
  await page.fill('#jeton', TOKEN)
  await Promise.all([page.waitForURL(/\/operations\/files/), page.click('button[type=submit]')])
  await page.getByText('mail', { exact: true }).first().waitFor({ timeout: 15_000 })
  t.same(errors, [], 'the board runs in the browser (CSP included)')
})

t.test('no token configured: neither /metrics nor the board exist', async (t) => {
  const bare = await buildApp({ ...env.config, METRICS_TOKEN: undefined }, { logger: false })
  t.teardown(() => bare.close())
  t.equal((await bare.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 404)
  t.equal((await bare.inject({ url: '/operations/files' })).statusCode, 404)
})
