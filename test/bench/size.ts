// `BENCH_ONLY=size npm run bench`: a network at an installation's size — 100 tenants, 1,000,000 referrals of which
// 100,000 open — generated set-wise (generate_series) in a database of its own, then:
// - the lists (partner's inbox, mairie's follow-up, mission TIC's view; API and pages), walked page after page: p50/p95;
// - saving an SLA policy over 100,000 running clocks: the answer, then the worker's set-wise batches;
// - filing with 10 open referrals on the referent, then with 10,000, beside a bare Fastify route doing the same
//   transaction shape (tenant setting, one read, a sequence number, three inserts) in the same run.
import autocannon from 'autocannon'
import Fastify from 'fastify'
import pg from 'pg'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { buildApp } from '@relais/api/app'
import type { FastifyInstance } from 'fastify'
import { createTestEnv, type TestEnv } from '../helpers/db.ts'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'
import { createKysely, createPool } from '@relais/db'
import { runRecomputes } from '@relais/referrals'

const TENANTS = Number(process.env.BENCH_TENANTS ?? 100)
const PER_TENANT = Number(process.env.BENCH_PER_TENANT ?? 10_000)
const DURATION = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_LIST_ROUNDS ?? 100)

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const ms = (n: number) => `${n.toFixed(1)} ms`

