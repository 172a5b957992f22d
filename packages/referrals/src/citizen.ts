// The citizen's side of a referral (issue 18): the acknowledgement of receipt (CRPA L112-3, R112-5) with its tracking
// code, the tracking page's answer, and the tenant's rules for her personal data (the notice's facts).
import { createHash, randomInt, timingSafeEqual } from 'node:crypto'
import {
  NotFound, TooManyRequests, authorizeForwardAnswer, authorizeRole, conflict, invalidFields, TRACKING_ALPHABET, TRACKING_CODE_LENGTH, TRACKING_STATUS, authorizeAcknowledge, formatTrackingCode, nameInitial,
  formatReference, normalizeTrackingCode, notFound, parseReference, slaPromise, trackingSteps, type TrackingStep,
} from '@relais/core'
import { crossTenant, withTenant, type DB, type TenantTx } from '@relais/db'
import * as repo from '@relais/db/repositories/citizen'
import { lockReferral } from '@relais/db/repositories/referrals'
import { logAccess } from '@relais/db/repositories/access-log'
import { recordChange } from '@relais/db/repositories/audit'
import { loadPolicy } from './policy.ts'
import { appendEvent, isErased, type Actor } from './timeline.ts'
import { enqueueMail } from './outbox.ts'
import type { Principal } from './service.ts'

/** A fresh tracking code: 12 symbols drawn uniformly from an alphabet without look-alikes. */
export function newTrackingCode(): string {
  let code = ''
  for (let i = 0; i < TRACKING_CODE_LENGTH; i++) code += TRACKING_ALPHABET[randomInt(TRACKING_ALPHABET.length)]
  return code
}

/** What is stored: a hash bound to the referral, so one code never opens another referral. */
export const trackingHash = (referralId: string, code: string) => createHash('sha256').update(`relais-suivi:${referralId}:${code}`).digest('hex')

export const DEFAULT_RETENTION_MONTHS = 24

export interface PrivacySettings { dpoContact: string; retentionMonths: number; referentMailContact: boolean; own: boolean }

/** The tenant's rules for citizens' data; without its own row, the mission TIC is the contact and data stay 24 months. */
export async function privacySettings(trx: TenantTx, tenantId: string): Promise<PrivacySettings> {
  const row = await repo.privacyRow(trx, tenantId)
  if (row) return { dpoContact: row.dpo_contact, retentionMonths: row.retention_months, referentMailContact: row.referent_mail_contact, own: true }
  const tic = await repo.missionTicContact(trx, tenantId)
  const contact = tic ? [tic.name, tic.address, tic.email].filter(Boolean).join(', ') : 'la mission TIC du département'
  return { dpoContact: `Délégué à la protection des données, ${contact}`, retentionMonths: DEFAULT_RETENTION_MONTHS, referentMailContact: false, own: false }
}

/** The mission TIC changes them (the contact is trimmed and required). */
export async function changePrivacySettings(trx: TenantTx, p: Principal, v: { dpoContact: string; retentionMonths: number; referentMailContact: boolean }, now: Date): Promise<PrivacySettings> {
  authorizeRole(p, 'privacy.settings')
  const dpoContact = v.dpoContact.trim()
  const issues = []
  if (!dpoContact) issues.push({ path: 'dpoContact', message: 'Les coordonnées du délégué à la protection des données sont obligatoires.' })
  if (!Number.isInteger(v.retentionMonths) || v.retentionMonths < 1 || v.retentionMonths > 120) issues.push({ path: 'retentionMonths', message: 'La durée de conservation est un nombre de mois entre 1 et 120.' })
  if (issues.length) throw invalidFields(issues)
  const before = await privacySettings(trx, p.tenantId)
  await repo.savePrivacy(trx, p.tenantId, { dpoContact, retentionMonths: v.retentionMonths, referentMailContact: v.referentMailContact }, now)
  // Like every policy change, on the audit log (migration 0040): only the fields that changed, before → after.
  const after = { dpoContact, retentionMonths: v.retentionMonths, referentMailContact: v.referentMailContact }
  const changed = (Object.keys(after) as (keyof typeof after)[]).filter((k) => before[k] !== after[k])
  if (changed.length) {
    await recordChange(trx, p.tenantId, {
      actorPersonId: p.personId, entity: 'privacy_settings', entityId: null, action: before.own ? 'update' : 'create', label: 'Règles des données personnelles des usagers',
      before: Object.fromEntries(changed.map((k) => [k, before[k]])), after: Object.fromEntries(changed.map((k) => [k, after[k]])),
    })
  }
  return privacySettings(trx, p.tenantId)
}

