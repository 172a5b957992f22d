// `npm run bench`: figures for filing, delivery latency, the SLA sweep and knowledge-base search, each beside a baseline
// measured in the same run. BENCH_ONLY=knowledge runs the search benchmark alone, BENCH_ONLY=size the network at size,
// BENCH_ONLY=mail the worker's mail throughput, BENCH_ONLY=sweep one SLA sweep tick at growing open counts, BENCH_ONLY=stats the SLA statistics at size.
import autocannon from 'autocannon'
import Fastify from 'fastify'
import pino from 'pino'
import pg from 'pg'
import { buildApp } from '@relais/api/app'
import { startWorker } from '@relais/worker/worker'
import { MailSink } from '@relais/mail/sink'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { benchKnowledge } from './knowledge.ts'
import { benchMail, benchSize, benchSweep } from './size.ts'
import { benchStats } from './stats.ts'
import '../setup.ts'

const DURATION = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = 10
const silent = pino({ level: 'silent' })

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

async function load(url: string, opts: { headers?: Record<string, string>; body: string }) {
  const result = await autocannon({ url, method: 'POST', connections: CONNECTIONS, duration: DURATION, headers: { 'content-type': 'application/json', ...opts.headers }, body: opts.body })
  return { rps: result.requests.average, non2xx: result.non2xx, errors: result.errors, p99: result.latency.p99 }
}

// Search gets a database of its own: the referrals added below do not weigh on it.
async function knowledge() {
  const env = await createTestEnv()
  try { await benchKnowledge(env.config) } finally { await env.drop() }
}
if (process.env.BENCH_ONLY === 'knowledge') { await knowledge(); process.exit(0) }
// A network at an installation's size (100 tenants, 1,000,000 referrals) in a database of its own: see size.ts.
if (process.env.BENCH_ONLY === 'size') { await benchSize(); process.exit(0) }
// The worker draining a backlog of mails to a local SMTP server, and a filing's mail latency.
if (process.env.BENCH_ONLY === 'mail') { await benchMail(); process.exit(0) }
// One SLA sweep tick at 1,000, 10,000 and 100,000 open referrals, the same number due.
if (process.env.BENCH_ONLY === 'sweep') { await benchSweep(); process.exit(0) }
// The SLA statistics of one tenant on that generated network (API and page, any filter): see stats.ts.
if (process.env.BENCH_ONLY === 'stats') { await benchStats(); process.exit(0) }

