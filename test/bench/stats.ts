// `BENCH_ONLY=stats npm run bench`: the SLA statistics (issue 17) of one tenant on the generated network (size.ts:
// BENCH_TENANTS × BENCH_PER_TENANT referrals, 100 × 10,000 by default), its referrals given a timeline (filing,
// assignment, answers, transfers, information requests, escalations), then for the mission TIC, an org admin and a
// mairie: GET /api/v1/stats and the page /statistiques with varied filters and groupings, p50/p95, each request
// beside GET /api/v1/me of the same person (authentication and one tenant transaction: this machine's floor now).
import pg from 'pg'
import { buildApp } from '@relais/api/app'
import type { FastifyInstance } from 'fastify'
import { createTestEnv } from '../helpers/db.ts'
import { bearer } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'
import { generateNetwork } from './size.ts'
import { STATS_ROLLUP_BACKFILL } from '../../migrations/0110_referral_stats_rollup.ts'

const ROUNDS = Number(process.env.BENCH_STATS_ROUNDS ?? 60)
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const ms = (n: number) => `${n.toFixed(1)} ms`

/** Tenant 36's generated referrals get the timeline the statistics read, as the use cases would have written it. */
async function timelines(owner: pg.Client) {
  const t0 = performance.now()
  const tenant = (await owner.query(`select id from tenant where code = '36'`)).rows[0].id
  await owner.query(`set session_replication_role = replica`)
  // Answered ones took between a few minutes and 5 working days (some late); every 7th was transferred once, every
  // 11th waited for information, every 13th open one escalated.
  await owner.query(`
    update referral r set sla_minutes_taken = m.taken, sla_minutes_vs_target = m.taken - 4320, due_at = r.filed_at + interval '3 days',
      sla_met_at = case when r.sla_met_at is not null then r.filed_at + (m.taken || ' minutes')::interval end
    from (select id, (abs(hashtext(id::text)) % 7200) + 5 as taken from referral where tenant_id = $1) m
    where r.id = m.id and r.sla_met_at is not null`, [tenant])
  await owner.query(`
    insert into referral_event (tenant_id, referral_id, seq, at, kind, data, prev_hash, hash)
    select r.tenant_id, r.id, e.seq, e.at, e.kind, e.data, 'bench', 'bench'
    from (select r.*, row_number() over (order by r.id) as n from referral r where r.tenant_id = $1) r
    cross join lateral (values
      (0, r.filed_at, 'filed', '{}'::jsonb, true),
      (1, r.filed_at, 'assigned', '{"mode":"automatic"}'::jsonb, true),
      (2, r.filed_at + interval '1 hour', 'transferred', '{"reason":"bench"}'::jsonb, r.n % 7 = 0),
      (3, r.filed_at + interval '1 hour', 'assigned', '{"mode":"transfer"}'::jsonb, r.n % 7 = 0),
      (4, r.filed_at + interval '2 hours', 'info_requested', '{"body":"bench"}'::jsonb, r.n % 11 = 0),
      (5, r.filed_at + interval '3 hours', 'info_provided', '{"body":"bench"}'::jsonb, r.n % 11 = 0),
      (6, r.filed_at + interval '3 days', 'escalated', '{"step":"escalation-1","level":1}'::jsonb, r.sla_met_at is null and r.n % 13 = 0),
      (7, coalesce(r.sla_met_at, r.filed_at), case when r.n % 9 = 0 then 'appointment_proposed' else 'answered' end, '{"body":"bench"}'::jsonb, r.sla_met_at is not null),
      (8, coalesce(r.sla_met_at, r.filed_at), 'sla_met', '{}'::jsonb, r.sla_met_at is not null),
      (9, coalesce(r.closed_at, r.filed_at), 'closed', '{}'::jsonb, r.closed_at is not null)
    ) e(seq, at, kind, data, keep)
    where e.keep`, [tenant])
  await owner.query(`set session_replication_role = origin`)
  // Events inserted in bulk (triggers off): the rollup columns as migration 0110 computes them from timelines.
  await owner.query(STATS_ROLLUP_BACKFILL)
  await owner.query('vacuum analyze referral, referral_event')
  const c = (await owner.query(`select (select count(*) from referral where tenant_id = $1) as referrals, (select count(*) from referral_event where tenant_id = $1) as events,
    (select count(*) from referral where tenant_id = $1 and filed_at >= now() - interval '6 months') as read`, [tenant])).rows[0]
  console.log(`stats: tenant 36 has ${c.referrals} referrals with ${c.events} timeline events (${((performance.now() - t0) / 1000).toFixed(1)} s); a 3-month request reads ~${c.read} (the period and the previous one)`)
}

