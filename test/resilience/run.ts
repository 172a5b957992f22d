// `npm run test:resilience`: the long fault and scale-out runs of issue 6, on real processes. They restart
// Postgres and Redis, so they run alone, after `npm test` (see .ci/run). Each scenario prints its figures.
import assert from 'node:assert/strict'
import { execSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import pg from 'pg'
import { Redis } from 'ioredis'
import { MailSink, type ReceivedMail } from '@relais/mail/sink'
import { createTestEnv, type TestEnv } from '../helpers/db.ts'
import { sampleReferral } from '../helpers/journey.ts'
import { configEnv, exited, outputOf, spawnApi, spawnWorker } from '../helpers/processes.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const results: { name: string; ok: boolean; detail: string }[] = []
const allDay = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ opens: '00:00', closes: '24:00' }]]))
const shortSla = { responseMinutes: 1, clockMode: 'calendar', reminderBeforeMinutes: 0, openingHours: allDay, escalations: [{ afterDueMinutes: 0, notify: ['org_admins'] }] }

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

interface Cluster { env: TestEnv; sink: MailSink; apis: { url: string; proc: ChildProcess }[]; workers: ChildProcess[]; workerEnv: Record<string, string>; tokens: Record<string, string> }

async function waitReady(url: string, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    try { if ((await fetch(`${url}/health/ready`)).status === 200) return } catch { /* not yet */ }
    await sleep(200)
  }
  throw new Error(`${url} not ready`)
}

async function startCluster(apiCount: number, workerCount: number): Promise<Cluster> {
  const sink = new MailSink({ httpPort: null, smtpPort: await freePort() })
  const { smtpUrl } = await sink.start()
  const env = await createTestEnv({ SMTP_URL: smtpUrl })
  const base = { ...configEnv(env.config), LOG_LEVEL: 'silent' }
  const workerEnv = { ...base, WORKER_CLAIM_SECONDS: '3', RELAY_GRACE_SECONDS: '2', WORKER_LOCK_MS: '3000', SLA_SWEEP_SECONDS: '1', WORKER_STATS: '1' }
  const apis = []
  for (let i = 0; i < apiCount; i++) {
    const port = await freePort()
    apis.push({ url: `http://127.0.0.1:${port}`, proc: spawnApi({ ...base, PORT: String(port) }) })
  }
  const workers = Array.from({ length: workerCount }, () => spawnWorker(workerEnv))
  for (const a of apis) await waitReady(a.url)
  const tokens: Record<string, string> = {}
  for (const email of ['secretaire@ardentes.demo', 'tic@indre.demo']) {
    const res = await fetch(`${apis[0].url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'relais-demo' }) })
    tokens[email] = (await res.json() as { accessToken: string }).accessToken
  }
  const put = await fetch(`${apis[0].url}/api/v1/sla-policy`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens['tic@indre.demo']}` }, body: JSON.stringify(shortSla) })
  assert.equal(put.status, 200)
  return { env, sink, apis, workers, workerEnv, tokens }
}

/** SIGTERM, then SIGKILL after 20 s: a process that does not stop is reported, never waited for forever. */
async function stopCluster(c: Cluster): Promise<number> {
  const procs = [...c.apis.map((a) => a.proc), ...c.workers].filter((p) => p.exitCode === null && p.signalCode === null)
  for (const p of procs) p.kill('SIGTERM')
  let forced = 0
  await Promise.all(procs.map(async (p) => {
    const timer = setTimeout(() => { forced++; p.kill('SIGKILL') }, 20_000)
    await exited(p)
    clearTimeout(timer)
  }))
  await c.sink.stop()
  await c.env.drop()
  return forced
}