const sink = new MailSink({ httpPort: null, smtpPort: 0 })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl })
try {
  // 1. Filing through the API vs a bare Fastify route doing one INSERT on the same database.
  const app = await buildApp(env.config, { logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const apiUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const auth = await bearer(app, 'secretaire@ardentes.demo')

  const barePool = new pg.Pool({ connectionString: env.config.APP_DATABASE_URL, max: 10 })
  const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
  await owner.connect()
  await owner.query('create table bench_insert (id bigserial primary key, body jsonb not null, at timestamptz not null default now())')
  await owner.query('grant select, insert on bench_insert to relais_app; grant usage on sequence bench_insert_id_seq to relais_app')
  const bare = Fastify()
  bare.post('/insert', async (request) => {
    const r = await barePool.query('insert into bench_insert (body) values ($1) returning id', [request.body])
    return { id: r.rows[0].id }
  })
  await bare.listen({ port: 0, host: '127.0.0.1' })
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/insert`

  const baseline = await load(bareUrl, { body: JSON.stringify(sampleReferral) })
  const filing = await load(`${apiUrl}/api/v1/referrals`, { headers: auth, body: JSON.stringify(sampleReferral) })
  console.log(`filing: ${filing.rps.toFixed(0)} referrals/s through the API (p99 ${filing.p99} ms, non-2xx ${filing.non2xx}, errors ${filing.errors})`)
  console.log(`baseline: ${baseline.rps.toFixed(0)} requests/s for a bare Fastify route doing one INSERT (p99 ${baseline.p99} ms)`)
  console.log(`ratio filing/baseline: ${(filing.rps / baseline.rps).toFixed(2)} (aim >= 0.5)`)
  await bare.close()
  await barePool.end()

  // 2. From filing to the mail accepted by SMTP, with a worker running, at a steady 20 referrals/s.
  const worker = await startWorker(env.config, { relayIntervalMs: 100, sweepIntervalMs: 60_000, log: silent })
  // The filing run above left its mails in the outbox: let the worker drain them before measuring.
  const drainUntil = Date.now() + 300_000
  while (Date.now() < drainUntil && Number((await owner.query('select count(*) from outbox where sent_at is null and failed_at is null')).rows[0].count) > 0) await new Promise((r) => setTimeout(r, 500))
  sink.clear()
  const filedAt = new Map<string, number>()
  const N = Number(process.env.BENCH_MAILS ?? 200)
  for (let i = 0; i < N; i++) {
    const started = Date.now()
    const res = await fetch(`${apiUrl}/api/v1/referrals`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(sampleReferral) })
    filedAt.set((await res.json() as { reference: string }).reference, started)
    await new Promise((r) => setTimeout(r, 50))
  }
  const until = Date.now() + 60_000
  while (Date.now() < until && [...filedAt.keys()].some((ref) => !sink.messages.some((m) => m.subject.includes(ref)))) await new Promise((r) => setTimeout(r, 50))
  const latencies = [...filedAt].map(([ref, at]) => {
    const m = sink.messages.find((x) => x.subject.includes(ref))
    return m ? m.receivedAt.getTime() - at : Number.POSITIVE_INFINITY
  }).sort((a, b) => a - b)
  console.log(`filing → mail accepted by SMTP over ${N} referrals: p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, p99 ${percentile(latencies, 99)} ms (aim p95 <= 1000 ms)`)
  await worker.close()
  await app.close()

  // 3. The SLA sweep with 100,000 open referrals of which 1,000 are due, against a full scan of the open ones.
  const tenant = (await owner.query(`select id from tenant where code = '36'`)).rows[0].id
  const template = (await owner.query(`select * from referral where tenant_id = $1 limit 1`, [tenant])).rows[0]
  await owner.query(`
    insert into referral (tenant_id, reference, mairie_organisation_id, filed_by_person_id, theme_id, commune_insee, question, citizen_name,
      citizen_preferred_channel, status, holder_organisation_id, holder_person_id, filed_at, clock_started_at, due_at, next_step, next_step_at)
    select $1, '36-2020-' || lpad(g::text, 6, '0'), $2, $3, $4, $5, 'Question de charge', 'Citoyen', 'email', 'assigned', $6, $7,
      now() - interval '1 day', now() - interval '1 day', now() + interval '2 days', 'reminder',
      case when g <= 1000 then now() - interval '1 minute' else now() + interval '1 day' + (g || ' seconds')::interval end
    from generate_series(1, 100000) g`,
  [tenant, template.mairie_organisation_id, template.filed_by_person_id, template.theme_id, template.commune_insee, template.holder_organisation_id, template.holder_person_id])
  await owner.query('analyze referral')
  const scanStart = performance.now()
  await owner.query(`select id from referral where status in ('submitted','assigned','awaiting_info') and next_step_at <= now() + interval '0 seconds' and (next_step_at + interval '0 seconds') is not null order by filed_at`)
  const scanMs = performance.now() - scanStart
  const dueStart = performance.now()
  const due = await owner.query(`select count(*) from sla_due(now(), 1000)`)
  const dueMs = performance.now() - dueStart
  const sweeper = await startWorker(env.config, { relayIntervalMs: 3_600_000, sweepIntervalMs: 3_600_000, log: silent })
  const sweepStart = performance.now()
  const done = await sweeper.sweepOnce()
  const sweepMs = performance.now() - sweepStart
  await sweeper.close()
  console.log(`sweep: finding the ${due.rows[0].count} due among 100,000 open took ${dueMs.toFixed(1)} ms (indexed) vs ${scanMs.toFixed(1)} ms for a scan of the open ones (ratio ${(dueMs / scanMs).toFixed(3)})`)
  console.log(`sweep: one full pass performing ${done} reminders took ${sweepMs.toFixed(0)} ms (${(sweepMs / Math.max(1, done)).toFixed(2)} ms per step)`)
  await owner.end()

  // 4. Knowledge-base search over 50,000 fiches vs a lookup by id on the same table.
  await knowledge()
} finally {
  await sink.stop()
  await env.drop()
}
process.exit(0)