/** The information notice (RGPD art. 13) as the form, the receipt and the acknowledgement mail show it. */
export function privacyNotice(s: Pick<PrivacySettings, 'dpoContact' | 'retentionMonths'>) {
  return {
    controller: 'Le département, qui fait fonctionner le réseau Relais avec les mairies et les organismes partenaires.',
    purpose: 'Transmettre votre question à l’administration compétente, vous apporter une réponse et suivre le délai de réponse.',
    legalBasis: 'Mission d’intérêt public (article 6.1.e du RGPD ; code des relations entre le public et l’administration, articles L112-3 et L114-2).',
    recipients: 'La mairie qui a déposé la demande, l’organisme partenaire chargé d’y répondre et la mission TIC du département. Aucune donnée n’est vendue ni transférée hors de l’Union européenne.',
    retention: `Vos nom, adresse électronique, téléphone et les données personnelles de la demande sont effacés ${s.retentionMonths} mois après la clôture de la demande.`,
    rights: 'Vous pouvez accéder à vos données, les faire rectifier ou effacer, demander la limitation du traitement ou vous y opposer.',
    contact: s.dpoContact,
    complaint: 'Vous pouvez aussi adresser une réclamation à la CNIL (www.cnil.fr).',
  }
}

export type PrivacyNotice = ReturnType<typeof privacyNotice>

const contactOf = (name: string, address: string | null, email: string | null, phone: string | null) => ({ name, address, email, phone })

export interface Receipt {
  id: string; reference: string; filedAt: string; dueAt: string | null; promise: string; theme: string; timeZone: string
  initial: string; byEmail: boolean
  service: { name: string; address: string | null; email: string | null; phone: string | null }
  mairie: { name: string; address: string | null; email: string | null; phone: string | null }
  trackingCode: string | null; notice: PrivacyNotice
}

/** What the acknowledgement says (R112-5): when received, who handles it and how to reach them, by when, how to follow it. */
export async function receiptOf(trx: TenantTx, tenantId: string, referralId: string, trackingCode: string | null): Promise<Receipt> {
  const r = await repo.receiptFacts(trx, tenantId, referralId)
  if (!r) throw notFound('Cette saisine')
  const policy = await loadPolicy(trx, tenantId, r.theme_id)
  const settings = await privacySettings(trx, tenantId)
  // While the mission TIC sorts it out, the mairie is the service the citizen deals with.
  const service = r.holder_kind === 'mission_tic' ? contactOf(r.mairie_name, r.mairie_address, r.mairie_email, r.mairie_phone) : contactOf(r.holder_name, r.holder_address, r.holder_email, r.holder_phone)
  return {
    id: r.id, reference: r.reference, filedAt: r.filed_at.toISOString(), dueAt: r.due_at?.toISOString() ?? null, promise: slaPromise(policy), theme: r.theme_label,
    timeZone: r.time_zone, initial: nameInitial(r.citizen_name), byEmail: !!r.citizen_email, service,
    mairie: contactOf(r.mairie_name, r.mairie_address, r.mairie_email, r.mairie_phone),
    trackingCode: trackingCode ? formatTrackingCode(trackingCode) : null, notice: privacyNotice(settings),
  }
}

/**
 * « Imprimer l’accusé de réception »: a new tracking code replaces the previous one (only its hash is kept, so the
 * old one cannot be printed again), the timeline records it, and the receipt carries the new code.
 */
export async function printReceipt(trx: TenantTx, p: Principal, referralId: string, now: Date): Promise<Receipt> {
  const r = await lockReferral(trx, p.tenantId, referralId)
  if (!r) throw notFound('Cette saisine')
  authorizeAcknowledge(p, r)
  const code = newTrackingCode()
  await repo.setTrackingHash(trx, p.tenantId, r.id, trackingHash(r.id, code))
  const actor: Actor = { personId: p.personId, organisationId: p.organisationId }
  await appendEvent(trx, p.tenantId, r.id, 'receipt_printed', actor, now, { replacedCode: r.tracking_code_hash !== null })
  return receiptOf(trx, p.tenantId, r.id, code)
}

export type ForwardChannel = 'email' | 'print'

export interface ForwardedAnswer {
  channel: ForwardChannel
  /** The address the mail goes to (email), null for a letter to print. */
  to: string | null
  reference: string; theme: string; citizenName: string; timeZone: string
  mairie: Receipt['mairie']
  answer: { seq: number; at: string; body: string; organisation: string }
}

/**
 * « Transmettre la réponse à l’usager » (issue 18): the latest written answer goes to the citizen in her mairie's name —
 * a mail through the outbox when she gave an address, otherwise a letter the secretary prints — and the timeline
 * records it. No written answer yet (or its text erased): 409, nothing recorded.
 */
