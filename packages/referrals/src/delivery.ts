import type { Logger } from 'pino'
import { clockMayRun } from '@relais/core'
import { withTenant, type DB, type Tx } from '@relais/db'
import { MailRenderError, renderMail, type MailKind, type MailTransport } from '@relais/mail'
import { appendEvent, SYSTEM } from './timeline.ts'
import { enqueueMail } from './outbox.ts'
import { backupOf, holderRecipients, networkAdmins } from './recipients.ts'

type OutboxRow = Awaited<ReturnType<typeof claim>>

/** Exponential backoff for temporary failures: 10 s, 20 s, 40 s… capped at 30 minutes. */
export const retryDelaySeconds = (attempts: number) => Math.min(1800, 10 * 2 ** Math.min(attempts, 10))

async function claim(trx: Tx, outboxId: string, now: Date, claimSeconds: number) {
  return trx.updateTable('outbox')
    .set({ claimed_until: new Date(now.getTime() + claimSeconds * 1000), relayed_at: now })
    .where('id', '=', outboxId).where('sent_at', 'is', null).where('failed_at', 'is', null)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .returningAll().executeTakeFirst()
}

/** Everything a template needs, read fresh at send time; ids only ever travelled through Redis. */
async function mailData(trx: Tx, row: NonNullable<OutboxRow>, publicUrl: string): Promise<Record<string, unknown>> {
  const payload = row.payload as Record<string, unknown>
  const recipient = row.recipient_person_id ? await trx.selectFrom('person').select('name').where('id', '=', row.recipient_person_id).executeTakeFirst() : undefined
  const base: Record<string, unknown> = { publicUrl, recipientName: recipient?.name, timeZone: 'Europe/Paris' }
  if (row.kind === 'delivery_failed') return { ...base, ...payload }
  const r = await trx.selectFrom('referral as r').innerJoin('theme as t', 't.id', 'r.theme_id').innerJoin('commune as c', 'c.insee', 'r.commune_insee')
    .innerJoin('organisation as m', 'm.id', 'r.mairie_organisation_id').innerJoin('organisation as h', 'h.id', 'r.holder_organisation_id')
    .leftJoin('person as hp', 'hp.id', 'r.holder_person_id')
    .selectAll('r').select(['t.label as theme_label', 'c.name as commune_name', 'm.name as mairie_name', 'h.name as holder_org', 'hp.name as holder_name'])
    .where('r.id', '=', row.referral_id!).executeTakeFirstOrThrow()
  Object.assign(base, { referralId: r.id, reference: r.reference, theme: r.theme_label, commune: r.commune_name })
  const dueAt = r.due_at ?? row.created_at
  const event = async (kindOrSeq: string | number) => {
    let q = trx.selectFrom('referral_event as e').leftJoin('person as a', 'a.id', 'e.actor_person_id').leftJoin('organisation as o', 'o.id', 'e.actor_organisation_id')
      .select(['e.seq', 'e.at', 'e.data', 'a.name as actor', 'o.name as org']).where('e.referral_id', '=', r.id)
    q = typeof kindOrSeq === 'number' ? q.where('e.seq', '=', kindOrSeq) : q.where('e.kind', '=', kindOrSeq)
    const e = await q.orderBy('e.seq', 'desc').limit(1).executeTakeFirstOrThrow()
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
      const earlier = await trx.selectFrom('referral_event').select('seq').where('referral_id', '=', r.id).where('kind', '=', 'answered').where('seq', '<', e.seq).limit(1).executeTakeFirst()
      return { ...base, answer: String(e.data.body), answeredBy: e.person, answeredAt: e.at, citizenName: r.citizen_name, correction: !!earlier }
    }
    case 'transferred': {
      const e = await event('transferred')
      const from = await trx.selectFrom('organisation').select('name').where('id', '=', String(e.data.fromOrganisationId)).executeTakeFirst()
      return { ...base, reason: String(payload.reason ?? e.data.reason), from: { name: e.actor ?? undefined, organisation: from?.name ?? e.person.organisation }, dueAt, question: r.question }
    }
    case 'appointment_proposed': {
      const e = await event(Number(payload.eventSeq))
      return { ...base, place: { name: String(e.data.placeName), address: String(e.data.placeAddress ?? e.data.placeName) }, startsAt: String(e.data.at), proposedBy: e.person, citizenName: r.citizen_name, note: e.data.body ? String(e.data.body) : undefined }
    }
    default:
      throw new MailRenderError(row.kind, ['unknown kind'])
  }
}

