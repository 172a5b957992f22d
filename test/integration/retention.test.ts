import t from 'tap'
import pg from 'pg'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { buildApp } from '@relais/api/app'
import { withTenant } from '@relais/db'
import { runRetention, verifyChain } from '@relais/referrals'
import { createTestEnv } from '../helpers/db.ts'
import { configEnv } from '../helpers/processes.ts'
import { bearer, manualClock, sampleReferral } from '../helpers/journey.ts'

// Issue 18, retention: referrals of several ages (an injected clock), the job run as of a later date; what is gone,
// what stays, and every timeline still verifies — by the library and by `npm run verify-chain`.
const run = promisify(execFile)
const env = await createTestEnv({ PUBLIC_URL: 'https://relais.indre.test' })
const clock = manualClock('2026-01-06T09:00:00Z') // a Tuesday, 10:00 in Paris
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
t.teardown(async () => { await owner.end(); await app.close(); await env.drop() })

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const referent = await bearer(app, 'referent@caf36.demo')
const cher = await bearer(app, 'secretaire@bourges.demo')
const cherReferent = await bearer(app, 'referent@caf18.demo')
const cherTic = await bearer(app, 'tic@cher.demo')

async function fileAnswer(headers: { authorization: string }, holder: { authorization: string }, name: string, then: 'close' | 'open') {
  const filed = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers, payload: { ...sampleReferral, question: `${name} demande l’allocation de soutien familial.`, citizen: { ...sampleReferral.citizen, name, email: `${name.split(' ')[0].toLowerCase()}@example.org` } } })
  if (filed.statusCode !== 201) throw new Error(filed.body)
  const { id, reference } = filed.json()
  clock.advanceMinutes(60)
  const a = await app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/answer`, headers: holder, payload: { body: `Bonjour, ${name} peut prétendre à l’ASF.` } })
  if (a.statusCode !== 200) throw new Error(a.body)
  if (then === 'close') {
    const c = await app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/close`, headers, payload: {} })
    if (c.statusCode !== 200) throw new Error(c.body)
  }
  return { id, reference }
}

// Indre (24 months, the default): closed in January 2026, closed in July 2026, never closed.
const old = await fileAnswer(secretary, referent, 'Jeanne Ancienne', 'close')
clock.advanceMinutes(182 * 24 * 60)
const recent = await fileAnswer(secretary, referent, 'Marie Recente', 'close')
const open = await fileAnswer(secretary, referent, 'Luc Ouvert', 'open')
// Cher: 12 months; closed in July 2026.
const put = await app.inject({ method: 'PUT', url: '/api/v1/privacy/settings', headers: cherTic, payload: { dpoContact: 'dpo@cher.demo', retentionMonths: 12, referentMailContact: false } })
if (put.statusCode !== 200) throw new Error(put.body)
const cherOld = await fileAnswer(cher, cherReferent, 'Anne Berrichonne', 'close')

const row = async (id: string) => (await owner.query('select citizen_name, citizen_email, citizen_phone, question, internal_note, tracking_code_hash, anonymised_at from referral where id = $1', [id])).rows[0]
const timelineText = async (id: string) => JSON.stringify((await owner.query('select data from referral_event where referral_id = $1 order by seq', [id])).rows)
async function allChainsVerify() {
  const { rows } = await owner.query<{ id: string; tenant_id: string }>('select id, tenant_id from referral')
  const broken: string[] = []
  for (const r of rows) {
    const report = await withTenant(app.db, { tenantId: r.tenant_id }, (trx) => verifyChain(trx, r.tenant_id, r.id))
    if (!report.ok) broken.push(`${r.id}: ${report.reason}`)
  }
  return { count: rows.length, broken }
}

t.test('a dry run says what it would do and changes nothing', async (t) => {
  const report = await runRetention(app.db, { asOf: new Date('2028-03-01T00:00:00Z'), dryRun: true })
  t.equal(report.dryRun, true)
  const refs = report.tenants.flatMap((x) => x.referrals.map((r) => r.reference)).sort()
  t.same(refs, [old.reference, cherOld.reference].sort(), 'Indre: closed before March 2026; Cher: before March 2027')
  t.equal(report.tenants.find((x) => x.code === '18')?.retentionMonths, 12)
  t.equal((await row(old.id)).citizen_name, 'Jeanne Ancienne', 'nothing changed')
})

