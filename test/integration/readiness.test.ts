// The readiness check shares the pool with Kysely, whose clients send some statements as named prepared statements:
// a client used by a request (login, filing) must still answer the check's pool.query() (which passes a callback).
import t from 'tap'
import { buildApp } from '@relais/api/app'
import { sql } from '@relais/db'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, sampleReferral } from '../helpers/journey.ts'

const env = await createTestEnv({ DB_POOL_MAX: '2' })
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })

t.test('ready before and after requests that used every pooled connection', async (t) => {
  // Redis connects in the background after start: wait for the first ready answer (at most 10 s).
  let first = 0
  for (let i = 0; i < 100 && first !== 200; i++) {
    first = (await app.inject('/health/ready')).statusCode
    if (first !== 200) await new Promise((r) => setTimeout(r, 100))
  }
  t.equal(first, 200, 'ready at start')
  const secretary = await bearer(app, 'secretaire@ardentes.demo')
  t.equal((await app.inject('/health/ready')).statusCode, 200, 'ready after a login')
  // Two filings at once hold both connections; the routing snapshot is a named prepared statement.
  const filed = await Promise.all([1, 2].map(() => app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: sampleReferral })))
  t.same(filed.map((r) => r.statusCode), [201, 201])
  for (let i = 0; i < 3; i++) t.equal((await app.inject('/health/ready')).statusCode, 200, `ready after the filings (${i + 1})`)
  // Both connections served a filing at once, so each holds the snapshot as a named statement.
  for (let i = 0; i < 2; i++) {
    const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(app.db)
    // Named after the statement plus a digest of its text (runPrepared).
    const snapshot = rows.map((r) => r.name).filter((n) => /^routing_snapshot_[0-9a-f]{12}$/.test(n))
    t.equal(snapshot.length, 1, 'the routing snapshot is prepared on the connection')
  }
})
