// Retention of citizens' data (issue 18): which referrals are past their tenant's retention, and their erasure. One
// read crosses tenants (retention_due: tenant ids only); everything else runs in the tenant's transaction.
import { sql } from 'kysely'
import type { CrossTenantDb, TenantTx } from '../index.ts'

export async function tenantsDue(db: CrossTenantDb, asOf: Date): Promise<string[]> {
  const { rows } = await sql<{ tenant_id: string }>`select tenant_id from retention_due(${asOf})`.execute(db)
  return rows.map((r) => r.tenant_id)
}

export async function tenantCode(trx: TenantTx, tenantId: string): Promise<string> {
  return (await trx.selectFrom('tenant').select('code').where('id', '=', tenantId).executeTakeFirstOrThrow()).code
}

/** Closed (or cancelled) before the cutoff and not anonymised yet, oldest first; locked unless only looked at. */
export async function referralsDue(trx: TenantTx, tenantId: string, cutoff: Date, limit: number, lock: boolean) {
  // A cancelled referral has no closure: it ages from its cancellation (migration 0093).
  const ended = sql<Date>`coalesce(closed_at, cancelled_at)`
  let q = trx.selectFrom('referral').select(['id', 'reference', ended.as('closed_at'), 'citizen_email', 'status'])
    .where('tenant_id', '=', tenantId).where('anonymised_at', 'is', null).where(ended, 'is not', null).where(ended, '<', cutoff)
    .orderBy(ended).orderBy('id').limit(limit)
  if (lock) q = q.forUpdate().skipLocked()
  return q.execute()
}

export async function eventsOf(trx: TenantTx, tenantId: string, referralId: string) {
  return trx.selectFrom('referral_event').select(['seq', 'kind', 'data', 'key_id', 'sealed']).where('tenant_id', '=', tenantId).where('referral_id', '=', referralId).orderBy('seq').execute()
}

/** Replaces the fields by their commitments (timeline_erase: sealed events of the current tenant only). */
export async function eraseEventFields(trx: TenantTx, referralId: string, seq: number, fields: string[], commitments: string[]): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select timeline_erase(${referralId}::uuid, ${seq}::integer, ${sql.val(fields)}::text[], ${sql.val(commitments)}::text[]) as ok`.execute(trx)
  return rows[0]?.ok === true
}

export const ANONYMOUS_NAME = 'Usager anonymisé'
export const ERASED_QUESTION = 'Question effacée : la durée de conservation des données de l’usager est écoulée.'
export const ERASED_ADDRESS = 'adresse-effacee@invalid'

/** The referral's own columns: name, contact, question, internal note, tracking code; and the citizen's mails' address. */
export async function anonymiseReferral(trx: TenantTx, tenantId: string, referralId: string, now: Date): Promise<void> {
  await trx.updateTable('referral').set({
    citizen_name: ANONYMOUS_NAME, citizen_email: null, citizen_phone: null, question: ERASED_QUESTION, internal_note: null,
    tracking_code_hash: null, anonymised_at: now, updated_at: now,
  }).where('tenant_id', '=', tenantId).where('id', '=', referralId).execute()
  // Every mail to the citizen (acknowledgement, transfer notice, forwarded answer, appointment): no person of the network.
  await trx.updateTable('outbox').set({ recipient_email: ERASED_ADDRESS, payload: '{}' })
    .where('tenant_id', '=', tenantId).where('referral_id', '=', referralId).where('recipient_person_id', 'is', null)
    .where('kind', 'in', ['acknowledgement', 'transfer_notice', 'answer_forward', 'appointment']).execute()
}
