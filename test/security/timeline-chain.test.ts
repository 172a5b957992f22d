import t from 'tap'
import pg from 'pg'
import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { buildApp } from '@relais/api/app'
import { configEnv } from '../helpers/processes.ts'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, sampleReferral } from '../helpers/journey.ts'

// The timeline is tamper-evident against the database's owner too: an owner who rewrites an answer and recomputes
// the chain (the algorithm is public) is caught, because the hashes are HMACs under a key the database never holds.
// `npm run verify-chain` names the referral, the event and why.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
t.teardown(async () => { await owner.end(); await app.close(); await env.drop() })
const root = fileURLToPath(new URL('../../', import.meta.url))

function verifyChainCli(arg: string, extra: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/verify-chain.ts', arg], { cwd: root, env: { ...process.env, ...configEnv(env.config), ...extra } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` })
    })
  })
}

/** The attacker's tool: the chain's published algorithm (canonical JSON, SHA-256 of previous hash and content). */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  const obj = value as Record<string, unknown>
  return `{${Object.keys(obj).filter((k) => obj[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`
}
interface EventRow { id: string; referral_id: string; seq: number; at: Date; actor_person_id: string | null; actor_organisation_id: string | null; kind: string; data: Record<string, unknown>; key_id?: string | null }
/** Recomputes the hashes from event `from` on, as whoever can write the tables would. */
async function recomputeAsOwner(referralId: string, opts: { dropKey: boolean; from: number }) {
  const rows = (await owner.query<EventRow & { hash: string }>('select * from referral_event where referral_id = $1 order by seq', [referralId])).rows
  let prev = rows.find((e) => e.seq === opts.from - 1)?.hash ?? '0'.repeat(64)
  for (const e of rows.filter((x) => x.seq >= opts.from)) {
    const keyId = opts.dropKey ? null : e.key_id ?? null
    const content = canonical({ referralId, seq: e.seq, at: e.at.toISOString(), actorPersonId: e.actor_person_id, actorOrganisationId: e.actor_organisation_id, kind: e.kind, data: e.data, ...(keyId ? { keyId } : {}) })
    const hash = createHash('sha256').update(prev).update('\n').update(content).digest('hex')
    await owner.query(`update referral_event set prev_hash = $1, hash = $2${opts.dropKey && 'key_id' in e ? ', key_id = null' : ''} where id = $3`, [prev, hash, e.id])
    prev = hash
  }
}

async function answered() {
  const filed = (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: await bearer(app, 'secretaire@ardentes.demo'), payload: sampleReferral })).json()
  const res = await app.inject({ method: 'POST', url: `/api/v1/referrals/${filed.id}/answer`, headers: await bearer(app, 'referent@caf36.demo'), payload: { body: 'Oui : l’allocation est due.' } })
  if (res.statusCode !== 200) throw new Error(res.body)
  const seq = (await owner.query<{ seq: number }>(`select seq from referral_event where referral_id = $1 and kind = 'answered'`, [filed.id])).rows[0].seq
  return { ...filed as { id: string; reference: string }, seq }
}

t.test('an untouched timeline verifies', async (t) => {
  const r = await answered()
  const { code, out } = await verifyChainCli(r.reference)
  t.equal(code, 0, out)
  t.match(out, /1 saisine\(s\) vérifiée\(s\), 0 chaîne\(s\) rompue\(s\)\./)
})

t.test('the owner rewrites an answer and recomputes a plain SHA-256 chain: caught, with the referral and the event', async (t) => {
  const r = await answered()
  await owner.query(`update referral_event set data = jsonb_set(data, '{body}', '"Non : rien n’est dû."') where referral_id = $1 and kind = 'answered'`, [r.id])
  await recomputeAsOwner(r.id, { dropKey: false, from: r.seq })
  const { code, out } = await verifyChainCli(r.reference)
  t.comment(`owner rewrote the answer and recomputed SHA-256: ${out.trim().split('\n')[0]}`)
  t.equal(code, 1, 'verify-chain fails')
  t.match(out, `${r.reference} : chaîne rompue à l’événement ${r.seq} (answered)`)
})

t.test('dropping the keys to pass the chain off as older than the key is caught too', async (t) => {
  const r = await answered()
  await owner.query(`update referral_event set data = jsonb_set(data, '{body}', '"Non."') where referral_id = $1 and kind = 'answered'`, [r.id])
  await recomputeAsOwner(r.id, { dropKey: true, from: 1 })
  const { code, out } = await verifyChainCli(r.reference)
  t.equal(code, 1, out)
  t.match(out, `${r.reference} : chaîne rompue à l’événement 1 (filed) : empreinte sans clé`)
})

t.test('a rotated key still verifies the events it sealed; without it they are named', async (t) => {
  const r = await answered()
  const rotated = { TIMELINE_HMAC_KEY: 'a-new-timeline-key-of-forty-characters-x', TIMELINE_HMAC_KEY_ID: 'k2026', TIMELINE_HMAC_OLD_KEYS: `demo:${env.config.TIMELINE_HMAC_KEY}` }
  const ok = await verifyChainCli(r.reference, rotated)
  t.equal(ok.code, 0, ok.out)
  const lost = await verifyChainCli(r.reference, { TIMELINE_HMAC_KEY: rotated.TIMELINE_HMAC_KEY, TIMELINE_HMAC_KEY_ID: 'k2026', TIMELINE_HMAC_OLD_KEYS: '' })
  t.equal(lost.code, 1)
  t.match(lost.out, 'clé « demo » inconnue')
})
