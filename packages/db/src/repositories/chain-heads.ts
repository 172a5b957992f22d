// Each tenant's chain heads, published daily into an append-only table (the app role may only insert and read).
import { sql } from 'kysely'
import type { CrossTenantDb, TenantTx } from '../index.ts'

export type ChainHead = [referralId: string, seq: number, hash: string]

/** Cross-tenant, for the worker's daily publication: the tenants whose heads of `day` are not published yet. */
export async function tenantsWithoutDigest(db: CrossTenantDb, day: string): Promise<string[]> {
  const { rows } = await sql<{ tenant_id: string }>`select tenant_id from chain_heads_due(${day}::date)`.execute(db)
  return rows.map((r) => r.tenant_id)
}

/** The last link of every referral of the tenant, in referral id order, read in one statement (one snapshot). */
export async function currentHeads(trx: TenantTx, tenantId: string): Promise<ChainHead[]> {
  const rows = await trx.selectFrom('referral_event').select(['referral_id', 'seq', 'hash'])
    .distinctOn('referral_id').where('tenant_id', '=', tenantId).orderBy('referral_id').orderBy('seq', 'desc').execute()
  return rows.map((r) => [r.referral_id, r.seq, r.hash])
}

/** The hash each referral's timeline holds now at the given sequence numbers (null: no such event any more). */
export async function hashesAt(trx: TenantTx, tenantId: string, heads: { referralId: string; seq: number }[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (let i = 0; i < heads.length; i += 1000) {
    const part = heads.slice(i, i + 1000)
    const rows = await trx.selectFrom('referral_event').select(['referral_id', 'seq', 'hash']).where('tenant_id', '=', tenantId)
      .where((eb) => eb.or(part.map((h) => eb.and([eb('referral_id', '=', h.referralId), eb('seq', '=', h.seq)])))).execute()
    for (const r of rows) out.set(`${r.referral_id}:${r.seq}`, r.hash)
  }
  return out
}

export interface NewDigest { day: string; publishedAt: Date; heads: ChainHead[]; digest: string; keyId: string; signature: string }

/** true if this call published the day's digest (false: already published that day, by this or another worker). */
export async function insertDigest(trx: TenantTx, tenantId: string, d: NewDigest): Promise<boolean> {
  const done = await trx.insertInto('chain_head_digest').values({
    tenant_id: tenantId, day: d.day, published_at: d.publishedAt, referrals: d.heads.length, heads: JSON.stringify(d.heads),
    digest: d.digest, key_id: d.keyId, signature: d.signature,
  }).onConflict((oc) => oc.columns(['tenant_id', 'day']).doNothing()).executeTakeFirst()
  return Number(done.numInsertedOrUpdatedRows ?? 0) > 0
}

export async function latestDigest(trx: TenantTx, tenantId: string) {
  return trx.selectFrom('chain_head_digest')
    .select(['published_at', 'referrals', 'heads', 'digest', 'key_id', 'signature', sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day')])
    .where('tenant_id', '=', tenantId).orderBy('day', 'desc').limit(1).executeTakeFirst()
}
