import { attachmentCount } from '@relais/db/repositories/attachments'
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { clockMayRun, infoPauseSteps, slaPromise } from '@relais/core'
import { loadPolicy } from './policy.ts'
import { crossTenant, withTenant, type DB, type TenantTx } from '@relais/db'
import * as outbox from '@relais/db/repositories/outbox'
import { lockReferral, lockReferralsIfFree, referralForMail, updateReferral } from '@relais/db/repositories/referrals'
import { eventWithActor, hasEventAfter, hasEventBefore, insertEvents, lastLinks } from '@relais/db/repositories/timeline'
import { flagBounced, organisationName, personName, tenantTimeZone } from '@relais/db/repositories/parties'
import { accountLinkToken } from '@relais/db/credentials'
import { MailRenderError, renderMail, type MailKind, type MailTransport } from '@relais/mail'
import { appendEvent, chainEvents, GENESIS_HASH, SYSTEM } from './timeline.ts'
import { privacySettings, receiptOf, type Receipt } from './citizen.ts'
import { appointmentById } from '@relais/db/repositories/appointments'
import { getSignature, receiptPdf } from '@relais/db/repositories/conventions'
import { appointmentInvitation, type AppointmentMailPayload } from './appointments.ts'
import { enqueueMail } from './outbox.ts'
import { backupOf, holderRecipients, networkAdmins } from './recipients.ts'
import { replyAddress } from './reply-address.ts'

type OutboxRow = outbox.OutboxRow

/** Exponential backoff for temporary failures: 10 s, 20 s, 40 s… capped at 30 minutes. */
const retryDelaySeconds = (attempts: number) => Math.min(1800, 10 * 2 ** Math.min(attempts, 10))

