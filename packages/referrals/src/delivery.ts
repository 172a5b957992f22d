import type { Logger } from 'pino'
import { clockMayRun } from '@relais/core'
import { crossTenant, withTenant, type DB, type TenantTx } from '@relais/db'
import * as outbox from '@relais/db/repositories/outbox'
import { lockReferral, referralForMail, updateReferral } from '@relais/db/repositories/referrals'
import { eventWithActor, hasEventBefore } from '@relais/db/repositories/timeline'
import { flagBounced, organisationName, personName } from '@relais/db/repositories/parties'
import { MailRenderError, renderMail, type MailKind, type MailTransport } from '@relais/mail'
import { appendEvent, SYSTEM } from './timeline.ts'
import { enqueueMail } from './outbox.ts'
import { backupOf, holderRecipients, networkAdmins } from './recipients.ts'

type OutboxRow = outbox.OutboxRow

/** Exponential backoff for temporary failures: 10 s, 20 s, 40 s… capped at 30 minutes. */
const retryDelaySeconds = (attempts: number) => Math.min(1800, 10 * 2 ** Math.min(attempts, 10))

/** Everything a template needs, read fresh at send time; ids only ever travelled through Redis. */
async function mailData(trx: TenantTx, row: OutboxRow, publicUrl: string): Promise<Record<string, unknown>> {
  const tenantId = row.tenant_id
  const payload = row.payload as Record<string, unknown>
  const recipientName = row.recipient_person_id ? await personName(trx, tenantId, row.recipient_person_id) : undefined
  const base: Record<string, unknown> = { publicUrl, recipientName, timeZone: 'Europe/Paris' }
  if (row.kind === 'delivery_failed') return { ...base, ...payload }
  const r = await referralForMail(trx, tenantId, row.referral_id!)
  Object.assign(base, { referralId: r.id, reference: r.reference, theme: r.theme_label, commune: r.commune_name })
  const dueAt = r.due_at ?? row.created_at
  const event = async (kindOrSeq: string | number) => {
    const e = await eventWithActor(trx, tenantId, r.id, typeof kindOrSeq === 'number' ? { seq: kindOrSeq } : { kind: kindOrSeq })
    return { ...e, person: { name: e.actor ?? 'Relais', organisation: e.org ?? 'Relais' } }
  }
  const citizen = { name: r.citizen_name, email: r.citizen_email ?? undefined, phone: r.citizen_phone ?? undefined, preferredChannel: r.citizen_preferred_channel }
  switch (row.kind as MailKind) {
    case 'referral_new':
      return { ...base, mairie: r.mairie_name, question: r.question, citizen, dueAt }
    case 'reminder':
      return { ...base, dueAt }
    case 'escalation':
      return { ...base, level: Number(payload.level ?? 1), dueAt, overdueMinutes: Math.max(0, Math.round((row.created_at.getTime() - dueAt.getTime()) / 60000)), holder: { name: r.holder_name ?? undefined, organisation: r.holder_org } }
    case 'info_requested': {
      const e = await event(Number(payload.eventSeq))
      return { ...base, request: String(e.data.body), requestedBy: e.person, citizenName: r.citizen_name }
    }
    case 'answer_received': {
      const e = await event(Number(payload.eventSeq))
      const correction = await hasEventBefore(trx, tenantId, r.id, 'answered', e.seq)
      return { ...base, answer: String(e.data.body), answeredBy: e.person, answeredAt: e.at, citizenName: r.citizen_name, correction }
    }
    case 'transferred': {
      const e = await event('transferred')
      const from = await organisationName(trx, tenantId, String(e.data.fromOrganisationId))
      return { ...base, reason: String(payload.reason ?? e.data.reason), from: { name: e.actor ?? undefined, organisation: from ?? e.person.organisation }, dueAt, question: r.question }
    }
    case 'appointment_proposed': {
      const e = await event(Number(payload.eventSeq))
      return { ...base, place: { name: String(e.data.placeName), address: String(e.data.placeAddress ?? e.data.placeName) }, startsAt: String(e.data.at), proposedBy: e.person, citizenName: r.citizen_name, note: e.data.body ? String(e.data.body) : undefined }
    }
    default:
      throw new MailRenderError(row.kind, ['unknown kind'])
  }
}

async function recordSent(trx: TenantTx, row: OutboxRow, now: Date) {
  const recorded = await outbox.markSent(trx, row.tenant_id, row.id, now)
  if (!row.referral_id || !recorded) return
  await lockReferral(trx, row.tenant_id, row.referral_id)
  await appendEvent(trx, row.tenant_id, row.referral_id, 'mail_sent', SYSTEM, now, { mailKind: row.kind, to: row.recipient_email, messageId: row.message_id, outboxId: String(row.id) })
}

