// Mails to send: written in the transaction of the change that causes them, relayed to BullMQ, sent at most once.
import { sql, type Insertable, type Selectable } from 'kysely'
import type { CrossTenantDb, TenantTx } from '../index.ts'
import type { OutboxTable } from '../schema.ts'

export type OutboxRow = Selectable<OutboxTable>
export type NewOutboxRow = Insertable<OutboxTable>

export async function insertOutbox(trx: TenantTx, tenantId: string, rows: NewOutboxRow[]): Promise<void> {
  if (!rows.length) return
  if (rows.some((r) => r.tenant_id !== tenantId)) throw new Error('insertOutbox: a mail of another tenant')
  await trx.insertInto('outbox').values(rows).execute()
}

export interface DueOutboxRow { id: string; tenant_id: string; attempts: number }

/**
 * Cross-tenant: claims up to `limit` mails to hand to the queue (never relayed, or relayed long ago and not claimed),
 * marking them relayed in the same statement; rows another relay holds are skipped (SKIP LOCKED), not waited for.
 */
export async function claimDueOutbox(db: CrossTenantDb, now: Date, relayGraceSeconds: number, limit: number): Promise<DueOutboxRow[]> {
  const { rows } = await sql<DueOutboxRow>`select id::text as id, tenant_id, attempts from outbox_claim(${now}, make_interval(secs => ${relayGraceSeconds}), ${limit})`.execute(db)
  return rows
}

/** The queue did not take them: due again at once. */
export async function releaseRelayed(trx: TenantTx, tenantId: string, ids: string[]): Promise<void> {
  if (!ids.length) return
  await trx.updateTable('outbox').set({ relayed_at: null }).where('tenant_id', '=', tenantId).where('id', 'in', ids).execute()
}

/** Takes a mail for sending until claimedUntil, unless it is sent, failed, or claimed by another worker. */
export async function claimOutbox(trx: TenantTx, tenantId: string, id: string, now: Date, claimedUntil: Date): Promise<OutboxRow | undefined> {
  // A row another worker is claiming right now is skipped, not waited for.
  return trx.updateTable('outbox')
    .set({ claimed_until: claimedUntil, relayed_at: now })
    .where('tenant_id', '=', tenantId).where('id', 'in', (eb) => eb.selectFrom('outbox').select('id').where('tenant_id', '=', tenantId).where('id', '=', id)
      .where('sent_at', 'is', null).where('failed_at', 'is', null)
      .where((w) => w.or([w('claimed_until', 'is', null), w('claimed_until', '<', now)]))
      .forUpdate().skipLocked())
    .returningAll().executeTakeFirst()
}

/** true if this call recorded the send (a retry that finds it already sent gets false). */
export async function markSent(trx: TenantTx, tenantId: string, id: string, at: Date): Promise<boolean> {
  const done = await trx.updateTable('outbox').set({ sent_at: at, claimed_until: null, last_error: null })
    .where('tenant_id', '=', tenantId).where('id', '=', id).where('sent_at', 'is', null).executeTakeFirst()
  return Number(done.numUpdatedRows) > 0
}

export async function markFailed(trx: TenantTx, tenantId: string, id: string, at: Date, error: string): Promise<void> {
  await trx.updateTable('outbox').set({ failed_at: at, claimed_until: null, last_error: error.slice(0, 2000) })
    .where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

/** A temporary failure: released for the relay to hand over again at nextAttemptAt. */
export async function scheduleRetry(trx: TenantTx, tenantId: string, id: string, v: { attempts: number; nextAttemptAt: Date; error: string }): Promise<void> {
  await trx.updateTable('outbox').set({ attempts: v.attempts, next_attempt_at: v.nextAttemptAt, last_error: v.error.slice(0, 2000), claimed_until: null, relayed_at: null })
    .where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

export type OutboxState = 'failed' | 'pending' | 'sent'

/** Newest first, keyset-paged on id. */
export async function listOutbox(trx: TenantTx, tenantId: string, state: OutboxState, afterId: string | null, limit: number) {
  let q = trx.selectFrom('outbox').select(['id', 'kind', 'recipient_email', 'referral_id', 'attempts', 'last_error', 'created_at', 'sent_at', 'failed_at', 'next_attempt_at'])
    .where('tenant_id', '=', tenantId)
  if (state === 'failed') q = q.where('failed_at', 'is not', null)
  else if (state === 'pending') q = q.where('sent_at', 'is', null).where('failed_at', 'is', null)
  else q = q.where('sent_at', 'is not', null)
  if (afterId !== null) q = q.where('id', '<', afterId)
  return q.orderBy('id', 'desc').limit(limit).execute()
}