/** Everything a template needs, read fresh at send time; ids only ever travelled through Redis. */
async function mailData(trx: TenantTx, row: OutboxRow, publicUrl: string, linkKey: string | undefined): Promise<Record<string, unknown>> {
  const tenantId = row.tenant_id
  const payload = row.payload as Record<string, unknown>
  const recipientName = row.recipient_person_id ? await personName(trx, tenantId, row.recipient_person_id) : undefined
  const base: Record<string, unknown> = { publicUrl, recipientName }
  if (row.kind === 'invitation' || row.kind === 'password_reset') {
    // The outbox keeps the link's id only: the link itself is recomputed here, under the processes' key.
    if (!linkKey) throw new MailRenderError(row.kind, ['no account link key given to the sender'])
    const token = accountLinkToken(linkKey, tenantId, String(payload.linkId))
    const path = row.kind === 'invitation' ? 'compte/invitation' : 'compte/nouveau-mot-de-passe'
    const { linkId: _linkId, ...rest } = payload
    return { ...base, timeZone: await tenantTimeZone(trx, tenantId), ...rest, link: `${publicUrl.replace(/\/+$/, '')}/${path}?jeton=${token}` }
  }
  if (row.kind === 'delivery_failed' || row.kind === 'chain_heads' || row.kind === 'fiche_review') return { ...base, timeZone: await tenantTimeZone(trx, tenantId), ...payload }
  if (row.kind === 'convention_signed') {
    const s = await getSignature(trx, tenantId, String(payload.signatureId))
    if (!s) throw new MailRenderError(row.kind, ['signature not found'])
    return {
      ...base, timeZone: await tenantTimeZone(trx, tenantId), organisation: s.organisationName, signerName: s.signerName, capacity: s.capacity, signedAt: s.signedAt,
      title: s.title, version: s.version, documentSha256: s.documentSha256, receiptSha256: s.receiptSha256, url: `${publicUrl.replace(/\/+$/, '')}/conventions/signatures/${s.id}`,
    }
  }
  const r = await referralForMail(trx, tenantId, row.referral_id!)
  Object.assign(base, { referralId: r.id, reference: r.reference, theme: r.theme_label, commune: r.commune_name, timeZone: r.time_zone })
  // Files are never sent (a citizen's documents stay out of mailboxes): a person's mail says how many, with the link.
  if (row.recipient_person_id) {
    const n = await attachmentCount(trx, tenantId, r.id)
    if (n) base.attachmentCount = n
  }
  const dueAt = r.due_at ?? row.created_at
  const event = async (kindOrSeq: string | number) => {
    const e = await eventWithActor(trx, tenantId, r.id, typeof kindOrSeq === 'number' ? { seq: kindOrSeq } : { kind: kindOrSeq })
    return { ...e, person: { name: e.actor ?? 'Relais', organisation: e.org ?? 'Relais' } }
  }
  const citizen = { name: r.citizen_name, email: r.citizen_email ?? undefined, phone: r.citizen_phone ?? undefined, preferredChannel: r.citizen_preferred_channel }
  switch (row.kind as MailKind) {
    case 'referral_new': {
      // Each way a referral reaches someone has its own words: a reopened one is not a new one.
      const occasion = payload.triage ? 'triage' : payload.reopened ? 'reopened' : payload.rerouted ? 'rerouted' : payload.reassigned ? 'reassigned' : 'new'
      const extra: Record<string, unknown> = { occasion }
      if ((occasion === 'reopened' || occasion === 'reassigned') && payload.eventSeq !== undefined) {
        const e = await event(Number(payload.eventSeq))
        if (occasion === 'reopened' && e.data.body) extra.note = String(e.data.body)
        if (occasion === 'reassigned' && e.actor) extra.reassignedBy = e.actor
      }
      // A mail may be read far from the desk: the citizen's contact details only if the tenant says so (issue 18).
      const contact = (await privacySettings(trx, tenantId)).referentMailContact
      return { ...base, mairie: r.mairie_name, question: r.question, citizen: contact ? citizen : { name: citizen.name, preferredChannel: citizen.preferredChannel }, dueAt, promise: slaPromise(await loadPolicy(trx, tenantId, r.theme_id)), ...extra }
    }
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
      // The transfer that caused the mail, not the latest one (older rows carry no eventSeq).
      const e = await event(payload.eventSeq === undefined ? 'transferred' : Number(payload.eventSeq))
      const from = await organisationName(trx, tenantId, String(e.data.fromOrganisationId))
      return { ...base, reason: String(payload.reason ?? e.data.reason), triage: payload.triage === true, from: { name: e.actor ?? undefined, organisation: from ?? e.person.organisation }, dueAt, question: r.question }
    }
    case 'appointment_proposed': {
      const e = await event(Number(payload.eventSeq))
      return { ...base, place: { name: String(e.data.placeName), address: String(e.data.placeAddress ?? e.data.placeName) }, startsAt: String(e.data.at), proposedBy: e.person, citizenName: r.citizen_name, note: e.data.body ? String(e.data.body) : undefined }
    }
    case 'info_provided': {
      const e = await event(Number(payload.eventSeq))
      return { ...base, complement: String(e.data.body), providedBy: e.person, citizenName: r.citizen_name }
    }
    case 'cancelled': {
      const e = await event(Number(payload.eventSeq))
      return { ...base, reason: String(e.data.body), cancelledBy: e.person, citizenName: r.citizen_name }
    }
    case 'info_reminder': case 'info_stale': case 'closed_no_reply': {
      const request = await event('info_requested')
      if (row.kind === 'info_stale') return { ...base, requestedAt: request.at, mairie: r.mairie_name }
      if (row.kind === 'closed_no_reply') {
        const e = await event(Number(payload.eventSeq))
        return { ...base, closedBy: e.person, requestedAt: request.at, note: e.data.body ? String(e.data.body) : undefined }
      }
      const policy = await loadPolicy(trx, tenantId, r.theme_id)
      const closable = infoPauseSteps(request.at, policy).find((s) => s.name === 'info-stale')!.at
      return { ...base, request: String(request.data.body), requestedBy: request.person, requestedAt: request.at, closableAt: closable, citizenName: r.citizen_name }
    }
    case 'reply_outcome':
      return { ...base, recorded: payload.recorded === true, sentence: String(payload.sentence ?? ''), reason: payload.reason ? String(payload.reason) : undefined }
    case 'acknowledgement': {
      // The code exists in clear only in this row's payload, until the mail is sent (recordSent wipes it).
      if (typeof payload.trackingCode !== 'string') throw new MailRenderError(row.kind, ['the tracking code was already wiped'])
      const receipt = await receiptOf(trx, tenantId, r.id, payload.trackingCode)
      return { ...base, recipientName: undefined, filedAt: receipt.filedAt, promise: receipt.promise, dueAt: receipt.dueAt ?? undefined, service: contactOf(receipt.service), mairie: contactOf(receipt.mairie), trackingCode: receipt.trackingCode, notice: receipt.notice }
    }
    case 'transfer_notice': {
      // Who handles it now, as the acknowledgement names the service in charge.
      const receipt = await receiptOf(trx, tenantId, r.id, null)
      const citizen = payload.audience === 'citizen'
      return { ...base, ...(citizen ? { recipientName: undefined } : {}), audience: citizen ? 'citizen' : 'mairie', service: contactOf(receipt.service), promise: receipt.promise, dueAt: receipt.dueAt ?? undefined }
    }
    case 'answer_forward': {
      // The answer the secretary forwarded (its sequence travels in the payload), in the mairie's name.
      const e = await event(Number(payload.eventSeq))
      if (typeof e.data.body !== 'string') throw new MailRenderError(row.kind, ['the answer was erased'])
      const receipt = await receiptOf(trx, tenantId, r.id, null)
      return { ...base, recipientName: undefined, mairie: contactOf(receipt.mairie), answeredBy: e.person.organisation, answeredAt: e.at, answer: e.data.body }
    }
    case 'appointment': {
      // The version the mail speaks of travels in the payload; names and addresses are read now.
      const v = payload as unknown as AppointmentMailPayload
      const a = await appointmentById(trx, tenantId, v.appointmentId)
      if (!a) throw new MailRenderError(row.kind, ['appointment not found'])
      const startsAt = new Date(v.startsAt)
      const url = publicUrl.replace(/\/+$/, '')
      return {
        ...base, occasion: v.occasion, audience: v.audience, recipientName: v.audience === 'citizen' ? undefined : recipientName,
        place: { name: a.place_name, address: a.place_address ?? undefined, phone: a.place_phone ?? undefined },
        startsAt, durationMinutes: Math.max(1, Math.round((new Date(v.endsAt).getTime() - startsAt.getTime()) / 60000)),
        referent: { name: a.person_name, organisation: a.organisation_name }, citizenName: r.citizen_name, note: a.note ?? undefined,
        reason: v.reason, whatToBring: a.what_to_bring ?? undefined, previousStartsAt: v.previousStartsAt,
        convocationUrl: v.audience === 'secretary' && v.occasion !== 'cancelled' ? `${url}/rendez-vous/${a.id}/convocation` : undefined,
      }
    }
    default:
      throw new MailRenderError(row.kind, ['unknown kind'])
  }
}

