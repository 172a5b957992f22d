// Mails to send: written in the transaction of the change that causes them, relayed to BullMQ, sent at most once.
import { sql, type Insertable, type Selectable, type Updateable } from 'kysely'
import { preparedName, runPrepared, type CrossTenantDb, type TenantTx } from '../index.ts'
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

/** Takes a mail for sending until claimedUntil under claimId, unless it is sent, failed, cancelled, or claimed by another worker. */
export async function claimOutbox(trx: TenantTx, tenantId: string, id: string, now: Date, claimedUntil: Date, claimId: string): Promise<OutboxRow | undefined> {
  // A row another worker is claiming right now is skipped, not waited for. Named: run for every mail sent.
  const { rows } = await runPrepared(trx, 'outbox_claim_one', trx.updateTable('outbox')
    .set({ claimed_until: claimedUntil, relayed_at: now, claim_id: claimId })
    .where('tenant_id', '=', tenantId).where('id', 'in', (eb) => eb.selectFrom('outbox').select('id').where('tenant_id', '=', tenantId).where('id', '=', id)
      .where('sent_at', 'is', null).where('failed_at', 'is', null).where('cancelled_at', 'is', null)
      .where((w) => w.or([w('claimed_until', 'is', null), w('claimed_until', '<', now)]))
      .forUpdate().skipLocked())
    .returningAll())
  return rows[0]
}

/**
 * Records mails the server accepted, in one statement: sent_at, the claim released, a citizen's tracking code wiped
 * from the payload (it is kept only as a hash once she has it), and a referral's mail left for its timeline
 * (timeline_pending). No claim check: the mail went. Returns the ids this call recorded (a retry that finds one
 * already sent does not get it back).
 */
export async function markSent(trx: TenantTx, tenantId: string, sent: { id: string; at: Date }[]): Promise<Set<string>> {
  if (!sent.length) return new Set()
  const { rows } = await sql<{ id: string }>`${sql.raw(preparedName('outbox_mark_sent'))}
    update outbox o set sent_at = m.at, claimed_until = null, claim_id = null, last_error = null,
      timeline_pending = o.referral_id is not null,
      payload = case when o.kind = 'acknowledgement' then '{}'::jsonb else o.payload end
    from unnest(${sent.map((s) => s.id)}::bigint[], ${sent.map((s) => s.at)}::timestamptz[]) as m(id, at)
    where o.tenant_id = ${tenantId} and o.id = m.id and o.sent_at is null
    returning o.id::text as id`.execute(trx)
  return new Set(rows.map((r) => r.id))
}

export interface SentForTimeline { id: string; referral_id: string; kind: string; recipient_email: string; message_id: string; sent_at: Date }

/**
 * Up to `limit` sent mails of the tenant whose "mail_sent" event is still to append, oldest first, locked for this
 * transaction; rows another worker is appending are skipped, not waited for.
 */
export async function lockSentForTimeline(trx: TenantTx, tenantId: string, limit: number): Promise<SentForTimeline[]> {
  const { rows } = await sql<SentForTimeline>`${sql.raw(preparedName('outbox_timeline_lock'))}
    select id::text as id, referral_id, kind, recipient_email, message_id, sent_at from outbox
    where tenant_id = ${tenantId} and timeline_pending order by id limit ${limit} for update skip locked`.execute(trx)
  return rows
}

export async function timelineRecorded(trx: TenantTx, tenantId: string, ids: string[]): Promise<void> {
  if (!ids.length) return
  await sql`${sql.raw(preparedName('outbox_timeline_done'))}
    update outbox set timeline_pending = false where tenant_id = ${tenantId} and id = any(${ids}::bigint[])`.execute(trx)
}

/** Cross-tenant: the tenants with sent mails still to put on a timeline (ids only, a definer function). */
export async function tenantsWithTimelinePending(db: CrossTenantDb, limit: number): Promise<string[]> {
  const { rows } = await sql<{ tenant_id: string }>`select tenant_id from outbox_timeline_tenants(${limit})`.execute(db)
  return rows.map((r) => r.tenant_id)
}

/** Updates the row only while claimId still holds it (a sender whose claim lapsed and was taken changes nothing). */
async function whileClaimed(trx: TenantTx, tenantId: string, id: string, claimId: string, set: Updateable<OutboxTable>): Promise<boolean> {
  const done = await trx.updateTable('outbox').set(set).where('tenant_id', '=', tenantId).where('id', '=', id)
    .where('claim_id', '=', claimId).where('sent_at', 'is', null).executeTakeFirst()
  return Number(done.numUpdatedRows) > 0
}

/** Failed for good (refused, unrenderable, or retried past its window). false: the claim was no longer ours. */
export async function failClaimed(trx: TenantTx, tenantId: string, id: string, claimId: string, at: Date, error: string): Promise<boolean> {
  return whileClaimed(trx, tenantId, id, claimId, { failed_at: at, claimed_until: null, claim_id: null, last_error: error.slice(0, 2000) })
}

/** A temporary failure: released for the relay to hand over again at nextAttemptAt. false: the claim was no longer ours. */
export async function retryClaimed(trx: TenantTx, tenantId: string, id: string, claimId: string, v: { attempts: number; nextAttemptAt: Date; error: string }): Promise<boolean> {
  return whileClaimed(trx, tenantId, id, claimId, { attempts: v.attempts, next_attempt_at: v.nextAttemptAt, last_error: v.error.slice(0, 2000), claimed_until: null, claim_id: null, relayed_at: null })
}

/** Not sent: it no longer applies. */
export async function cancelClaimed(trx: TenantTx, tenantId: string, id: string, claimId: string, at: Date, reason: string): Promise<boolean> {
  return whileClaimed(trx, tenantId, id, claimId, { cancelled_at: at, claimed_until: null, claim_id: null, last_error: reason.slice(0, 2000) })
}

export async function findOutbox(trx: TenantTx, tenantId: string, id: string): Promise<OutboxRow | undefined> {
  return trx.selectFrom('outbox').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
}

/** A failed mail goes again, with a new retry window; false if it is not (or no longer) failed. */
export async function resendFailed(trx: TenantTx, tenantId: string, id: string, now: Date): Promise<boolean> {
  const done = await trx.updateTable('outbox')
    .set({ failed_at: null, attempts: 0, next_attempt_at: now, relayed_at: null, claimed_until: null, claim_id: null, resent_at: now })
    .where('tenant_id', '=', tenantId).where('id', '=', id).where('failed_at', 'is not', null).where('sent_at', 'is', null).executeTakeFirst()
  return Number(done.numUpdatedRows) > 0
}

export type OutboxState = 'failed' | 'pending' | 'sent' | 'cancelled'

/** Newest first, keyset-paged on id. */
export async function listOutbox(trx: TenantTx, tenantId: string, state: OutboxState, afterId: string | null, limit: number) {
  let q = trx.selectFrom('outbox').select(['id', 'kind', 'recipient_email', 'referral_id', 'attempts', 'last_error', 'created_at', 'sent_at', 'failed_at', 'next_attempt_at', 'cancelled_at', 'resent_at'])
    .where('tenant_id', '=', tenantId)
  if (state === 'failed') q = q.where('failed_at', 'is not', null)
  else if (state === 'pending') q = q.where('sent_at', 'is', null).where('failed_at', 'is', null).where('cancelled_at', 'is', null)
  else if (state === 'cancelled') q = q.where('cancelled_at', 'is not', null)
  else q = q.where('sent_at', 'is not', null)
  if (afterId !== null) q = q.where('id', '<', afterId)
  return q.orderBy('id', 'desc').limit(limit).execute()
}