/** 100 tenants (the two seeded ones and 98 made of a mission TIC, a partner and a mairie), PER_TENANT referrals each, 10 % open. */
export async function generateNetwork(owner: pg.Client) {
  const started = performance.now()
  // Foreign keys are the directory's, known to hold: the owner skips their triggers while generating.
  await owner.query(`set session_replication_role = replica`)
  await owner.query(`
    insert into tenant (code, name)
    select d, 'Réseau ' || d from (select distinct departement d from commune where departement not in ('36', '18') order by 1 limit $1) s`, [TENANTS - 2])
  await owner.query(`
    insert into organisation (tenant_id, kind, name, commune_insee, status, email)
    select t.id, k.kind, k.label || ' ' || t.code, case when k.kind = 'mairie' then (select min(insee) from commune c where c.departement = t.code) end, 'active', k.kind || '@' || t.code || '.bench'
    from tenant t cross join (values ('mission_tic', 'Mission TIC'), ('partner', 'Partenaire'), ('mairie', 'Mairie')) k(kind, label)
    where not exists (select 1 from organisation o where o.tenant_id = t.id)`)
  await owner.query(`
    insert into person (tenant_id, organisation_id, email, name, role)
    select o.tenant_id, o.id, o.kind || '@p' || o.tenant_id || '.bench', 'Personne ' || o.name,
      case o.kind when 'mairie' then 'secretary' when 'partner' then 'referent' else 'network_admin' end
    from organisation o where not exists (select 1 from person p where p.organisation_id = o.id) and o.email like '%.bench'`)
  await owner.query(`insert into theme (tenant_id, code, label) select t.id, 'general', 'Général' from tenant t where not exists (select 1 from theme x where x.tenant_id = t.id)`)
  await owner.query(`
    with t as (
      select t.id as tenant_id, t.code,
        (select array_agg(o.id order by o.id) from organisation o where o.tenant_id = t.id and o.kind = 'mairie') as mairies,
        (select array_agg(o.commune_insee order by o.id) from organisation o where o.tenant_id = t.id and o.kind = 'mairie') as insees,
        (select array_agg(o.id order by o.id) from organisation o where o.tenant_id = t.id and o.kind = 'partner') as partners,
        (select array_agg(x.id order by x.id) from theme x where x.tenant_id = t.id) as themes,
        (select p.id from person p where p.tenant_id = t.id and p.role = 'secretary' order by p.id limit 1) as filer
      from tenant t
    ), g as (
      select t.*, g, now() - (${PER_TENANT} - g) * interval '50 minutes' as at, g % 10 = 0 as open from t cross join generate_series(1, ${PER_TENANT}) g
    )
    insert into referral (tenant_id, reference, mairie_organisation_id, filed_by_person_id, theme_id, commune_insee, question, citizen_name,
      citizen_preferred_channel, status, holder_organisation_id, filed_at, clock_started_at, due_at, next_step, next_step_at, sla_met_at, closed_at)
    select tenant_id, code || '-2020-' || lpad(g::text, 7, '0'), mairies[1 + g % cardinality(mairies)], filer, themes[1 + g % cardinality(themes)],
      insees[1 + g % cardinality(insees)], 'Question générée', 'Usager ' || g, 'email',
      case when open then (array['submitted', 'assigned', 'assigned', 'awaiting_info'])[1 + (g / 10) % 4] else (array['answered', 'closed', 'closed', 'closed', 'cancelled'])[1 + g % 5] end,
      partners[1 + (g / 7) % cardinality(partners)], at, at, at + interval '3 days',
      case when open then 'escalation-1' end, case when open then now() + interval '2 days' + g * interval '1 second' end,
      case when not open and g % 5 <> 4 then at + interval '1 day' end, case when not open and g % 5 <> 0 then at + interval '2 days' end
    from g`)
  await owner.query(`set session_replication_role = origin`)
  await owner.query('vacuum analyze')
  const counts = (await owner.query(`select count(*) as all, count(*) filter (where status in ('submitted', 'assigned', 'awaiting_info')) as open, count(distinct tenant_id) as tenants from referral`)).rows[0]
  console.log(`size: generated ${counts.tenants} tenants, ${counts.all} referrals (${counts.open} open) in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

/**
 * Walks a list page after page (wrapping to the first page at the end), ROUNDS requests, each beside a request of the
 * same person to GET /api/v1/me (authentication and one tenant transaction): the floor of this machine at this moment.
 */
async function walk(name: string, get: (cursor: string | null) => Promise<string | null>, floor: () => Promise<void>) {
  const times: number[] = []
  const floors: number[] = []
  let cursor: string | null = null
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now()
    cursor = await get(cursor)
    times.push(performance.now() - t0)
    const t1 = performance.now()
    await floor()
    floors.push(performance.now() - t1)
  }
  times.sort((a, b) => a - b)
  floors.sort((a, b) => a - b)
  console.log(`size: ${name}: p50 ${ms(percentile(times, 50))}, p95 ${ms(percentile(times, 95))}, max ${ms(times[times.length - 1])} over ${ROUNDS} pages (aim p95 <= 100 ms); GET /me beside it: p50 ${ms(percentile(floors, 50))}, p95 ${ms(percentile(floors, 95))}`)
  return percentile(times, 95)
}

async function lists(app: FastifyInstance, owner: pg.Client) {
  const sizes = (await owner.query(`
    select (select count(*) from referral r join organisation o on o.id = r.holder_organisation_id where o.email = 'contact@caf36.demo') as inbox,
      (select count(*) from referral r join organisation o on o.id = r.holder_organisation_id where o.email = 'contact@caf36.demo' and r.status in ('submitted', 'assigned', 'awaiting_info')) as inbox_open,
      (select count(*) from referral r join organisation o on o.id = r.mairie_organisation_id where o.kind = 'mairie' and o.commune_insee = '36005') as mairie,
      (select count(*) from referral r join tenant t on t.id = r.tenant_id where t.code = '36') as network`)).rows[0]
  console.log(`size: lists of tenant 36: the CAF's inbox holds ${sizes.inbox} (${sizes.inbox_open} open), the Ardentes mairie filed ${sizes.mairie}, the network ${sizes.network}`)
  const api = async (headers: Record<string, string>, query: string) => async (cursor: string | null) => {
    const res = await app.inject({ url: `/api/v1/referrals?${query}&limit=50${cursor ? `&cursor=${cursor}` : ''}`, headers })
    if (res.statusCode !== 200) throw new Error(`${query}: ${res.statusCode} ${res.body.slice(0, 300)}`)
    return res.json().nextCursor
  }
  const page = (v: Visitor, first: string) => async (cursor: string | null) => {
    const res = await v.get(cursor ?? first)
    if (res.statusCode !== 200) throw new Error(`${first}: ${res.statusCode}`)
    const next = /<a href="([^"]+)" rel="next">Suivantes<\/a>/.exec(res.body)
    return next ? next[1].replaceAll('&#x3D;', '=').replaceAll('&amp;', '&') : null
  }
  const visitor = async (email: string) => { const v = new Visitor(app); await v.login(email); return v }
  const referent = await bearer(app, 'referent@caf36.demo')
  const secretary = await bearer(app, 'secretaire@ardentes.demo')
  const tic = await bearer(app, 'tic@indre.demo')
  const me = (headers: Record<string, string>) => async () => { const res = await app.inject({ url: '/api/v1/me', headers }); if (res.statusCode !== 200) throw new Error(res.body) }
  const p95 = [
    await walk('API partner inbox (open, by deadline)', await api(referent, 'sort=inbox&open=true'), me(referent)),
    await walk('API partner, all (newest first)', await api(referent, 'sort=newest'), me(referent)),
    await walk('API mairie follow-up', await api(secretary, 'sort=follow_up'), me(secretary)),
    await walk('API mission TIC, whole network (newest first)', await api(tic, 'sort=newest'), me(tic)),
    await walk('page partner inbox « À traiter »', page(await visitor('referent@caf36.demo'), '/saisines'), me(referent)),
    await walk('page partner « Toutes »', page(await visitor('referent@caf36.demo'), '/saisines?vue=toutes'), me(referent)),
    await walk('page mairie « Saisines de la mairie »', page(await visitor('secretaire@ardentes.demo'), '/saisines'), me(secretary)),
    await walk('page mission TIC « Toutes »', page(await visitor('tic@indre.demo'), '/saisines?vue=toutes'), me(tic)),
    await walk('page mission TIC filtered (theme, overdue)', page(await visitor('tic@indre.demo'), '/saisines?vue=toutes&theme=aides-caf&retard=1'), me(tic)),
  ]
  console.log(`size: worst list p95 ${ms(Math.max(...p95))} (aim <= 100 ms)`)
}