/** The invitation beside an appointment mail: REQUEST at the payload's sequence, CANCEL for a cancellation. */
async function invitationOf(trx: TenantTx, row: OutboxRow, now: Date) {
  const v = row.payload as unknown as AppointmentMailPayload
  const a = await appointmentById(trx, row.tenant_id, v.appointmentId)
  if (!a) throw new MailRenderError(row.kind, ['appointment not found'])
  return appointmentInvitation(a, {
    method: v.occasion === 'cancelled' ? 'CANCEL' : 'REQUEST', sequence: v.sequence, startsAt: new Date(v.startsAt), endsAt: new Date(v.endsAt), stamp: now,
    attendee: { email: row.recipient_email, ...(v.audience === 'citizen' ? { name: a.citizen_name } : {}) },
  })
}

/** The signature receipt as it was written at signing (stored, so a retry attaches the same bytes). */
async function receiptAttachment(trx: TenantTx, row: OutboxRow) {
  const id = String((row.payload as Record<string, unknown>).signatureId)
  const pdf = await receiptPdf(trx, row.tenant_id, id)
  if (!pdf) throw new MailRenderError(row.kind, ['receipt not found'])
  return [{ filename: `recu-signature-${id.slice(0, 8)}.pdf`, content: pdf, contentType: 'application/pdf' }]
}

/**
 * Group commit of the sends a worker records (one per process): a mail the server accepted is marked sent at once, and
 * the marks that arrive while a write is under way go together in the next one, one statement per tenant. Each send
 * still waits for its own mark, so a worker killed meanwhile loses no more marks than it had mails in flight.
 */
