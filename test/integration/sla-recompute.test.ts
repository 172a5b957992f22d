// Saving an SLA policy answers at once: the request recomputes the first batch of running clocks, the worker the rest,
// set-wise (a few statements per batch), with the same result as recomputing each referral from its timeline.
import t from 'tap'
import pg from 'pg'
import pino from 'pino'
import { buildApp } from '@relais/api/app'
import { startWorker } from '@relais/worker/worker'
import { RECOMPUTE_BATCH, RECOMPUTE_FIRST_BATCH } from '@relais/referrals'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock, sampleReferral } from '../helpers/journey.ts'

const env = await createTestEnv()
const clock = manualClock('2026-11-24T09:00:00Z')
const app = await buildApp(env.config, { logger: false, clock: clock.now })
// The worker's timers are far away: the test runs its recomputation by hand, once it has looked at what the request did.
const worker = await startWorker(env.config, { clock: clock.now, relayIntervalMs: 3_600_000, sweepIntervalMs: 3_600_000, recomputeIntervalMs: 3_600_000, log: pino({ level: 'silent' }) })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const referent = await bearer(app, 'referent@caf36.demo')
const tic = await bearer(app, 'tic@indre.demo')
const allDay = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ opens: '00:00', closes: '24:00' }]]))
const policy = (minutes: number) => ({ responseMinutes: minutes, clockMode: 'calendar', reminderBeforeMinutes: 30, openingHours: allDay, escalations: [{ afterDueMinutes: 0, notify: ['org_admins'] }] })

t.teardown(async () => { await owner.end(); await worker.close(); await app.close(); await env.drop() })

t.test('a policy change over more running clocks than a batch: the request does one batch, the worker the rest', async (t) => {
  // One referral paused 30 minutes for information: its deadline moves by the pause.
  const filed = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: sampleReferral })
  t.equal(filed.statusCode, 201)
  const paused = filed.json().id as string
  clock.advanceMinutes(10)
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/referrals/${paused}/request-info`, headers: referent, payload: { body: 'Quelle date ?' } })).statusCode, 200)
  clock.advanceMinutes(30)
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/referrals/${paused}/provide-info`, headers: secretary, payload: { body: 'Le 3 mars.' } })).statusCode, 200)
  const tpl = (await owner.query('select * from referral where id = $1', [paused])).rows[0]
  const extra = RECOMPUTE_BATCH * 2 + 500
  await owner.query(`
    insert into referral (tenant_id, reference, mairie_organisation_id, filed_by_person_id, theme_id, commune_insee, question, citizen_name,
      citizen_preferred_channel, status, holder_organisation_id, holder_person_id, filed_at, clock_started_at, due_at, next_step, next_step_at)
    select tenant_id, '36-2026-R' || lpad(g::text, 6, '0'), mairie_organisation_id, filed_by_person_id, theme_id, commune_insee, question, citizen_name,
      'email', 'assigned', holder_organisation_id, holder_person_id, clock_started_at + g * interval '1 second', clock_started_at + g * interval '1 second', null, null, null
    from referral, generate_series(1, $2) g where id = $1`, [paused, extra])
  // Answered ones keep their deadline: their SLA is met.
  await owner.query(`update referral set status = 'answered', sla_met_at = filed_at + interval '1 hour', due_at = timestamptz '2000-01-01' where reference like '36-2026-R%' and right(reference, 1) = '7'`)
  const running = Number((await owner.query(`select count(*) from referral where status in ('submitted', 'assigned', 'awaiting_info') and sla_met_at is null`)).rows[0].count)
  t.ok(running > RECOMPUTE_BATCH * 2, `${running} running clocks`)

  const started = performance.now()
  const put = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy', headers: tic, payload: policy(120) })
  const answeredMs = performance.now() - started
  t.equal(put.statusCode, 200, put.body)
  t.comment(`PUT /sla-policy with ${running} running clocks answered in ${answeredMs.toFixed(0)} ms`)
  const job = (await owner.query(`select * from sla_recompute order by id desc limit 1`)).rows[0]
  t.equal(job.done_count, RECOMPUTE_FIRST_BATCH, 'the request recomputed a first batch')
  t.equal(job.done_at, null, 'the rest is left to the worker')
  const stale = async () => Number((await owner.query(`select count(*) from referral where status in ('submitted', 'assigned', 'awaiting_info') and sla_met_at is null
    and due_at is distinct from clock_started_at + interval '120 minutes' + case when id = $1 then interval '30 minutes' else interval '0' end`, [paused])).rows[0].count)
  t.equal(await stale(), running - RECOMPUTE_FIRST_BATCH, 'the others wait for the worker')

  const done = await worker.recomputeOnce()
  t.equal(done, running - RECOMPUTE_FIRST_BATCH, 'the worker recomputed the rest (in batches of RECOMPUTE_BATCH)')
  t.equal(await stale(), 0, 'every running clock has the new deadline (the paused one 30 minutes later)')
  const after = (await owner.query(`select * from sla_recompute where id = $1`, [job.id])).rows[0]
  t.ok(after.done_at, 'done')
  t.equal(after.done_count, running)
  const steps = (await owner.query(`select count(*) filter (where next_step = 'reminder' and next_step_at = due_at - interval '30 minutes') as ok, count(*) as n
    from referral where status in ('submitted', 'assigned') and sla_met_at is null`)).rows[0]
  t.equal(Number(steps.ok), Number(steps.n), 'the next step is the reminder, 30 minutes before the deadline')
  const met = (await owner.query(`select count(*) from referral where status = 'answered' and due_at = timestamptz '2000-01-01'`)).rows[0]
  t.ok(Number(met.count) > 0, 'met SLAs are left alone')
  t.equal(await worker.recomputeOnce(), 0, 'nothing left: a second run finds nothing to do')
  const detail = (await app.inject({ url: `/api/v1/referrals/${paused}`, headers: tic })).json()
  t.equal(detail.dueAt, '2026-11-24T11:30:00.000Z', 'filed 09:00, 120 minutes, paused 30 minutes')
})

t.test('a theme policy recomputes that theme only; a small network is done before the answer', async (t) => {
  const before = (await owner.query(`select count(*) from sla_recompute where done_at is null`)).rows[0].count
  t.equal(Number(before), 0)
  const put = await app.inject({ method: 'PUT', url: '/api/v1/sla-policy/themes/etat-civil', headers: tic, payload: policy(60) })
  t.equal(put.statusCode, 200, put.body)
  const job = (await owner.query(`select * from sla_recompute order by id desc limit 1`)).rows[0]
  t.ok(job.theme_id, 'a theme')
  t.ok(job.done_at, 'no running clock of that theme: done at once')
  t.equal(job.done_count, 0)
})
