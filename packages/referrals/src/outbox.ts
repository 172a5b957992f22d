import { randomUUID } from 'node:crypto'
import { deterministicMessageId } from '@relais/mail/transport'
import type { TenantTx } from '@relais/db'
import { insertOutbox } from '@relais/db/repositories/outbox'
import type { Recipient } from './recipients.ts'

export type MailKind = 'referral_new' | 'reminder' | 'escalation' | 'info_requested' | 'answer_received' | 'transferred' | 'appointment_proposed' | 'info_provided' | 'cancelled' | 'delivery_failed' | 'chain_heads' | 'fiche_review' | 'info_reminder' | 'info_stale' | 'closed_no_reply' | 'invitation' | 'password_reset' | 'reply_outcome' | 'acknowledgement' | 'transfer_notice' | 'answer_forward' | 'appointment' | 'convention_signed'

/**
 * Writes mails to send in the caller's transaction: they exist if and only if the change that causes
 * them commits. Each row gets its Message-ID now, so every retry sends under the same one.
 */
export function outboxRows(args: { tenantId: string; referralId: string | null; kind: MailKind; recipients: Recipient[]; payload?: Record<string, unknown>; now: Date }) {
  return args.recipients.map((r) => ({
    tenant_id: args.tenantId, referral_id: args.referralId, kind: args.kind, recipient_person_id: r.personId,
    recipient_email: r.email, payload: JSON.stringify(args.payload ?? {}), created_at: args.now, next_attempt_at: args.now,
    message_id: deterministicMessageId(randomUUID()),
  }))
}

export async function enqueueMail(trx: TenantTx, args: Parameters<typeof outboxRows>[0]) {
  if (!args.recipients.length) return 0
  await insertOutbox(trx, args.tenantId, outboxRows(args))
  return args.recipients.length
}