export function sentMarks(db: DB) {
  type Waiting = { tenantId: string; id: string; at: Date; resolve: (recorded: boolean) => void; reject: (err: unknown) => void }
  let waiting: Waiting[] = []
  let writing = false
  async function drain() {
    if (writing) return
    writing = true
    try {
      while (waiting.length) {
        const batch = waiting
        waiting = []
        const byTenant = new Map<string, Waiting[]>()
        for (const w of batch) byTenant.set(w.tenantId, [...(byTenant.get(w.tenantId) ?? []), w])
        await Promise.all([...byTenant].map(async ([tenantId, marks]) => {
          try {
            const recorded = await withTenant(db, { tenantId }, (trx) => outbox.markSent(trx, tenantId, marks.map((m) => ({ id: m.id, at: m.at }))))
            for (const m of marks) m.resolve(recorded.has(m.id))
          } catch (err) {
            for (const m of marks) m.reject(err)
          }
        }))
      }
    } finally {
      writing = false
    }
  }
  return {
    /** true if this mark recorded the send (false: it was already recorded). */
    record(tenantId: string, id: string, at: Date): Promise<boolean> {
      return new Promise<boolean>((resolve, reject) => {
        waiting.push({ tenantId, id, at, resolve, reject })
        void drain()
      })
    },
  }
}
export type SentMarks = ReturnType<typeof sentMarks>

/**
 * Sent mails of referrals onto their timelines ("mail_sent"), in batches: per tenant, up to `limit` of them in one
 * transaction of a few statements (the outbox rows and the referrals are locked SKIP LOCKED: a referral someone is
 * changing right now is left for the next pass, never waited for). Returns how many events were appended.
 */
export async function appendSentEvents(db: DB, limit = 500): Promise<number> {
  let appended = 0
  for (const tenantId of await outbox.tenantsWithTimelinePending(crossTenant(db), limit)) {
    appended += await withTenant(db, { tenantId }, async (trx) => {
      const rows = await outbox.lockSentForTimeline(trx, tenantId, limit)
      if (!rows.length) return 0
      const byReferral = new Map<string, typeof rows>()
      for (const r of rows) byReferral.set(r.referral_id, [...(byReferral.get(r.referral_id) ?? []), r])
      const free = await lockReferralsIfFree(trx, tenantId, [...byReferral.keys()])
      const links = await lastLinks(trx, tenantId, free)
      const events = free.flatMap((referralId) => {
        const last = links.get(referralId)
        return chainEvents(tenantId, referralId, last?.seq ?? 0, last?.hash ?? GENESIS_HASH, byReferral.get(referralId)!.map((r) => ({
          kind: 'mail_sent', actor: SYSTEM, at: r.sent_at, data: { mailKind: r.kind, to: r.recipient_email, messageId: r.message_id, outboxId: String(r.id) },
        })))
      })
      await insertEvents(trx, tenantId, events)
      const done = free.flatMap((referralId) => byReferral.get(referralId)!.map((r) => r.id))
      await outbox.timelineRecorded(trx, tenantId, done)
      return done.length
    })
  }
  return appended
}

/**
 * A mail failed for good: refused permanently (flag the address, hand the referral to someone reachable), or retried
 * past its window. Either way the network admin is told. Nothing happens if the sender's claim was taken meanwhile.
 */
async function recordFailure(trx: TenantTx, row: OutboxRow, now: Date, code: number | null, message: string, how: { permanent: boolean }): Promise<boolean> {
  if (!await outbox.failClaimed(trx, row.tenant_id, row.id, row.claim_id!, now, `${code ?? ''} ${message}`.trim())) return false
  await failureConsequences(trx, row, now, code, message, how)
  return true
}

/**
 * What a mail that will never arrive changes, whether the server said so at once or a delivery status notification
 * came back later (issue 15): the address is flagged, a referral it held goes to someone reachable, the mission TIC is told.
 */

