import type { TenantTx } from '@relais/db'
import { countsByHolder } from '@relais/db/repositories/referrals'

/** The network at a glance: unfinished, due within 24 h, overdue, in triage, per holder organisation and in total. */
export async function networkGlance(trx: TenantTx, tenantId: string, now: Date) {
  const perOrg = await countsByHolder(trx, tenantId, now, new Date(now.getTime() + 24 * 3600_000))
  const total = perOrg.reduce((a, r) => ({ open: a.open + r.open, soon: a.soon + r.soon, overdue: a.overdue + r.overdue, triage: a.triage + r.triage }), { open: 0, soon: 0, overdue: 0, triage: 0 })
  return { perOrg, total }
}
