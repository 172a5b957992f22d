// The access log (issue 18, migration 0092): who displayed a referral's citizen data, when and how. Append-only.
import type { AccessVia, TenantTx } from '../index.ts'

/** Several displays at once (an export of a person's referrals): one insert. */
export async function logAccess(trx: TenantTx, tenantId: string, referralIds: string[], personId: string, at: Date, via: AccessVia): Promise<void> {
  if (!referralIds.length) return
  await trx.insertInto('referral_access').values(referralIds.map((id) => ({ tenant_id: tenantId, referral_id: id, person_id: personId, at, via }))).execute()
}

export interface AccessRow { at: Date; via: AccessVia; referralId: string; reference: string; personId: string; personName: string; organisation: string; role: string }

/** The displays of these referrals, latest first. */
export async function accessLog(trx: TenantTx, tenantId: string, referralIds: string[], limit: number): Promise<AccessRow[]> {
  if (!referralIds.length) return []
  const rows = await trx.selectFrom('referral_access as a').innerJoin('referral as r', 'r.id', 'a.referral_id')
    .innerJoin('person as p', 'p.id', 'a.person_id').innerJoin('organisation as o', 'o.id', 'p.organisation_id')
    .select(['a.at', 'a.via', 'a.referral_id', 'r.reference', 'a.person_id', 'p.name as person_name', 'o.name as organisation', 'p.role'])
    .where('a.tenant_id', '=', tenantId).where('a.referral_id', 'in', referralIds)
    .orderBy('a.at', 'desc').orderBy('a.id', 'desc').limit(limit).execute()
  return rows.map((r) => ({ at: r.at, via: r.via, referralId: r.referral_id, reference: r.reference, personId: r.person_id, personName: r.person_name, organisation: r.organisation, role: r.role }))
}

/** A referral's id and reference in this tenant (the access log's heading), or undefined. */
export async function referralRef(trx: TenantTx, tenantId: string, id: string) {
  return trx.selectFrom('referral').select(['id', 'reference', 'citizen_name']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
}