async function measure(name: string, urls: string[], get: (url: string) => Promise<void>, floor: () => Promise<void>) {
  for (const u of urls) await get(u) // warm-up: connections, plans, JIT (not counted)
  const times: number[] = []
  const floors: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now()
    await get(urls[i % urls.length])
    times.push(performance.now() - t0)
    const t1 = performance.now()
    await floor()
    floors.push(performance.now() - t1)
  }
  times.sort((a, b) => a - b)
  floors.sort((a, b) => a - b)
  const p95 = percentile(times, 95)
  const base = percentile(floors, 95)
  console.log(`stats: ${name}: p50 ${ms(percentile(times, 50))}, p95 ${ms(p95)}, max ${ms(times[times.length - 1])} over ${ROUNDS} requests (aim p95 <= 200 ms); GET /me beside it p95 ${ms(base)}, ratio ${(p95 / base).toFixed(1)}`)
  return p95
}

async function run(app: FastifyInstance, owner: pg.Client) {
  const ids = (await owner.query(`
    select (select o.id from organisation o join tenant t on t.id = o.tenant_id where t.code = '36' and o.email = 'contact@caf36.demo') as caf,
      (select o.id from organisation o join tenant t on t.id = o.tenant_id where t.code = '36' and o.kind = 'mairie' and o.commune_insee = '36005') as ardentes`)).rows[0]
  const tic = await bearer(app, 'tic@indre.demo')
  const admin = await bearer(app, 'admin@caf36.demo')
  const secretary = await bearer(app, 'secretaire@ardentes.demo')
  const api = (h: Record<string, string>) => async (url: string) => {
    const res = await app.inject({ url, headers: h })
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`)
  }
  const me = (h: Record<string, string>) => async () => { const res = await app.inject({ url: '/api/v1/me', headers: h }); if (res.statusCode !== 200) throw new Error(res.body) }
  const visitor = async (email: string) => { const v = new Visitor(app); await v.login(email); return v }
  const page = (v: Visitor) => async (url: string) => { const res = await v.get(url); if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`) }
  const year = new Date().getUTCFullYear()
  const ticApi = ['/api/v1/stats', '/api/v1/stats?groupBy=organisation', '/api/v1/stats?groupBy=theme&theme=aides-caf', `/api/v1/stats?organisationId=${ids.caf}&groupBy=commune`,
    `/api/v1/stats?mairieOrganisationId=${ids.ardentes}&groupBy=epci`, `/api/v1/stats?from=${year - 1}-01-01&to=${year - 1}-12-31&groupBy=month`]
  const ticPages = ['/statistiques', '/statistiques?regroupement=organisation', '/statistiques?regroupement=theme&theme=aides-caf', `/statistiques?organisme=${ids.caf}&regroupement=commune`,
    `/statistiques?du=${year - 1}-01-01&au=${year - 1}-12-31`]
  // Where one page request's time goes (Server-Timing: the read and counting, then the charts): the first request builds
  // the charts' vega views, the next ones only change their data, a repeated one finds its charts drawn.
  const split = await visitor('tic@indre.demo')
  for (const [label, url] of [['first page (views built)', '/statistiques?regroupement=theme'], ['other figures (views kept)', '/statistiques?regroupement=commune'], ['same figures (charts cached)', '/statistiques?regroupement=commune']]) {
    const t0 = performance.now()
    const res = await split.get(url)
    console.log(`stats: one page request, ${label}: ${ms(performance.now() - t0)} in all; server-timing ${res.headers['server-timing']}`)
  }
  const p95 = [
    await measure('API mission TIC, six filters and groupings', ticApi, api(tic), me(tic)),
    await measure('API org admin (her organisation beside the network)', ['/api/v1/stats', '/api/v1/stats?groupBy=theme'], api(admin), me(admin)),
    await measure('API mairie', ['/api/v1/stats', '/api/v1/stats?groupBy=month'], api(secretary), me(secretary)),
    await measure('page /statistiques, mission TIC, five filters and groupings (charts rendered)', ticPages, page(await visitor('tic@indre.demo')), me(tic)),
    await measure('page /statistiques, org admin', ['/statistiques', '/statistiques?regroupement=theme'], page(await visitor('admin@caf36.demo')), me(admin)),
    await measure('CSV export of the referral list (mission TIC, 3 months)', ['/statistiques/export?contenu=saisines&format=csv'], page(await visitor('tic@indre.demo')), me(tic)),
  ]
  console.log(`stats: worst p95 ${ms(Math.max(...p95.slice(0, 5)))} for the JSON and the page (aim <= 200 ms)`)
}

export async function benchStats() {
  const env = await createTestEnv()
  const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
  await owner.connect()
  const app = await buildApp(env.config, { logger: false })
  try {
    await generateNetwork(owner)
    await timelines(owner)
    await run(app, owner)
  } finally {
    await app.close()
    await owner.end()
    if (process.env.BENCH_KEEP_DB) console.log(`stats: kept database ${env.name}`)
    else await env.drop()
  }
}
