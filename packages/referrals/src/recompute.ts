// After a policy change, the running clocks are recomputed set-wise: a batch is a handful of statements (lock the
// next rows in id order, read their timelines at once, one UPDATE), whatever its size; see migration 0032.
import { crossTenant, withTenant, type DB, type TenantTx } from '@relais/db'
import * as store from '@relais/db/repositories/sla-recompute'
import { mergePolicy } from './policy.ts'
import { scheduleOf } from './schedule.ts'
import type { SlaPolicy } from '@relais/core'

/** Rows per batch: each is locked for one batch only (a few tens of milliseconds). */
export const RECOMPUTE_BATCH = 1000
/** Rows the saving request recomputes itself: a small network is done before the answer, a large one answers at once. */
export const RECOMPUTE_FIRST_BATCH = 200

/** One batch of a recomputation, in the caller's tenant transaction. Returns how many referrals it recomputed and whether it is done. */
export async function recomputeBatch(trx: TenantTx, tenantId: string, jobId: string, limit = RECOMPUTE_BATCH): Promise<{ count: number; done: boolean } | null> {
  const job = await store.lockRecompute(trx, tenantId, jobId)
  if (!job) return null
  const rows = await store.lockRunningClocks(trx, tenantId, job.theme_id, job.after_id, limit)
  const events = await store.clockEventsOf(trx, tenantId, rows.map((r) => r.id))
  const inputs = await store.policyInputsOfThemes(trx, tenantId, [...new Set(rows.map((r) => r.theme_id))])
  const policies = new Map<string, SlaPolicy>()
  const policyOf = (themeId: string) => {
    let p = policies.get(themeId)
    if (!p) policies.set(themeId, p = mergePolicy(inputs.tenant, inputs.policies, inputs.themes.find((t) => t.id === themeId) ?? null))
    return p
  }
  const byReferral = new Map<string, typeof events>()
  for (const e of events) {
    const list = byReferral.get(e.referral_id)
    if (list) list.push(e)
    else byReferral.set(e.referral_id, [e])
  }
  await store.setSchedules(trx, tenantId, rows.map((r) => ({ id: r.id, ...scheduleOf(r, byReferral.get(r.id) ?? [], policyOf(r.theme_id)) })))
  const done = rows.length < limit
  await store.advanceRecompute(trx, tenantId, jobId, rows.length ? rows[rows.length - 1].id : job.after_id, rows.length, done ? new Date() : null)
  return { count: rows.length, done }
}

/** Records a recomputation of the tenant's (themeId null) or a theme's running clocks and does its first batch now. */
export async function requestRecompute(trx: TenantTx, tenantId: string, themeId: string | null, now: Date, firstBatch = RECOMPUTE_FIRST_BATCH): Promise<{ count: number; done: boolean }> {
  const id = await store.insertRecompute(trx, tenantId, themeId, now)
  return (await recomputeBatch(trx, tenantId, id, firstBatch))!
}

/**
 * The worker's part: every pending recomputation, a batch per tenant transaction, until done or `maxBatches` are spent.
 * Two workers share the work: a recomputation another holds is skipped, not waited for.
 */
export async function runRecomputes(db: DB, opts: { batch?: number; maxBatches?: number; onBatch?: (ms: number, count: number) => void } = {}): Promise<number> {
  let total = 0
  let budget = opts.maxBatches ?? 1000
  for (const job of await store.pendingRecomputes(crossTenant(db), 20)) {
    for (;;) {
      if (budget-- <= 0) return total
      const started = performance.now()
      const r = await withTenant(db, { tenantId: job.tenant_id }, (trx) => recomputeBatch(trx, job.tenant_id, job.id, opts.batch ?? RECOMPUTE_BATCH))
      if (!r) break
      opts.onBatch?.(performance.now() - started, r.count)
      total += r.count
      if (r.done) break
    }
  }
  return total
}
