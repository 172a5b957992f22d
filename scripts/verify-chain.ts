// Checks the tamper-evident timelines: `npm run verify-chain -- 36` (a tenant) or `-- 36-2026-000042` (a referral).
// Each event's hash is an HMAC under TIMELINE_HMAC_KEY (and the retired keys of TIMELINE_HMAC_OLD_KEYS): run it with
// the application's configuration. `--ancien` also accepts the plain SHA-256 events written before migration 0013.
// Then each tenant's latest published chain heads (signed digest, migration 0015) are recomputed from the current
// timelines: a chain rewritten and recomputed without key since that day is caught even with `--ancien`.
// Without argument: every tenant.
// An operator's command: it connects with DATABASE_URL (the owner) to find the tenant, then reads inside it.
import { loadConfig, timelineKeyring } from '@relais/config'
import { createOwnerKysely, createPool, withTenant } from '@relais/db'
import { useTimelineKeys, verifyChain, verifyPublishedHeads } from '@relais/referrals'

const args = process.argv.slice(2)
const acceptLegacy = args.includes('--ancien')
const arg = args.find((a) => !a.startsWith('--')) ?? ''
if (arg !== '' && !/^[0-9][0-9AB][0-9]?(-\d{4}-\d{6,})?$/.test(arg)) {
  console.error('Usage : npm run verify-chain -- [<code du département, ex. 36> | <référence, ex. 36-2026-000042>] [--ancien]')
  process.exit(2)
}
const config = loadConfig()
useTimelineKeys(timelineKeyring(config))
const db = createOwnerKysely(createPool(config.DATABASE_URL, 2))
let broken = 0
let checked = 0
let legacy = 0
let headsBroken = 0
try {
  const code = arg.split('-')[0]
  let q = db.selectFrom('tenant').select(['id', 'code']).orderBy('code')
  if (code) q = q.where('code', '=', code)
  const tenants = await q.execute()
  if (!tenants.length) {
    console.error(`Département ${code} inconnu.`)
    process.exitCode = 2
  } else {
    for (const tenant of tenants) {
      await withTenant(db, { tenantId: tenant.id }, async (trx) => {
        let rq = trx.selectFrom('referral').select(['id', 'reference']).where('tenant_id', '=', tenant.id).orderBy('reference')
        if (arg.includes('-')) rq = rq.where('reference', '=', arg)
        for (const r of await rq.execute()) {
          const report = await verifyChain(trx, tenant.id, r.id, { acceptLegacy })
          checked++
          legacy += report.legacy
          if (!report.ok) {
            broken++
            console.log(`${r.reference} : chaîne rompue à l’événement ${report.brokenAtSeq} (${report.brokenKind}) : ${report.reason}.`)
          }
        }
        const heads = await verifyPublishedHeads(trx, tenant.id)
        if (!heads.published) console.log(`Département ${tenant.code} : aucune empreinte publiée.`)
        else if (heads.ok) console.log(`Département ${tenant.code} : têtes de chaîne conformes à l’empreinte publiée le ${heads.day}.`)
        else {
          headsBroken++
          const refs = heads.changed.length
            ? ` (${(await trx.selectFrom('referral').select('reference').where('tenant_id', '=', tenant.id).where('id', 'in', heads.changed).orderBy('reference').execute()).map((x) => x.reference).join(', ')})`
            : ''
          console.log(`Département ${tenant.code} : têtes de chaîne différentes de l’empreinte publiée le ${heads.day} : ${heads.reason}${refs}.`)
        }
      })
    }
    console.log(`${checked} saisine(s) vérifiée(s), ${broken} chaîne(s) rompue(s)${legacy ? `, ${legacy} événement(s) antérieur(s) à la clé (SHA-256 simple)` : ''}${headsBroken ? `, ${headsBroken} département(s) dont les têtes publiées ne correspondent plus` : ''}.`)
    process.exitCode = broken || headsBroken ? 1 : 0
  }
} finally {
  await db.destroy()
}