/** A permanent refusal: flag the address, tell the network admin, and hand the referral to someone reachable. */
async function recordBounce(trx: TenantTx, row: OutboxRow, now: Date, code: number | null, message: string) {
  const tenantId = row.tenant_id
  await outbox.markFailed(trx, tenantId, row.id, now, `${code ?? ''} ${message}`.trim())
  if (row.kind === 'delivery_failed') return
  let bouncedName: string | undefined
  if (row.recipient_person_id) bouncedName = (await flagBounced(trx, tenantId, row.recipient_person_id, now))?.name
  let reference: string | undefined
  if (row.referral_id) {
    const r = await lockReferral(trx, tenantId, row.referral_id)
    if (!r) throw new Error(`recordBounce: referral ${row.referral_id} not found`)
    reference = r.reference
    await appendEvent(trx, row.tenant_id, r.id, 'mail_failed', SYSTEM, now, { mailKind: row.kind, to: row.recipient_email, code, permanent: true })
    const holderBounced = row.recipient_person_id && row.recipient_person_id === r.holder_person_id && clockMayRun(r.status)
    if (holderBounced) {
      const [backup] = await backupOf(trx, tenantId, r.holder_person_id)
      const personId = backup?.personId ?? null
      await appendEvent(trx, r.tenant_id, r.id, 'assigned', SYSTEM, now, {
        mode: 'automatic', organisationId: r.holder_organisation_id, personId, viaBackupOf: backup ? r.holder_person_id : null,
        reason: backup ? 'Adresse du référent en échec : transmis à son suppléant' : 'Adresse du référent en échec : transmis aux administrateurs de l’organisme',
        previousOrganisationId: r.holder_organisation_id, previousPersonId: r.holder_person_id,
      })
      await updateReferral(trx, tenantId, r.id, { holder_person_id: personId, updated_at: now })
      await enqueueMail(trx, { tenantId, referralId: r.id, kind: 'referral_new', recipients: await holderRecipients(trx, tenantId, r.holder_organisation_id, personId), payload: { rerouted: true }, now })
    }
  }
  await enqueueMail(trx, {
    tenantId, referralId: null, kind: 'delivery_failed', recipients: await networkAdmins(trx, tenantId), now,
    payload: { address: row.recipient_email, person: bouncedName ? { name: bouncedName, organisation: '—' } : undefined, smtpCode: code, smtpMessage: message.slice(0, 2000), failedAt: now.toISOString(), referralId: row.referral_id ?? undefined, reference },
  })
}

export interface DeliverArgs { outboxId: string; tenantId: string; now: () => Date; claimSeconds: number; transport: MailTransport; publicUrl: string; log: Logger }

/** Sends one outbox mail at most once per claim; the send is recorded right after the server accepts it. */
export async function deliverOutbox(db: DB, a: DeliverArgs): Promise<'sent' | 'skipped' | 'retry' | 'failed'> {
  const prepared = await withTenant(db, { tenantId: a.tenantId }, async (trx) => {
    const now = a.now()
    const row = await outbox.claimOutbox(trx, a.tenantId, a.outboxId, now, new Date(now.getTime() + a.claimSeconds * 1000))
    if (!row) return null
    try {
      return { row, mail: renderMail(row.kind as MailKind, await mailData(trx, row, a.publicUrl)) }
    } catch (err) {
      if (!(err instanceof MailRenderError)) throw err
      return { row, error: err.message }
    }
  })
  if (!prepared) return 'skipped'
  const { row } = prepared
  if (!('mail' in prepared) || !prepared.mail) {
    a.log.error({ outboxId: row.id, kind: row.kind, err: prepared.error }, 'mail cannot be rendered')
    await withTenant(db, { tenantId: a.tenantId }, (trx) => outbox.markFailed(trx, a.tenantId, row.id, a.now(), String(prepared.error)))
    return 'failed'
  }
  const result = await a.transport.send({ to: [row.recipient_email], ...prepared.mail, messageId: row.message_id, kind: row.kind as MailKind })
  return withTenant(db, { tenantId: a.tenantId }, async (trx) => {
    const now = a.now()
    if (result.ok) {
      await recordSent(trx, row, now)
      return 'sent' as const
    }
    if (result.permanent) {
      a.log.warn({ outboxId: row.id, code: result.code }, 'mail refused permanently')
      await recordBounce(trx, row, now, result.code, result.message)
      return 'failed' as const
    }
    a.log.warn({ outboxId: row.id, code: result.code, attempts: row.attempts + 1 }, 'mail not sent, will retry')
    await outbox.scheduleRetry(trx, a.tenantId, row.id, {
      attempts: row.attempts + 1, nextAttemptAt: new Date(now.getTime() + retryDelaySeconds(row.attempts) * 1000),
      error: `${result.code ?? ''} ${result.message}`.trim(),
    })
    return 'retry' as const
  })
}

/**
 * Outbox → queue, over every tenant: claims a batch of due mails (marked relayed), `hand` gives them to the queue
 * (false: it could not, and they are released, each in its tenant's transaction, to be due again). Returns how many.
 */
export async function relayOutbox(db: DB, now: () => Date, relayGraceSeconds: number, hand: (rows: outbox.DueOutboxRow[]) => Promise<boolean>, batch = 500): Promise<number> {
  // Claimed (marked relayed) before the hand-over: another relay running at the same moment takes other rows.
  const due = await outbox.claimDueOutbox(crossTenant(db), now(), relayGraceSeconds, batch)
  if (!due.length) return 0
  if (await hand(due)) return due.length
  const byTenant = new Map<string, string[]>()
  for (const r of due) byTenant.set(r.tenant_id, [...(byTenant.get(r.tenant_id) ?? []), r.id])
  for (const [tenantId, ids] of byTenant) await withTenant(db, { tenantId }, (trx) => outbox.releaseRelayed(trx, tenantId, ids))
  return 0
}
