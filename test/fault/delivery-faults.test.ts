import t from 'tap'
import pino from 'pino'
import { Redis } from 'ioredis'
import { buildApp } from '@relais/api/app'
import { startWorker } from '@relais/worker/worker'
import { MailSink } from '@relais/mail/sink'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { configEnv, exited, spawnWorker } from '../helpers/processes.ts'

const sink = new MailSink({ httpPort: null, smtpPort: 0 })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl })
const app = await buildApp(env.config, { logger: false })
const redis = new Redis(env.config.REDIS_URL)
t.teardown(async () => { await app.close(); await sink.stop(); redis.disconnect(); await env.drop() })
const silent = pino({ level: 'silent' })
const secretary = await bearer(app, 'secretaire@ardentes.demo')

async function file(n: number): Promise<string[]> {
  const refs: string[] = []
  for (let i = 0; i < n; i++) {
    // Without the citizen's address: one mail per filing (the referent's), no acknowledgement to count as well.
    const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, citizen: { name: 'Jeanne Durand', preferredChannel: 'counter' }, question: `Question n° ${i}` } })
    if (res.statusCode !== 201) throw new Error(res.body)
    refs.push(res.json().reference)
  }
  return refs
}
const newReferralMails = (ref: string) => sink.messages.filter((m) => m.headers['x-relais-kind'] === 'referral_new' && m.subject.includes(ref))

/** Deletes this test's Redis keys: a FLUSHALL for us, without touching the other test files running beside. */
async function flushOurRedis() {
  const keys = await redis.keys(`${env.config.REDIS_PREFIX}:*`)
  if (keys.length) await redis.del(...keys)
  return keys.length
}

t.test('Redis flushed after filing: the mail still goes', async (t) => {
  sink.clear()
  // Filing needs no Redis at all: the referral and its outbox row commit in Postgres.
  const [ref] = await file(1)
  // A relay hands the mail to BullMQ, but nobody takes the job before Redis loses everything.
  const relayOnly = await startWorker(env.config, { relayIntervalMs: 3_600_000, sweepIntervalMs: 3_600_000, processJobs: false, log: silent })
  // Its loop also relays once at start: whichever claims the row first hands it over, the other finds nothing.
  await relayOnly.relayOnce()
  await relayOnly.close()
  t.equal(relayOnly.stats.relayed, 1, 'the mail was handed to BullMQ, once')
  t.ok(await flushOurRedis() > 0, 'the job was in Redis, and is gone')
  const worker = await startWorker(env.config, { relayIntervalMs: 50, sweepIntervalMs: 60_000, relayGraceSeconds: 1, log: silent })
  await sink.waitFor((m) => m.subject.includes(ref), 15_000)
  await new Promise((r) => setTimeout(r, 500))
  t.equal(newReferralMails(ref).length, 1, 'delivered once')
  await worker.close()
})

t.test('SMTP down, then back: every mail is delivered, once', async (t) => {
  sink.clear()
  await sink.stop()
  const worker = await startWorker(env.config, { relayIntervalMs: 50, sweepIntervalMs: 60_000, log: silent })
  const refs = await file(20)
  await new Promise((r) => setTimeout(r, 1500))
  const failing = await worker.db.selectFrom('outbox').select('id').execute().catch(() => [])
  t.same(failing, [], 'the worker role sees no outbox row without a tenant (RLS)')
  await sink.start()
  // Temporary failures come back after their backoff (10 s for the first retry).
  await sink.waitForCount(20, 30_000)
  await new Promise((r) => setTimeout(r, 500))
  for (const ref of refs) t.equal(newReferralMails(ref).length, 1, `${ref} delivered once`)
  await worker.close()
})

t.test('worker SIGKILLed while sending 200 referrals, then restarted: every mail arrives, under one Message-ID each', async (t) => {
  sink.clear()
  const workerEnv = { ...configEnv(env.config), LOG_LEVEL: 'silent', WORKER_CLAIM_SECONDS: '3', RELAY_GRACE_SECONDS: '2', WORKER_LOCK_MS: '3000' }
  let worker = spawnWorker(workerEnv)
  t.teardown(() => { worker.kill('SIGKILL') })
  const refs = await file(200)
  let kills = 0
  for (const threshold of [30, 90]) {
    while (sink.messages.length < threshold) await new Promise((r) => setTimeout(r, 20))
    worker.kill('SIGKILL')
    await exited(worker)
    kills++
    worker = spawnWorker(workerEnv)
  }
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline && refs.some((ref) => newReferralMails(ref).length === 0)) await new Promise((r) => setTimeout(r, 100))
  worker.kill('SIGTERM')
  await exited(worker)
  const missing = refs.filter((ref) => newReferralMails(ref).length === 0)
  const byMessageId = new Map<string, number>()
  for (const m of sink.messages) byMessageId.set(m.messageId, (byMessageId.get(m.messageId) ?? 0) + 1)
  const repeats = [...byMessageId.values()].reduce((n, c) => n + c - 1, 0)
  const refsWithTwoIds = refs.filter((ref) => new Set(newReferralMails(ref).map((m) => m.messageId)).size > 1)
  t.comment(`SIGKILL x${kills} while sending 200 referrals: ${200 - missing.length}/200 delivered, ${repeats} repeated mail(s) (same Message-ID), ${refsWithTwoIds.length} referral(s) under two Message-IDs`)
  t.same(missing, [], 'every referent mail arrived')
  t.same(refsWithTwoIds, [], 'never a second Message-ID for the same mail')
  t.ok(repeats <= kills * 8, 'repeats only from mails in flight at a kill (at most the concurrency per kill)')
})
