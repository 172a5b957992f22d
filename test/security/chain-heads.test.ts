import t from 'tap'
import pg from 'pg'
import pino from 'pino'
import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { buildApp } from '@relais/api/app'
import { publishChainHeads } from '@relais/referrals'
import { MailSink } from '@relais/mail/sink'
import { startWorker } from '@relais/worker/worker'
import { configEnv } from '../helpers/processes.ts'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock, sampleReferral } from '../helpers/journey.ts'

// Each tenant's chain heads are published once a day, signed with the timeline key, into an append-only table and by
// mail to the mission TIC. An owner who rewrites an old event and recomputes the chain without key passes the
// per-referral check with `--ancien`, but not the heads published before: verify-chain names the tenant.

const sink = new MailSink({ httpPort: null, smtpPort: 0 })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl })
const clock = manualClock('2026-11-24T09:00:00Z')
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
const appRole = new pg.Client({ connectionString: env.config.APP_DATABASE_URL })
await owner.connect()
await appRole.connect()
t.teardown(async () => { await appRole.end(); await owner.end(); await app.close(); await sink.stop(); await env.drop() })
const root = fileURLToPath(new URL('../../', import.meta.url))

function verifyChainCli(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/verify-chain.ts', ...args], { cwd: root, env: { ...process.env, ...configEnv(env.config) } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` })
    })
  })
}

/** The attacker's tool: the chain's published algorithm, recomputed as plain SHA-256 without key from event 1. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  const obj = value as Record<string, unknown>
  return `{${Object.keys(obj).filter((k) => obj[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`
}
interface EventRow { id: string; seq: number; at: Date; actor_person_id: string | null; actor_organisation_id: string | null; kind: string; data: Record<string, unknown> }
async function recomputeWithoutKey(referralId: string) {
  const rows = (await owner.query<EventRow>('select * from referral_event where referral_id = $1 order by seq', [referralId])).rows
  let prev = '0'.repeat(64)
  for (const e of rows) {
    const content = canonical({ referralId, seq: e.seq, at: e.at.toISOString(), actorPersonId: e.actor_person_id, actorOrganisationId: e.actor_organisation_id, kind: e.kind, data: e.data })
    const hash = createHash('sha256').update(prev).update('\n').update(content).digest('hex')
    await owner.query('update referral_event set prev_hash = $1, hash = $2, key_id = null, sealed = null where id = $3', [prev, hash, e.id])
    prev = hash
  }
}

async function answered() {
  const filed = (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: await bearer(app, 'secretaire@ardentes.demo'), payload: sampleReferral })).json()
  const res = await app.inject({ method: 'POST', url: `/api/v1/referrals/${filed.id}/answer`, headers: await bearer(app, 'referent@caf36.demo'), payload: { body: 'Oui : l’allocation est due.' } })
  if (res.statusCode !== 200) throw new Error(res.body)
  return filed as { id: string; reference: string }
}

const first = await answered()
const second = await answered()
const tenant36 = (await owner.query<{ id: string }>(`select id from tenant where code = '36'`)).rows[0].id
const digests = async () => (await owner.query<{ tenant_id: string; day: string; referrals: number; digest: string; signature: string; key_id: string }>(
  `select tenant_id, to_char(day, 'YYYY-MM-DD') as day, referrals, digest, signature, key_id from chain_head_digest order by day, tenant_id`)).rows

t.test('the worker publishes each tenant’s heads once a day and mails the signed digest to the mission TIC', async (t) => {
  const worker = await startWorker(env.config, { clock: clock.now, relayIntervalMs: 50, sweepIntervalMs: 60_000, headsIntervalMs: 50, log: pino({ level: 'silent' }) })
  try {
    const mail = await sink.waitFor((m) => m.to.includes('tic@indre.demo') && m.headers['x-relais-kind'] === 'chain_heads', 10_000)
    const [row] = (await digests()).filter((d) => d.tenant_id === tenant36)
    t.ok(row, 'the tenant’s digest is stored')
    t.equal(row.day, '2026-11-24')
    t.ok(row.referrals >= 2, 'it covers the referrals filed')
    t.ok(mail.text.includes(row.digest) && mail.text.includes(row.signature) && mail.text.includes(row.key_id), 'the mail carries the digest, its signature and key id')
    t.match(mail.subject, /Empreinte signée des historiques du 2026-11-24/)
    t.ok(mail.html.includes(row.digest), 'and the HTML part too')
    await new Promise((r) => setTimeout(r, 400)) // several more ticks of the daily loop
    t.equal((await digests()).filter((d) => d.tenant_id === tenant36).length, 1, 'published once for the day, however many ticks')
    t.equal(await publishChainHeads(worker.db, clock.now()), 0, 'a second publication the same day is a no-op')
    const mails = (await owner.query<{ n: string }>(`select count(*) as n from outbox where kind = 'chain_heads' and tenant_id = $1`, [tenant36])).rows[0].n
    t.equal(Number(mails), 1, 'one mail per mission TIC admin and day')
  } finally {
    await worker.close()
  }
})

t.test('untouched timelines match the published heads', async (t) => {
  const { code, out } = await verifyChainCli('36')
  t.equal(code, 0, out)
  t.match(out, 'Département 36 : têtes de chaîne conformes à l’empreinte publiée le 2026-11-24.')
})

t.test('the owner rewrites an old event and recomputes the chain without key: the tenant whose heads differ is named', async (t) => {
  clock.advanceMinutes(60)
  await answered() // the timelines keep growing after the publication: that alone is no mismatch
  await owner.query(`update referral_event set data = jsonb_set(data, '{body}', '"Non : rien n’est dû."') where referral_id = $1 and kind = 'answered'`, [first.id])
  await recomputeWithoutKey(first.id)
  const legacy = await verifyChainCli(first.reference, '--ancien')
  t.notMatch(legacy.out, 'chaîne rompue', 'the referral alone passes as older than the key')
  const { code, out } = await verifyChainCli('--ancien')
  t.comment(`owner recomputed a chain without key, verify-chain --ancien: ${out.trim().split('\n').filter((l) => l.includes('têtes')).join(' | ')}`)
  t.equal(code, 1, 'verify-chain fails')
  t.match(out, `Département 36 : têtes de chaîne différentes de l’empreinte publiée le 2026-11-24 : 1 saisine(s) ne correspondent plus aux têtes publiées (${first.reference})`)
  t.notMatch(out, second.reference, 'the untouched referral is not named')
})

t.test('chain_head_digest is append-only: the app role and the owner cannot rewrite it while the trigger stands', async (t) => {
  const refused = async (client: pg.Client, statement: string) => {
    await client.query('begin')
    try {
      await client.query(`select set_config('app.tenant_id', $1, true)`, [tenant36])
      await client.query(statement)
      return null
    } catch (err) {
      return (err as { code?: string; message: string })
    } finally {
      await client.query('rollback')
    }
  }
  for (const [who, client] of [['relais_app', appRole], ['owner', owner]] as const) {
    for (const statement of [`update chain_head_digest set digest = repeat('0', 64)`, 'delete from chain_head_digest', 'truncate chain_head_digest']) {
      const err = await refused(client, statement)
      t.ok(err, `${who}: ${statement} is refused`)
      t.equal(err?.code, '42501', `${who}: ${statement}: ${err?.message}`)
      if (who === 'owner') t.match(err?.message, /ajout seul/, 'by the trigger')
    }
  }
  t.equal((await digests()).filter((d) => d.tenant_id === tenant36).length, 1, 'the digest is still there')
})