export async function forwardAnswer(trx: TenantTx, p: Principal, referralId: string, opts: { channel?: ForwardChannel }, now: Date): Promise<ForwardedAnswer> {
  const r = await lockReferral(trx, p.tenantId, referralId)
  if (!r) throw notFound('Cette saisine')
  authorizeForwardAnswer(p, r)
  if (r.anonymised_at) throw conflict('citizen_data_erased', 'Les données de l’usager ont été effacées : la réponse ne peut plus lui être transmise.')
  const answer = await repo.lastAnswer(trx, p.tenantId, r.id)
  if (!answer) throw conflict('no_written_answer', 'Cette saisine n’a pas encore de réponse écrite : il n’y a rien à transmettre à l’usager.')
  const body = answer.data.body
  if (typeof body !== 'string' || isErased(body)) throw conflict('citizen_data_erased', 'Le texte de la réponse a été effacé : il ne peut plus être transmis.')
  const email = r.citizen_email?.trim() || null
  const channel = opts.channel ?? (email ? 'email' : 'print')
  if (channel === 'email' && !email) throw conflict('no_citizen_email', 'L’usager n’a pas donné d’adresse électronique : imprimez la réponse et remettez-la-lui ou envoyez-la par la poste.')
  const actor: Actor = { personId: p.personId, organisationId: p.organisationId }
  await appendEvent(trx, p.tenantId, r.id, 'answer_forwarded', actor, now, { channel, answerSeq: answer.seq })
  if (channel === 'email') await enqueueMail(trx, { tenantId: p.tenantId, referralId: r.id, kind: 'answer_forward', recipients: [{ personId: null, email: email! }], payload: { eventSeq: answer.seq }, now })
  // The letter shows her name and the answer to the secretary: a display of her data (the access log).
  else await logAccess(trx, p.tenantId, [r.id], p.personId, now, 'print')
  const receipt = await receiptOf(trx, p.tenantId, r.id, null)
  return {
    channel, to: channel === 'email' ? email : null, reference: r.reference, theme: receipt.theme, citizenName: r.citizen_name, timeZone: receipt.timeZone, mairie: receipt.mairie,
    answer: { seq: answer.seq, at: answer.at.toISOString(), body, organisation: answer.organisation ?? '' },
  }
}

/** Too many wrong codes from one address: the same wait whether the reference exists or not. */
export class TrackingThrottled extends TooManyRequests {
  constructor(public readonly retryAfterSeconds: number) {
    super('too_many_attempts', `Trop de tentatives : réessayez dans ${retryAfterSeconds < 60 ? `${retryAfterSeconds} secondes` : `${Math.ceil(retryAfterSeconds / 60)} minutes`}.`)
  }
}

/** Counts failures per reference-and-address and per address (the login's throttle, its own keys). */
export interface TrackingGuard {
  reserve(key: string, ip: string): Promise<number>
  succeeded(key: string, ip: string): Promise<void>
}

export interface Tracking { reference: string; status: string; statusLabel: string; initial: string; theme: string; organisation: string; expectedAt: string | null; promise: string; steps: TrackingStep[]; timeZone: string }

const unknown = () => new NotFound('tracking_not_found', 'Aucune demande ne correspond à cette référence et à ce code : vérifiez-les sur votre accusé de réception.')

/**
 * The tracking page's answer, without login: the reference and its code must match, else the same 404 as an unknown
 * reference (no telling which was wrong). Every miss counts against the address; beyond the limit, 429 for all.
 */
export async function trackReferral(db: DB, guard: TrackingGuard, input: { reference: string; code: string; ip: string }, log?: { warn: (o: object, m: string) => void }): Promise<Tracking> {
  const parsed = parseReference(input.reference)
  const reference = parsed ? formatReference(parsed.tenantCode, parsed.year, parsed.sequence) : input.reference.trim().toUpperCase().slice(0, 40)
  const wait = await guard.reserve(reference, input.ip).catch((err: Error) => { log?.warn({ err: err.message }, 'tracking throttle unavailable'); return 0 })
  if (wait > 0) throw new TrackingThrottled(wait)
  const code = normalizeTrackingCode(input.code)
  const candidates = parsed && code ? await repo.trackingCandidates(crossTenant(db), reference) : []
  const match = candidates.find((c) => {
    const a = Buffer.from(c.tracking_code_hash, 'hex')
    const b = Buffer.from(trackingHash(c.referral_id, code!), 'hex')
    return a.length === b.length && timingSafeEqual(a, b)
  })
  if (!match) throw unknown()
  await guard.succeeded(reference, input.ip).catch(() => undefined)
  return withTenant(db, { tenantId: match.tenant_id }, async (trx) => {
    const r = await repo.receiptFacts(trx, match.tenant_id, match.referral_id)
    if (!r) throw unknown()
    const events = await repo.trackingEvents(trx, match.tenant_id, r.id)
    const ids = [...new Set(events.map((e) => e.data.organisationId).filter((x): x is string => typeof x === 'string'))]
    const names = await repo.organisationNames(trx, match.tenant_id, ids)
    const policy = await loadPolicy(trx, match.tenant_id, r.theme_id)
    const running = r.status === 'submitted' || r.status === 'assigned'
    return {
      reference: r.reference, status: r.status, statusLabel: TRACKING_STATUS[r.status] ?? r.status, initial: nameInitial(r.citizen_name), theme: r.theme_label,
      organisation: r.holder_kind === 'mission_tic' ? `${r.holder_name} (orientation en cours)` : r.holder_name,
      expectedAt: running ? r.due_at?.toISOString() ?? null : null, promise: slaPromise(policy),
      steps: trackingSteps(events, (id) => names.get(id), r.time_zone), timeZone: r.time_zone,
    }
  })
}