async function rate(url: string, opts: { headers?: Record<string, string>; body: string }) {
  const r = await autocannon({ url, method: 'POST', connections: 10, duration: DURATION, headers: { 'content-type': 'application/json', ...opts.headers }, body: opts.body })
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors }
}

async function filing(env: TestEnv, app: FastifyInstance, owner: pg.Client) {
  const apiUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v1/referrals`
  const auth = await bearer(app, 'secretaire@ardentes.demo')
  const caf = (await owner.query(`select p.id, p.tenant_id, p.organisation_id from person p where p.email = 'referent@caf36.demo'`)).rows[0]
  const tpl = (await owner.query(`select * from referral where tenant_id = $1 and holder_organisation_id = $2 limit 1`, [caf.tenant_id, caf.organisation_id])).rows[0]
  // The referent's own backlog: 10 open now, 10,000 for the second run.
  const backlog = async (n: number) => {
    await owner.query(`update referral set holder_person_id = null where holder_person_id = $1`, [caf.id])
    await owner.query(`update referral set holder_person_id = $1 where id in (select id from referral where tenant_id = $2 and holder_organisation_id = $3 and status in ('submitted', 'assigned', 'awaiting_info') order by id limit $4)`, [caf.id, caf.tenant_id, caf.organisation_id, n])
    const have = Number((await owner.query(`select count(*) from referral where holder_person_id = $1 and status in ('submitted', 'assigned', 'awaiting_info')`, [caf.id])).rows[0].count)
    if (have < n) {
      await owner.query(`
        insert into referral (tenant_id, reference, mairie_organisation_id, filed_by_person_id, theme_id, commune_insee, question, citizen_name,
          citizen_preferred_channel, status, holder_organisation_id, holder_person_id, filed_at, clock_started_at, due_at)
        select tenant_id, '36-2021-B' || lpad(g::text, 6, '0') || substr(md5(random()::text), 1, 4), mairie_organisation_id, filed_by_person_id, theme_id, commune_insee, question, citizen_name,
          'email', 'assigned', holder_organisation_id, $2, now() - interval '30 days', now() - interval '30 days', now() - interval '27 days'
        from referral, generate_series(1, $3) g where id = $1`, [tpl.id, caf.id, n - have])
    }
    await owner.query('analyze referral')
  }

  // The bare route: the same transaction shape as a filing, written by hand.
  const barePool = new pg.Pool({ connectionString: env.config.APP_DATABASE_URL, max: 10 })
  const bare = Fastify()
  bare.post('/file', async () => {
    const c = await barePool.connect()
    try {
      await c.query(`begin; select set_config('app.tenant_id', '${caf.tenant_id}', true)`)
      const theme = (await c.query(`select id from theme where tenant_id = $1 and code = 'aides-caf'`, [caf.tenant_id])).rows[0]
      const n = (await c.query(`select nextval('referral_number_seq') as n`)).rows[0].n
      const id = randomUUID()
      await c.query(`insert into referral (id, tenant_id, reference, mairie_organisation_id, filed_by_person_id, theme_id, commune_insee, question, citizen_name,
          citizen_preferred_channel, status, holder_organisation_id, holder_person_id, filed_at, clock_started_at, due_at, next_step, next_step_at)
        values ($1, $2, '36-2099-' || $3, $4, $5, $6, $7, $8, $9, 'email', 'assigned', $10, $11, now(), now(), now() + interval '3 days', 'reminder', now() + interval '2 days')`,
      [id, caf.tenant_id, n, tpl.mairie_organisation_id, tpl.filed_by_person_id, theme.id, tpl.commune_insee, sampleReferral.question, sampleReferral.citizen.name, caf.organisation_id, caf.id])
      await c.query(`insert into referral_event (tenant_id, referral_id, seq, at, kind, data, prev_hash, hash) values ($1, $2, 0, now(), 'filed', '{}', 'x', 'y'), ($1, $2, 1, now(), 'assigned', '{}', 'y', 'z')`, [caf.tenant_id, id])
      await c.query(`insert into outbox (tenant_id, referral_id, kind, recipient_email, created_at, next_attempt_at, message_id, sent_at) values ($1, $2, 'referral_new', 'x@example.org', now(), now(), $3, now())`, [caf.tenant_id, id, `<${id}@bench>`])
      await c.query('commit')
      return { id }
    } catch (err) { await c.query('rollback'); throw err } finally { c.release() }
  })
  await bare.listen({ port: 0, host: '127.0.0.1' })
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}/file`

  const body = JSON.stringify(sampleReferral)
  await backlog(10)
  // Warm-up (connections, JIT, plans), not counted.
  await autocannon({ url: bareUrl, method: 'POST', connections: 10, duration: 2, headers: { 'content-type': 'application/json' }, body })
  await autocannon({ url: apiUrl, method: 'POST', connections: 10, duration: 2, headers: { 'content-type': 'application/json', ...auth }, body })
  await backlog(10)
  const baseline = await rate(bareUrl, { body })
  const small = await rate(apiUrl, { headers: auth, body })
  await backlog(10_000)
  const large = await rate(apiUrl, { headers: auth, body })
  console.log(`size: bare route, same transaction shape: ${baseline.rps.toFixed(0)} /s (p99 ${baseline.p99} ms, non-2xx ${baseline.non2xx})`)
  console.log(`size: filing with 10 open on the referent: ${small.rps.toFixed(0)} /s (p99 ${small.p99} ms, non-2xx ${small.non2xx}, errors ${small.errors})`)
  console.log(`size: filing with 10,000 open on the referent: ${large.rps.toFixed(0)} /s (p99 ${large.p99} ms, non-2xx ${large.non2xx}, errors ${large.errors})`)
  console.log(`size: ratio 10,000/10 open: ${(large.rps / small.rps).toFixed(2)} (aim ~1); filing/bare: ${(small.rps / baseline.rps).toFixed(2)} and ${(large.rps / baseline.rps).toFixed(2)} (aim >= 0.5)`)
  await bare.close()
  await barePool.end()
}