t.test('the job erases what is past retention, keeps the rest, and every chain still verifies', async (t) => {
  const before = await timelineText(old.id)
  t.match(before, /Jeanne Ancienne peut prétendre/)
  const report = await runRetention(app.db, { asOf: new Date('2028-03-01T00:00:00Z') })
  t.equal(report.referrals, 2)
  for (const gone of [old, cherOld]) {
    const r = await row(gone.id)
    t.equal(r.citizen_name, 'Usager anonymisé')
    t.equal(r.citizen_email, null)
    t.equal(r.citizen_phone, null)
    t.equal(r.tracking_code_hash, null)
    t.match(r.question, /Question effacée/)
    t.ok(r.anonymised_at)
    const text = await timelineText(gone.id)
    t.notMatch(text, /Ancienne|Berrichonne|example\.org/, `${gone.reference}: no name nor address left in the timeline`)
    const outbox = (await owner.query(`select recipient_email from outbox where referral_id = $1 and kind = 'acknowledgement'`, [gone.id])).rows
    t.ok(outbox.every((o) => o.recipient_email === 'adresse-effacee@invalid'), 'the acknowledgement mail’s address is erased')
  }
  for (const kept of [recent, open]) {
    const r = await row(kept.id)
    t.notOk(r.anonymised_at, `${kept.reference} stays`)
    t.match(r.citizen_email, /@example\.org$/)
    t.match(await timelineText(kept.id), /peut prétendre/)
  }
  const detail = (await app.inject({ url: `/api/v1/referrals/${old.id}`, headers: secretary })).json()
  t.equal(detail.citizen.name, 'Usager anonymisé')
  t.equal(detail.answers[0].body, 'Donnée effacée (durée de conservation écoulée)', 'the answer reads as erased')
  const last = detail.timeline.at(-1)
  t.equal(last.kind, 'anonymised')
  t.equal(last.data.retentionMonths, 24)
  t.ok(last.data.erasedEvents >= 1)
  const chains = await allChainsVerify()
  t.same(chains.broken, [], `${chains.count} timelines verify after the erasure`)
  const again = await runRetention(app.db, { asOf: new Date('2028-03-01T00:00:00Z') })
  t.equal(again.referrals, 0, 'a second run has nothing left to do')
})

t.test('an erased field tampered with is still caught', async (t) => {
  await owner.query(`update referral_event set data = jsonb_set(data, '{body}', '{"erased": "${'0'.repeat(64)}"}') where referral_id = $1 and kind = 'answered'`, [recent.id])
  const tenantId = (await owner.query('select tenant_id from referral where id = $1', [recent.id])).rows[0].tenant_id
  const r = await withTenant(app.db, { tenantId }, (trx) => verifyChain(trx, tenantId, recent.id))
  t.equal(r.ok, false, 'a fake commitment breaks the chain')
  t.equal(r.brokenKind, 'answered')
  await owner.query(`update referral_event set data = jsonb_set(data, '{body}', to_jsonb('Bonjour, Marie Recente peut prétendre à l’ASF.'::text)) where referral_id = $1 and kind = 'answered'`, [recent.id])
  t.equal((await withTenant(app.db, { tenantId }, (trx) => verifyChain(trx, tenantId, recent.id))).ok, true, 'restored, it verifies again')
})

t.test('npm run retention and npm run verify-chain, as an operator runs them', async (t) => {
  const envVars = { ...process.env, ...configEnv(env.config as unknown as Record<string, unknown>) }
  const dry = await run('npx', ['tsx', 'scripts/retention.ts', '--as-of', '2030-01-01', '--dry-run'], { env: envVars })
  t.match(dry.stdout, /simulation : rien n’est modifié/)
  t.match(dry.stdout, `${recent.reference} (close le 2026-07-07) : serait anonymisée.`)
  t.notMatch(dry.stdout, open.reference, 'a referral never closed is kept')
  t.equal((await row(recent.id)).anonymised_at, null)
  const done = await run('npx', ['tsx', 'scripts/retention.ts', '--as-of', '2030-01-01'], { env: envVars })
  t.match(done.stdout, `${recent.reference} (close le 2026-07-07) : anonymisée.`)
  t.ok((await row(recent.id)).anonymised_at)
  const verified = await run('npx', ['tsx', 'scripts/verify-chain.ts'], { env: envVars })
  t.match(verified.stdout, / 0 chaîne\(s\) rompue\(s\)/, 'npm run verify-chain passes')
  const bad = await run('npx', ['tsx', 'scripts/retention.ts', '--as-of', 'demain'], { env: envVars }).catch((e: { code: number; stderr: string }) => e)
  t.equal((bad as { code: number }).code, 2)
  t.match((bad as { stderr: string }).stderr, /Usage : npm run retention/)
})