/** Files one referral, retrying while the service is unavailable (503 or a refused connection). */
async function fileOne(c: Cluster, i: number, stats: { unavailable: number }): Promise<{ id: string; reference: string }> {
  for (let attempt = 0; ; attempt++) {
    const api = c.apis[(i + attempt) % c.apis.length]
    try {
      const res = await fetch(`${api.url}/api/v1/referrals`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${c.tokens['secretaire@ardentes.demo']}` }, body: JSON.stringify({ ...sampleReferral, question: `Question de charge n° ${i}` }) })
      if (res.status === 201) return await res.json() as { id: string; reference: string }
      if (res.status !== 503) throw new Error(`filing answered ${res.status}: ${await res.text()}`)
    } catch (err) {
      if (!(err instanceof TypeError)) throw err // fetch failed: connection refused while a process restarts
    }
    stats.unavailable++
    if (attempt > 600) throw new Error('the API never came back')
    await sleep(200)
  }
}

async function fileMany(c: Cluster, n: number, concurrency: number, stats: { unavailable: number }, onProgress?: (done: number) => Promise<void>) {
  const filed: { id: string; reference: string }[] = []
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++
      filed.push(await fileOne(c, i, stats))
      if (onProgress) await onProgress(filed.length)
    }
  }))
  return filed
}

function tally(mails: ReceivedMail[], kind: string, refs: string[]) {
  const byRef = new Map<string, ReceivedMail[]>()
  for (const m of mails) {
    if (m.headers['x-relais-kind'] !== kind) continue
    const ref = /\d{2,3}-\d{4}-\d{6,}/.exec(m.subject)?.[0]
    if (ref) byRef.set(ref, [...(byRef.get(ref) ?? []), m])
  }
  const lost = refs.filter((r) => !byRef.has(r)).length
  let repeated = 0
  let twoIds = 0
  for (const list of byRef.values()) {
    repeated += list.length - new Set(list.map((m) => m.messageId)).size
    if (new Set(list.map((m) => m.messageId)).size > 1) twoIds++
  }
  return { lost, repeated, twoIds }
}

async function waitForMails(c: Cluster, kind: string, refs: string[], timeoutMs: number) {
  const end = Date.now() + timeoutMs
  while (Date.now() < end && tally(c.sink.messages, kind, refs).lost > 0) await sleep(500)
}

async function escalationsInDb(c: Cluster): Promise<{ referrals: number; steps: number; duplicates: number }> {
  const client = new pg.Client({ connectionString: c.env.config.DATABASE_URL })
  await client.connect()
  const r = await client.query(`select count(*)::int as steps, count(distinct referral_id)::int as referrals,
      (select count(*)::int from (select referral_id, data->>'step' from referral_event where kind = 'escalated' group by 1, 2 having count(*) > 1) d) as duplicates
    from referral_event where kind = 'escalated'`)
  await client.end()
  return r.rows[0]
}

async function scenario(name: string, fn: () => Promise<string>) {
  const started = Date.now()
  try {
    const detail = await fn()
    results.push({ name, ok: true, detail })
    console.log(`ok - ${name} (${((Date.now() - started) / 1000).toFixed(0)} s): ${detail}`)
  } catch (err) {
    results.push({ name, ok: false, detail: (err as Error).message })
    console.log(`not ok - ${name}: ${(err as Error).stack}`)
  }
}

const redisUp = () => { try { return execSync('redis-cli -h 127.0.0.1 -p 6379 ping', { stdio: 'pipe' }).toString().includes('PONG') } catch { return false } }
function restartRedis() {
  execSync('redis-cli -h 127.0.0.1 -p 6379 shutdown nosave || true', { stdio: 'ignore' })
  for (let i = 0; i < 50 && redisUp(); i++) execSync('sleep 0.1')
  execSync('redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no', { stdio: 'ignore' })
  for (let i = 0; i < 50 && !redisUp(); i++) execSync('sleep 0.1')
}
const pgCluster = () => execSync('ls /etc/postgresql').toString().trim().split('\n')[0]

const only = process.env.RESILIENCE_ONLY // 'scale' or 'faults' for a local run of one scenario
if (!only || only === 'scale') await scenario('scale-out: 2 API and 2 worker processes, 1,000 referrals with a 1-minute SLA', async () => {
  const c = await startCluster(2, 2)
  try {
    const stats = { unavailable: 0 }
    const filed = await fileMany(c, 1000, 16, stats)
    const refs = filed.map((f) => f.reference)
    await waitForMails(c, 'referral_new', refs, 180_000)
    await waitForMails(c, 'escalation', refs, 180_000)
    await sleep(3000)
    const news = tally(c.sink.messages, 'referral_new', refs)
    const escalations = tally(c.sink.messages, 'escalation', refs)
    const db = await escalationsInDb(c)
    for (const w of c.workers) w.kill('SIGTERM')
    await Promise.race([Promise.all(c.workers.map(exited)), sleep(20_000)])
    assert.ok(c.workers.every((w) => w.exitCode !== null || w.signalCode !== null), 'both workers stop on SIGTERM')
    const perWorker = c.workers.map((w) => JSON.parse(/\{"workerStats".*\}/.exec(outputOf(w))?.[0] ?? '{"workerStats":{"mailsSent":0,"slaSteps":0}}').workerStats)
    const detail = `${filed.length} filed; referral mails lost ${news.lost}, repeated ${news.repeated}; escalation mails lost ${escalations.lost}, repeated ${escalations.repeated}; escalations in the timeline ${db.steps} for ${db.referrals} referrals (${db.duplicates} duplicated); mails sent per worker ${perWorker.map((w) => w.mailsSent).join(' / ')}, SLA steps per worker ${perWorker.map((w) => w.slaSteps).join(' / ')}`
    assert.equal(news.lost + escalations.lost, 0, detail)
    assert.equal(news.twoIds + escalations.twoIds + news.repeated + escalations.repeated, 0, detail)
    assert.equal(db.duplicates, 0, detail)
    assert.ok(perWorker.every((w) => w.mailsSent > 0), `both workers take work: ${detail}`)
    return detail
  } finally {
    await stopCluster(c)
  }
})

if (!only || only === 'faults') await scenario('faults: worker SIGKILLs, Redis FLUSHALL and restart, SMTP down 2 minutes, Postgres restart, 500 referrals', async () => {
  const c = await startCluster(1, 2)
  let stopped = false
  const redis = new Redis(c.env.config.REDIS_URL, { maxRetriesPerRequest: null })
  redis.on('error', () => undefined)
  try {
    const stats = { unavailable: 0 }
    let kills = 0
    const killAt = new Set([40, 140, 260].map((n) => n + Math.floor(Math.random() * 30)))
    const events: string[] = []
    let whilePgDown = ''
    let pgDownStatuses: number[] = []
    const filed = await fileMany(c, 500, 4, stats, async (done) => {
      if (killAt.has(done)) {
        killAt.delete(done)
        const i = Math.floor(Math.random() * c.workers.length)
        c.workers[i].kill('SIGKILL')
        await exited(c.workers[i])
        c.workers[i] = spawnWorker(c.workerEnv)
        kills++
        events.push(`SIGKILL worker at ${done}`)
      }
      if (done === 180) { await redis.flushall(); events.push('FLUSHALL at 180') }
      if (done === 320) { restartRedis(); events.push('Redis restarted at 320') }
      if (done === 400) {
        // Postgres down: the API says so (503 and which service), never a 500, then recovers by itself.
        execSync(`pg_ctlcluster --skip-systemctl-redirect ${pgCluster()} main stop`, { stdio: 'ignore' })
        const ready = await fetch(`${c.apis[0].url}/health/ready`)
        const readyBody = await ready.json() as { checks: { postgres: string } }
        const filing = await fetch(`${c.apis[0].url}/api/v1/referrals`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${c.tokens['secretaire@ardentes.demo']}` }, body: JSON.stringify(sampleReferral) })
        whilePgDown = `ready ${ready.status} (postgres ${readyBody.checks.postgres}), filing ${filing.status}`
        execSync(`pg_ctlcluster --skip-systemctl-redirect ${pgCluster()} main start`, { stdio: 'ignore' })
        events.push(`Postgres stopped and started at 400 (meanwhile: ${whilePgDown})`)
        pgDownStatuses = [ready.status, filing.status]
      }
    })
    // The SMTP server goes down for two minutes while the last mails and the escalations are due.
    await c.sink.stop()
    events.push('SMTP down for 120 s')
    await sleep(120_000)
    await c.sink.start()
    const refs = filed.map((f) => f.reference)
    await waitForMails(c, 'referral_new', refs, 240_000)
    await waitForMails(c, 'escalation', refs, 240_000)
    await sleep(3000)
    const news = tally(c.sink.messages, 'referral_new', refs)
    const escalations = tally(c.sink.messages, 'escalation', refs)
    const db = await escalationsInDb(c)
    const client = new pg.Client({ connectionString: c.env.config.DATABASE_URL })
    await client.connect()
    const stored = (await client.query('select count(*)::int as n from referral where reference = any($1)', [refs])).rows[0].n
    await client.end()
    const detail = `${events.join(', ')}; ${filed.length} filed (${stats.unavailable} answers 503/refused meanwhile), ${stored} in Postgres; referral mails lost ${news.lost}, repeated ${news.repeated} (same Message-ID), under two Message-IDs ${news.twoIds}; escalation mails lost ${escalations.lost}, repeated ${escalations.repeated}; escalations in the timeline ${db.steps} for ${db.referrals} referrals (${db.duplicates} duplicated); kills ${kills}`
    assert.equal(stored, 500, detail)
    assert.deepEqual(pgDownStatuses, [503, 503], `the API answers 503 while Postgres is down: ${detail}`)
    assert.equal(news.lost + escalations.lost, 0, detail)
    assert.equal(news.twoIds + escalations.twoIds, 0, detail)
    assert.ok(news.repeated + escalations.repeated <= kills * 8, detail)
    assert.equal(db.duplicates, 0, detail)
    redis.disconnect()
    const forced = await stopCluster(c)
    stopped = true
    assert.equal(forced, 0, `every process stops on SIGTERM after the faults (${forced} had to be killed)`)
    return `${detail}; all processes stopped on SIGTERM`
  } finally {
    redis.disconnect()
    if (!redisUp()) restartRedis()
    if (!stopped) await stopCluster(c)
  }
})

const passed = results.filter((r) => r.ok).length
console.log(`resilience: ${passed} passed, ${results.length - passed} failed`)
process.exit(passed === results.length ? 0 : 1)