/** A policy change over 100,000 running clocks of one tenant: the answer, then the worker's batches. */
async function recompute(env: TestEnv, app: FastifyInstance, owner: pg.Client) {
  const tenant = (await owner.query(`select id from tenant where code = '36'`)).rows[0].id
  const have = Number((await owner.query(`select count(*) from referral where tenant_id = $1 and status in ('submitted', 'assigned', 'awaiting_info')`, [tenant])).rows[0].count)
  const tpl = (await owner.query(`select id from referral where tenant_id = $1 limit 1`, [tenant])).rows[0]
  if (have < 100_000) {
    await owner.query(`
      insert into referral (tenant_id, reference, mairie_organisation_id, filed_by_person_id, theme_id, commune_insee, question, citizen_name,
        citizen_preferred_channel, status, holder_organisation_id, filed_at, clock_started_at, due_at)
      select tenant_id, '36-2022-C' || lpad(g::text, 6, '0'), mairie_organisation_id, filed_by_person_id, theme_id, commune_insee, question, citizen_name,
        'email', 'assigned', holder_organisation_id, now() - g * interval '1 minute', now() - g * interval '1 minute', now()
      from referral, generate_series(1, $2) g where id = $1`, [tpl.id, 100_000 - have])
    await owner.query('vacuum analyze referral')
  }
  const running = Number((await owner.query(`select count(*) from referral where tenant_id = $1 and status in ('submitted', 'assigned', 'awaiting_info')`, [tenant])).rows[0].count)
  const tic = await bearer(app, 'tic@indre.demo')
  const t0 = performance.now()
  const put = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: tic, payload: { responseMinutes: 4320, clockMode: 'working_days', reminderBeforeMinutes: 480, escalations: [{ afterDueMinutes: 0, notify: ['org_admins'] }, { afterDueMinutes: 1440, notify: ['mission_tic'] }] } })
  const answerMs = performance.now() - t0
  if (put.statusCode !== 200) throw new Error(put.body)
  const pool = createPool(env.config.APP_DATABASE_URL, 4)
  const db = createKysely(pool)
  const batches: number[] = []
  const t1 = performance.now()
  const done = await runRecomputes(db, { maxBatches: 100_000, onBatch: (ms) => batches.push(ms) })
  const workMs = performance.now() - t1
  await pool.end()
  batches.sort((a, b) => a - b)
  const stale = Number((await owner.query(`select count(*) from sla_recompute where done_at is null`)).rows[0].count)
  console.log(`size: policy change over ${running} running clocks of one tenant: answered in ${ms(answerMs)}; the worker recomputed ${done} more in ${(workMs / 1000).toFixed(1)} s (${(done / (workMs / 1000)).toFixed(0)} /s, aim < 60 s for 100,000) in ${batches.length} batches: p50 ${ms(percentile(batches, 50))}, max ${ms(batches[batches.length - 1] ?? 0)} (each row locked for one batch only); pending after: ${stale}`)
}

