// Attachments (issue 15): files in PostgreSQL beside their referral, pending until linked to a timeline event.
import { sql, type Insertable } from 'kysely'
import type { TenantTx } from '../index.ts'
import type { AttachmentTable } from '../schema.ts'

const LISTED = ['id', 'referral_id', 'event_seq', 'name', 'content_type', 'size', 'sha256', 'added_by_person_id', 'added_at', 'source', 'erased_at'] as const

export async function insertAttachment(trx: TenantTx, row: Insertable<AttachmentTable>) {
  return trx.insertInto('attachment').values(row).returning(['id', 'name', 'content_type', 'size', 'sha256']).executeTakeFirstOrThrow()
}

/** Bytes that count against a referral's total: its linked files, and its pending ones still in their time. */
export async function referralBytes(trx: TenantTx, tenantId: string, referralId: string, pendingSince: Date): Promise<number> {
  const r = await trx.selectFrom('attachment').select(sql<string>`coalesce(sum(size), 0)`.as('bytes'))
    .where('tenant_id', '=', tenantId).where('referral_id', '=', referralId).where('erased_at', 'is', null)
    .where((eb) => eb.or([eb('event_seq', 'is not', null), eb('added_at', '>=', pendingSince)])).executeTakeFirstOrThrow()
  return Number(r.bytes)
}

/** Bytes a person has uploaded for a referral not filed yet, still in their time. */
export async function pendingBytesOf(trx: TenantTx, tenantId: string, personId: string, pendingSince: Date): Promise<number> {
  const r = await trx.selectFrom('attachment').select(sql<string>`coalesce(sum(size), 0)`.as('bytes'))
    .where('tenant_id', '=', tenantId).where('added_by_person_id', '=', personId).where('referral_id', 'is', null).where('event_seq', 'is', null)
    .where('erased_at', 'is', null).where('added_at', '>=', pendingSince).executeTakeFirstOrThrow()
  return Number(r.bytes)
}

/**
 * The person's pending files among `ids`, locked: not linked yet, uploaded for this referral or for none, still in
 * their time. The caller compares the count with the ids asked for.
 */
export async function lockPending(trx: TenantTx, tenantId: string, personId: string, ids: string[], referralId: string | null, pendingSince: Date) {
  if (!ids.length) return []
  return trx.selectFrom('attachment').select(['id', 'referral_id', 'name', 'content_type', 'size', 'sha256'])
    .where('tenant_id', '=', tenantId).where('id', 'in', ids).where('added_by_person_id', '=', personId)
    .where('event_seq', 'is', null).where('erased_at', 'is', null).where('added_at', '>=', pendingSince)
    .where((eb) => (referralId ? eb.or([eb('referral_id', 'is', null), eb('referral_id', '=', referralId)]) : eb('referral_id', 'is', null)))
    .orderBy('added_at').orderBy('id').forUpdate().execute()
}

export async function linkAttachments(trx: TenantTx, tenantId: string, ids: string[], referralId: string, seq: number): Promise<number> {
  if (!ids.length) return 0
  const r = await trx.updateTable('attachment').set({ referral_id: referralId, event_seq: seq })
    .where('tenant_id', '=', tenantId).where('id', 'in', ids).where('event_seq', 'is', null).executeTakeFirst()
  return Number(r.numUpdatedRows)
}

/** The files linked to a referral's events, without their content, in the order they came. */
export async function referralAttachments(trx: TenantTx, tenantId: string, referralId: string) {
  return trx.selectFrom('attachment').select(LISTED)
    .where('tenant_id', '=', tenantId).where('referral_id', '=', referralId).where('event_seq', 'is not', null)
    .orderBy('event_seq').orderBy('added_at').orderBy('id').execute()
}

/** One file of a referral with its content: linked, or pending and uploaded by this person. */
export async function attachmentWithContent(trx: TenantTx, tenantId: string, referralId: string, id: string, personId: string) {
  return trx.selectFrom('attachment').select([...LISTED, 'content'])
    .where('tenant_id', '=', tenantId).where('referral_id', '=', referralId).where('id', '=', id)
    .where((eb) => eb.or([eb('event_seq', 'is not', null), eb('added_by_person_id', '=', personId)])).executeTakeFirst()
}

/** Retention: the files of these referrals lose their content and name (their size and digest stay). */
export async function eraseAttachments(trx: TenantTx, tenantId: string, referralIds: string[], now: Date): Promise<number> {
  if (!referralIds.length) return 0
  const r = await trx.updateTable('attachment').set({ content: Buffer.alloc(0), name: 'Pièce jointe effacée', erased_at: now })
    .where('tenant_id', '=', tenantId).where('referral_id', 'in', referralIds).where('erased_at', 'is', null).executeTakeFirst()
  return Number(r.numUpdatedRows)
}

/** How many files the referral's timeline carries (for the mails, which link to them and never carry them). */
export async function attachmentCount(trx: TenantTx, tenantId: string, referralId: string): Promise<number> {
  const r = await trx.selectFrom('attachment').select(sql<string>`count(*)`.as('n'))
    .where('tenant_id', '=', tenantId).where('referral_id', '=', referralId).where('event_seq', 'is not', null).where('erased_at', 'is', null).executeTakeFirstOrThrow()
  return Number(r.n)
}