async function recordSent(trx: Tx, row: NonNullable<OutboxRow>, now: Date) {
  const done = await trx.updateTable('outbox').set({ sent_at: now, claimed_until: null, last_error: null }).where('id', '=', row.id).where('sent_at', 'is', null).executeTakeFirst()
  if (!row.referral_id || Number(done.numUpdatedRows) === 0) return
  await trx.selectFrom('referral').select('id').where('id', '=', row.referral_id).forUpdate().execute()
  await appendEvent(trx, row.tenant_id, row.referral_id, 'mail_sent', SYSTEM, now, { mailKind: row.kind, to: row.recipient_email, messageId: row.message_id, outboxId: String(row.id) })
}

/** A permanent refusal: flag the address, tell the network admin, and hand the referral to someone reachable. */
async function recordBounce(trx: Tx, row: NonNullable<OutboxRow>, now: Date, code: number | null, message: string) {
  await trx.updateTable('outbox').set({ failed_at: now, claimed_until: null, last_error: `${code ?? ''} ${message}`.trim().slice(0, 2000) }).where('id', '=', row.id).execute()
  if (row.kind === 'delivery_failed') return
  let personName: string | undefined
  if (row.recipient_person_id) {
    const p = await trx.updateTable('person').set({ email_bounced_at: now }).where('id', '=', row.recipient_person_id).returning(['name', 'organisation_id']).executeTakeFirst()
    personName = p?.name
  }
  let reference: string | undefined
  if (row.referral_id) {
    const r = await trx.selectFrom('referral').selectAll().where('id', '=', row.referral_id).forUpdate().executeTakeFirstOrThrow()
    reference = r.reference
    await appendEvent(trx, row.tenant_id, r.id, 'mail_failed', SYSTEM, now, { mailKind: row.kind, to: row.recipient_email, code, permanent: true })
    const holderBounced = row.recipient_person_id && row.recipient_person_id === r.holder_person_id && clockMayRun(r.status)
    if (holderBounced) {
      const [backup] = await backupOf(trx, r.holder_person_id)
      const personId = backup?.personId ?? null
      await appendEvent(trx, r.tenant_id, r.id, 'assigned', SYSTEM, now, {
        mode: 'automatic', organisationId: r.holder_organisation_id, personId, viaBackupOf: backup ? r.holder_person_id : null,
        reason: backup ? 'Adresse du référent en échec : transmis à son suppléant' : 'Adresse du référent en échec : transmis aux administrateurs de l’organisme',
        previousOrganisationId: r.holder_organisation_id, previousPersonId: r.holder_person_id,
      })
      await trx.updateTable('referral').set({ holder_person_id: personId, updated_at: now }).where('id', '=', r.id).execute()
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'referral_new', recipients: await holderRecipients(trx, r.holder_organisation_id, personId), payload: { rerouted: true }, now })
    }
  }
  await enqueueMail(trx, {
    tenantId: row.tenant_id, referralId: null, kind: 'delivery_failed', recipients: await networkAdmins(trx), now,
    payload: { address: row.recipient_email, person: personName ? { name: personName, organisation: '—' } : undefined, smtpCode: code, smtpMessage: message.slice(0, 2000), failedAt: now.toISOString(), referralId: row.referral_id ?? undefined, reference },
  })
}

export interface DeliverArgs { outboxId: string; tenantId: string; now: () => Date; claimSeconds: number; transport: MailTransport; publicUrl: string; log: Logger }

/** Sends one outbox mail at most once per claim; the send is recorded right after the server accepts it. */
export async function deliverOutbox(db: DB, a: DeliverArgs): Promise<'sent' | 'skipped' | 'retry' | 'failed'> {
  const prepared = await withTenant(db, { tenantId: a.tenantId }, async (trx) => {
    const row = await claim(trx, a.outboxId, a.now(), a.claimSeconds)
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
    await withTenant(db, { tenantId: a.tenantId }, (trx) => trx.updateTable('outbox').set({ failed_at: a.now(), claimed_until: null, last_error: String(prepared.error).slice(0, 2000) }).where('id', '=', row.id).execute())
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
    await trx.updateTable('outbox').set({
      attempts: row.attempts + 1, next_attempt_at: new Date(now.getTime() + retryDelaySeconds(row.attempts) * 1000),
      last_error: `${result.code ?? ''} ${result.message}`.trim().slice(0, 2000), claimed_until: null, relayed_at: null,
    }).where('id', '=', row.id).execute()
    return 'retry' as const
  })
}