export async function benchSize() {
  const env = await createTestEnv()
  const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
  await owner.connect()
  const app = await buildApp(env.config, { logger: false })
  try {
    await app.listen({ port: 0, host: '127.0.0.1' })
    await generateNetwork(owner)
    // BENCH_SIZE_PARTS: lists, filing, recompute, or none (only generate; with BENCH_KEEP_DB, to look at plans).
    const parts = process.env.BENCH_SIZE_PARTS ?? 'lists,filing,recompute'
    if (parts.includes('lists')) await lists(app, owner)
    if (parts.includes('filing')) await filing(env, app, owner)
    if (parts.includes('recompute')) await recompute(env, app, owner)
  } finally {
    await app.close()
    await owner.end()
    if (process.env.BENCH_KEEP_DB) console.log(`size: kept database ${env.name}`)
    else await env.drop()
  }
}

const backendCpu = new Map<number, number>()
/** CPU milliseconds the database's backends used since `since` (a previous call's result), read from /proc. */
async function backendCpuMs(owner: pg.Client, since = 0): Promise<number> {
  const pids = (await owner.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).rows.map((r) => r.pid)
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')
      backendCpu.set(pid, (Number(fields[11]) + Number(fields[12])) * 10)
    } catch { /* gone meanwhile: its last reading stays */ }
  }
  return [...backendCpu.values()].reduce((a, b) => a + b, 0) - since
}