/** A service's contact as a mail shows it (absent fields left out). */
const contactOf = (c: Receipt['service']) => ({ name: c.name, address: c.address ?? undefined, email: c.email ?? undefined, phone: c.phone ?? undefined })
export async function failureConsequences(trx: TenantTx, row: OutboxRow, now: Date, code: number | null, message: string, how: { permanent: boolean }): Promise<void> {
  const tenantId = row.tenant_id
  if (row.kind === 'delivery_failed' || row.kind === 'reply_outcome') return
  let bouncedName: string | undefined
  if (row.recipient_person_id && how.permanent) bouncedName = (await flagBounced(trx, tenantId, row.recipient_person_id, now))?.name
  else if (row.recipient_person_id) bouncedName = await personName(trx, tenantId, row.recipient_person_id)
  let reference: string | undefined
  if (row.referral_id) {
    const r = await lockReferral(trx, tenantId, row.referral_id)
    if (!r) throw new Error(`recordBounce: referral ${row.referral_id} not found`)
    reference = r.reference
    await appendEvent(trx, row.tenant_id, r.id, 'mail_failed', SYSTEM, now, { mailKind: row.kind, to: row.recipient_email, code, permanent: how.permanent })
    const holderBounced = how.permanent && row.recipient_person_id && row.recipient_person_id === r.holder_person_id && clockMayRun(r.status)
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

const HOLDER_TURN = new Set(['submitted', 'assigned'])

/**
 * Why a reminder or escalation no longer applies when it is about to go (null: it does): the referral was answered,
 * closed or put on hold, or moved to another holder, after the step that queued it.
 */
async function staleStep(trx: TenantTx, row: OutboxRow): Promise<string | null> {
  if ((row.kind === 'info_reminder' || row.kind === 'info_stale') && row.referral_id) {
    const r = await referralForMail(trx, row.tenant_id, row.referral_id)
    return r.status === 'awaiting_info' ? null : 'Sans objet : le complément est arrivé (ou la saisine a changé de statut) avant l’envoi.'
  }
  if ((row.kind !== 'reminder' && row.kind !== 'escalation') || !row.referral_id) return null
  const r = await referralForMail(trx, row.tenant_id, row.referral_id)
  if (r.sla_met_at || !HOLDER_TURN.has(r.status)) return `Sans objet : la saisine est passée au statut ${r.status} avant l’envoi.`
  if (r.clock_started_at > row.created_at) return 'Sans objet : un nouveau délai a commencé avant l’envoi.'
  const seq = Number((row.payload as Record<string, unknown>).eventSeq)
  if (Number.isInteger(seq) && await hasEventAfter(trx, row.tenant_id, r.id, ['transferred', 'assigned', 'answered', 'appointment_proposed', 'info_requested'], seq)) {
    return 'Sans objet : la saisine a changé de main ou reçu une réponse avant l’envoi.'
  }
  return null
}

export interface DeliverArgs {
  outboxId: string; tenantId: string; now: () => Date; claimSeconds: number; transport: MailTransport; publicUrl: string; log: Logger
  /** Temporary failures are retried this long after the mail was written (or resent), then it is failed. Default 48. */
  retryHours?: number
  /** The key the invitation and password links are derived with (accountLinkKey of JWT_SECRET). */
  linkKey?: string
  /** Replies by email (issue 15): a mail about a referral to a person carries a reply address signed with key. */
  reply?: { key: Buffer; domain: string } | null
  /** The worker's group commit of sent marks (sentMarks); without it each send is recorded in its own transaction. */
  sent?: SentMarks
}

/** The mail's Reply-To, for a person about a referral (she may act on it by answering); none on our own answers to her mail. */
function replyHeaders(row: OutboxRow, reply: DeliverArgs['reply']): { replyTo?: string; headers?: Record<string, string> } {
  if (row.kind === 'reply_outcome') {
    const inReplyTo = (row.payload as Record<string, unknown>).inReplyTo
    // RFC 3834: an automatic answer to a person's mail says so, and threads under it.
    return { headers: { 'Auto-Submitted': 'auto-replied', ...(typeof inReplyTo === 'string' && inReplyTo ? { 'In-Reply-To': inReplyTo, References: inReplyTo } : {}) } }
  }
  if (!reply || !row.referral_id || !row.recipient_person_id) return {}
  return { replyTo: replyAddress(reply.key, String(row.id), reply.domain) }
}

/** Sends one outbox mail at most once per claim; the send is recorded right after the server accepts it. */
export async function deliverOutbox(db: DB, a: DeliverArgs): Promise<'sent' | 'skipped' | 'cancelled' | 'retry' | 'failed'> {
  const claimId = randomUUID()
  const prepared = await withTenant(db, { tenantId: a.tenantId }, async (trx) => {
    const now = a.now()
    const row = await outbox.claimOutbox(trx, a.tenantId, a.outboxId, now, new Date(now.getTime() + a.claimSeconds * 1000), claimId)
    if (!row) return null
    const stale = await staleStep(trx, row)
    if (stale) {
      await outbox.cancelClaimed(trx, a.tenantId, row.id, claimId, now, stale)
      return 'cancelled' as const
    }
    try {
      const data = await mailData(trx, row, a.publicUrl, a.linkKey)
      const mairie = row.kind === 'answer_forward' ? data.mairie as { name: string; email?: string } : undefined
      return {
        row, mail: {
          ...renderMail(row.kind as MailKind, data), ...(row.kind === 'appointment' ? { calendar: await invitationOf(trx, row, a.now()) } : {}), ...(row.kind === 'convention_signed' ? { attachments: await receiptAttachment(trx, row) } : {}),
          // The answer reaches the citizen in her mairie's name, and her reply goes to the mairie.
          ...(mairie ? { sender: { name: mairie.name, ...(mairie.email ? { replyTo: mairie.email } : {}) } } : {}),
        },
      }
    } catch (err) {
      if (!(err instanceof MailRenderError)) throw err
      return { row, error: err.message }
    }
  })
  if (!prepared) return 'skipped'
  if (prepared === 'cancelled') return 'cancelled'
  const { row } = prepared
  if (!('mail' in prepared) || !prepared.mail) {
    a.log.error({ outboxId: row.id, kind: row.kind, err: prepared.error }, 'mail cannot be rendered')
    await withTenant(db, { tenantId: a.tenantId }, (trx) => outbox.failClaimed(trx, a.tenantId, row.id, claimId, a.now(), String(prepared.error)))
    return 'failed'
  }
  const result = await a.transport.send({ to: [row.recipient_email], ...prepared.mail, messageId: row.message_id, kind: row.kind as MailKind, ...replyHeaders(row, a.reply) })
  if (result.ok) {
    // Recorded on the outbox row only (with other sends of the moment when a.sent groups them); the timeline's
    // "mail_sent" follows in appendSentEvents' next batch.
    const at = a.now()
    if (a.sent) await a.sent.record(a.tenantId, row.id, at)
    else await withTenant(db, { tenantId: a.tenantId }, (trx) => outbox.markSent(trx, a.tenantId, [{ id: row.id, at }]))
    return 'sent'
  }
  return withTenant(db, { tenantId: a.tenantId }, async (trx) => {
    const now = a.now()
    if (result.permanent) {
      a.log.warn({ outboxId: row.id, code: result.code }, 'mail refused permanently')
      return await recordFailure(trx, row, now, result.code, result.message, { permanent: true }) ? 'failed' as const : 'skipped' as const
    }
    const windowEnd = (row.resent_at ?? row.created_at).getTime() + (a.retryHours ?? 48) * 3_600_000
    if (now.getTime() >= windowEnd) {
      a.log.warn({ outboxId: row.id, code: result.code, attempts: row.attempts + 1 }, 'mail not sent within its retry window, failed')
      const message = `Abandonné après ${a.retryHours ?? 48} h d’essais : ${result.message}`
      return await recordFailure(trx, row, now, result.code, message, { permanent: false }) ? 'failed' as const : 'skipped' as const
    }
    a.log.warn({ outboxId: row.id, code: result.code, attempts: row.attempts + 1 }, 'mail not sent, will retry')
    const retried = await outbox.retryClaimed(trx, a.tenantId, row.id, claimId, {
      attempts: row.attempts + 1, nextAttemptAt: new Date(Math.min(windowEnd, now.getTime() + retryDelaySeconds(row.attempts) * 1000)),
      error: `${result.code ?? ''} ${result.message}`.trim(),
    })
    return retried ? 'retry' as const : 'skipped' as const
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
