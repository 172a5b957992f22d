// Checks the tamper-evident timelines: `npm run verify-chain -- 36` (a tenant) or `-- 36-2026-000042` (a referral).
// Each event's hash is an HMAC under TIMELINE_HMAC_KEY (and the retired keys of TIMELINE_HMAC_OLD_KEYS): run it with
// the application's configuration. `--ancien` also accepts the plain SHA-256 events written before migration 0013.
// An operator's command: it connects with DATABASE_URL (the owner) to find the tenant, then reads inside it.
import { loadConfig, timelineKeyring } from '@relais/config'
import { createOwnerKysely, createPool, withTenant } from '@relais/db'
import { useTimelineKeys, verifyChain } from '@relais/referrals'

const args = process.argv.slice(2)
const acceptLegacy = args.includes('--ancien')
const arg = args.find((a) => !a.startsWith('--')) ?? ''
if (!/^[0-9][0-9AB][0-9]?(-\d{4}-\d{6,})?$/.test(arg)) {
  console.error('Usage : npm run verify-chain -- <code du département, ex. 36> | <référence, ex. 36-2026-000042> [--ancien]')
  process.exit(2)
}
const config = loadConfig()
useTimelineKeys(timelineKeyring(config))
const db = createOwnerKysely(createPool(config.DATABASE_URL, 2))
let broken = 0
let checked = 0
let legacy = 0
try {
  const tenant = await db.selectFrom('tenant').select('id').where('code', '=', arg.split('-')[0]).executeTakeFirst()
  if (!tenant) {
    console.error(`Département ${arg.split('-')[0]} inconnu.`)
    process.exitCode = 2
  } else {
    await withTenant(db, { tenantId: tenant.id }, async (trx) => {
      let q = trx.selectFrom('referral').select(['id', 'reference']).where('tenant_id', '=', tenant.id).orderBy('reference')
      if (arg.includes('-')) q = q.where('reference', '=', arg)
      for (const r of await q.execute()) {
        const report = await verifyChain(trx, tenant.id, r.id, { acceptLegacy })
        checked++
        legacy += report.legacy
        if (!report.ok) {
          broken++
          console.log(`${r.reference} : chaîne rompue à l’événement ${report.brokenAtSeq} (${report.brokenKind}) : ${report.reason}.`)
        }
      }
    })
    console.log(`${checked} saisine(s) vérifiée(s), ${broken} chaîne(s) rompue(s)${legacy ? `, ${legacy} événement(s) antérieur(s) à la clé (SHA-256 simple)` : ''}.`)
    process.exitCode = broken ? 1 : 0
  }
} finally {
  await db.destroy()
}