/**
 * `BENCH_ONLY=mail`: the worker drains a backlog of filing mails to a local SMTP server (the mail sink), then a
 * steady 20 filings/s measure filing → mail accepted. Its own database; filings go through the API.
 */
export async function benchMail() {
  const { MailSink } = await import('@relais/mail/sink')
  const { startWorker } = await import('@relais/worker/worker')
  const pino = (await import('pino')).default
  const sink = new MailSink({ httpPort: null, smtpPort: 0 })
  const { smtpUrl } = await sink.start()
  const env = await createTestEnv({ SMTP_URL: smtpUrl })
  const app = await buildApp(env.config, { logger: false })
  const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
  await owner.connect()
  try {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v1/referrals`
    const auth = await bearer(app, 'secretaire@ardentes.demo')
    const N = Number(process.env.BENCH_MAILS ?? 2000)
    // The backlog: N filings with no worker running, each with its mail waiting in the outbox.
    await autocannon({ url, method: 'POST', connections: 10, amount: N, headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(sampleReferral) })
    const waiting = Number((await owner.query('select count(*) from outbox where sent_at is null and failed_at is null')).rows[0].count)
    sink.clear()
    // CPU spent per mail, by this process (worker, and the SMTP sink it hosts) and by the database's backends: unlike
    // mails/s, hardly moved by what else the machine runs.
    const pgCpu0 = await backendCpuMs(owner)
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const worker = await startWorker(env.config, { relayIntervalMs: 100, sweepIntervalMs: 3_600_000, log: pino({ level: 'silent' }) })
    const until = Date.now() + Number(process.env.BENCH_DRAIN_SECONDS ?? 300) * 1000
    while (Date.now() < until && Number((await owner.query('select count(*) from outbox where sent_at is null and failed_at is null')).rows[0].count) > 0) await new Promise((r) => setTimeout(r, 100))
    const drainS = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const pgCpu = await backendCpuMs(owner, pgCpu0)
    const sent = Number((await owner.query('select count(*) from outbox where sent_at is not null')).rows[0].count)
    console.log(`mail: the worker drained ${waiting} mails to the local SMTP server in ${drainS.toFixed(1)} s: ${(sent / drainS).toFixed(0)} mails/s (aim >= 200; the sink received ${sink.messages.length}, ${sent} recorded sent)`)
    console.log(`mail: CPU per mail sent: ${((cpu.user + cpu.system) / 1000 / sent).toFixed(2)} ms in this process (worker and SMTP sink), ${(pgCpu / sent).toFixed(2)} ms in PostgreSQL; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`)

    sink.clear()
    const filedAt = new Map<string, number>()
    const M = Number(process.env.BENCH_LATENCY_MAILS ?? 200)
    for (let i = 0; i < M; i++) {
      const started = Date.now()
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(sampleReferral) })
      filedAt.set((await res.json() as { reference: string }).reference, started)
      await new Promise((r) => setTimeout(r, 50))
    }
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && [...filedAt.keys()].some((ref) => !sink.messages.some((m) => m.subject.includes(ref)))) await new Promise((r) => setTimeout(r, 50))
    const latencies = [...filedAt].map(([ref, at]) => {
      const m = sink.messages.find((x) => x.subject.includes(ref))
      return m ? m.receivedAt.getTime() - at : Number.POSITIVE_INFINITY
    }).sort((a, b) => a - b)
    console.log(`mail: filing → mail accepted over ${M} referrals at 20/s: p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms (aim p95 <= 1000 ms)`)
    await worker.close()
  } finally {
    await app.close()
    await owner.end()
    await sink.stop()
    await env.drop()
  }
}

/**
 * `BENCH_ONLY=sweep`: one SLA sweep tick at 1,000, 10,000 and 100,000 open referrals, the same number due each time
 * (BENCH_SWEEP_DUE, default 200 reminders): its work follows what is due, not what is open. Also a tick with nothing
 * due at each size (the cost of looking).
 */
export async function benchSweep() {
  const { startWorker } = await import('@relais/worker/worker')
  const pino = (await import('pino')).default
  const env = await createTestEnv()
  const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
  await owner.connect()
  const DUE = Number(process.env.BENCH_SWEEP_DUE ?? 200)
  const sweeper = await startWorker(env.config, { relayIntervalMs: 3_600_000, sweepIntervalMs: 3_600_000, timelineIntervalMs: 3_600_000, processJobs: false, log: pino({ level: 'silent' }) })
  try {
    const tenant = (await owner.query(`select id from tenant where code = '36'`)).rows[0].id
    const tpl = (await owner.query(`
      select m.organisation_id as mairie_organisation_id, m.id as filed_by_person_id, o.commune_insee, t.id as theme_id,
        h.organisation_id as holder_organisation_id, h.id as holder_person_id
      from person m join organisation o on o.id = m.organisation_id, person h, theme t
      where m.email = 'secretaire@ardentes.demo' and h.email = 'referent@caf36.demo' and t.tenant_id = $1 and t.code = 'aides-caf'`, [tenant])).rows[0]
    let made = 0
    const add = async (n: number, due: boolean) => {
      // Generated rows: the owner skips the triggers (the referent's open counter is not what this measures).
      await owner.query(`set session_replication_role = replica`)
      await owner.query(`
        insert into referral (tenant_id, reference, mairie_organisation_id, filed_by_person_id, theme_id, commune_insee, question, citizen_name,
          citizen_preferred_channel, status, holder_organisation_id, holder_person_id, filed_at, clock_started_at, due_at, next_step, next_step_at)
        select $1, '36-2019-S' || lpad((g + $9)::text, 7, '0'), $2, $3, $4, $5, 'Question de charge', 'Usager', 'email', 'assigned', $6, $7,
          now() - interval '1 day', now() - interval '1 day', now() + interval '2 days', 'reminder',
          case when $8 then now() - interval '1 minute' else now() + interval '1 day' + (g || ' seconds')::interval end
        from generate_series(1, $10::int) g`,
      [tenant, tpl.mairie_organisation_id, tpl.filed_by_person_id, tpl.theme_id, tpl.commune_insee, tpl.holder_organisation_id, tpl.holder_person_id, due, made, n])
      await owner.query(`set session_replication_role = origin`)
      made += n
    }
    const open = async () => Number((await owner.query(`select count(*) from referral where status in ('submitted', 'assigned', 'awaiting_info')`)).rows[0].count)
    const rows: string[] = []
    for (const size of [1_000, 10_000, 100_000]) {
      const have = await open()
      if (have < size - DUE) await add(size - DUE - have, false)
      await owner.query('vacuum analyze referral')
      const idleStart = performance.now()
      await sweeper.sweepOnce()
      const idleMs = performance.now() - idleStart
      await add(DUE, true)
      await owner.query('analyze referral')
      const start = performance.now()
      const done = await sweeper.sweepOnce()
      const ms = performance.now() - start
      rows.push(`${await open()} open, ${done} due: tick ${ms.toFixed(0)} ms (${(ms / Math.max(1, done)).toFixed(1)} ms per step); nothing due: ${idleMs.toFixed(1)} ms`)
      console.log(`sweep: ${rows[rows.length - 1]}`)
    }
  } finally {
    await sweeper.close()
    await owner.end()
    await env.drop()
  }
}
