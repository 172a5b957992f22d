// Citizens' personal data (issue 18): the log of who displayed a referral's citizen data, read by the mission TIC.
import { authorizeRole, notFound } from '@relais/core'
import type { AccessVia, TenantTx } from '@relais/db'
import * as log from '@relais/db/repositories/access-log'
import type { Principal } from './service.ts'

export const ACCESS_LOG_LIMIT = 500

export interface AccessEntry { at: string; via: AccessVia; referral: { id: string; reference: string }; person: { id: string; name: string; role: string }; organisation: string }

const entry = (r: log.AccessRow): AccessEntry => ({
  at: r.at.toISOString(), via: r.via, referral: { id: r.referralId, reference: r.reference }, person: { id: r.personId, name: r.personName, role: r.role }, organisation: r.organisation,
})

/** Who displayed this referral's citizen data, latest first (the mission TIC). Another tenant's referral: 404. */
export async function referralAccessLog(trx: TenantTx, p: Principal, referralId: string) {
  authorizeRole(p, 'referral.access_log')
  const r = await log.referralRef(trx, p.tenantId, referralId)
  if (!r) throw notFound('Cette saisine')
  const items = await log.accessLog(trx, p.tenantId, [r.id], ACCESS_LOG_LIMIT)
  return { referral: { id: r.id, reference: r.reference }, items: items.map(entry) }
}

/** The displays of several referrals (a person's), latest first. */
export async function accessLogOf(trx: TenantTx, p: Principal, referralIds: string[]): Promise<AccessEntry[]> {
  authorizeRole(p, 'privacy.subjects')
  return (await log.accessLog(trx, p.tenantId, referralIds, ACCESS_LOG_LIMIT)).map(entry)
}
