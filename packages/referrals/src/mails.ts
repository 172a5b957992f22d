// What the mission TIC sees of the outbox: mails that failed, wait for a retry, or were sent. Nothing fails silently.
import type { TenantTx } from '@relais/db'
import { decodeCursor, page } from '@relais/db/paging'
import { conflict, notFound } from '@relais/core'
import { findOutbox, listOutbox, resendFailed, type OutboxState } from '@relais/db/repositories/outbox'

export async function listMails(trx: TenantTx, tenantId: string, q: { state?: OutboxState; cursor?: string; limit: number }) {
  const after = decodeCursor(q.cursor, 1)
  const rows = await listOutbox(trx, tenantId, q.state ?? 'failed', after ? String(after[0]) : null, q.limit + 1)
  const result = page(rows, q.limit, (r) => [String(r.id)])
  return {
    nextCursor: result.nextCursor,
    items: result.items.map((r) => ({
      id: String(r.id), kind: r.kind, to: r.recipient_email, referralId: r.referral_id, attempts: r.attempts, lastError: r.last_error,
      state: r.sent_at ? 'sent' : r.failed_at ? 'failed' : r.cancelled_at ? 'cancelled' : 'pending', createdAt: r.created_at.toISOString(), sentAt: r.sent_at?.toISOString() ?? null, nextAttemptAt: r.next_attempt_at.toISOString(),
    })),
  }
}

/** « Renvoyer »: a failed mail goes again, with a new retry window. 404 if unknown, 409 if it is not failed. */
export async function resendMail(trx: TenantTx, tenantId: string, id: string, now: Date): Promise<{ id: string; state: 'pending' }> {
  if (!/^[0-9]{1,18}$/.test(id)) throw notFound('Ce courriel')
  if (!await resendFailed(trx, tenantId, id, now)) {
    const row = await findOutbox(trx, tenantId, id)
    if (!row) throw notFound('Ce courriel')
    throw conflict('mail_not_failed', row.sent_at ? 'Ce courriel a déjà été envoyé.' : 'Ce courriel n’est pas en échec : il est déjà en cours d’envoi.')
  }
  return { id, state: 'pending' }
}
