// Renders the French notification mails (subject, plain text, HTML) from Handlebars templates.
// Pure apart from reading the template files once: no clock, no network.
import { readFileSync } from 'node:fs'
import Handlebars from 'handlebars'
import Type, { type Static, type TSchema } from 'typebox'
import Value from 'typebox/value'
import { CHANNEL_PHRASES, dateTimeFr, labelOf } from '@relais/core'

export type MailKind =
  | 'referral_new'
  | 'reminder'
  | 'escalation'
  | 'info_requested'
  | 'answer_received'
  | 'transferred'
  | 'appointment_proposed'
  | 'info_provided'
  | 'cancelled'
  | 'delivery_failed'
  | 'chain_heads'
  | 'fiche_review'
  | 'info_reminder'
  | 'info_stale'
  | 'closed_no_reply'
  | 'invitation'
  | 'password_reset'
  | 'reply_outcome'
  | 'acknowledgement'
  | 'transfer_notice'
  | 'answer_forward'
  | 'appointment'
  | 'convention_signed'

export const MAIL_KINDS: readonly MailKind[] = [
  'referral_new', 'reminder', 'escalation', 'info_requested', 'answer_received', 'transferred', 'appointment_proposed', 'info_provided', 'cancelled', 'delivery_failed', 'chain_heads', 'fiche_review', 'info_reminder', 'info_stale', 'closed_no_reply', 'invitation', 'password_reset', 'reply_outcome', 'acknowledgement', 'transfer_notice', 'answer_forward', 'appointment', 'convention_signed',
]

export const REFERRAL_OCCASIONS = ['new', 'triage', 'reopened', 'rerouted', 'reassigned'] as const
export type ReferralOccasion = (typeof REFERRAL_OCCASIONS)[number]
/** The mail's heading (HTML title) for each occasion. */
const OCCASION_HEADLINES: Record<ReferralOccasion, string> = {
  new: 'Nouvelle saisine', triage: 'Saisine à orienter', reopened: 'Saisine rouverte', rerouted: 'Saisine qui vous est confiée', reassigned: 'Saisine qui vous est confiée',
}

export interface RenderedMail { subject: string; text: string; html: string }

export const DEFAULT_TIME_ZONE = 'Europe/Paris'

// ---------------------------------------------------------------------------------------------
// Date and duration formatting for people

/** "lundi 25 mai 2026 à 9 h 00" (and "vendredi 1er mai 2026 à 14 h 30"), in the given time zone. */
export function formatDateTimeFr(date: Date | string | number, timeZone: string = DEFAULT_TIME_ZONE): string {
  return dateTimeFr(date, timeZone)
}

/**
 * A duration for people: "45 min", "3 h", "3 h 15 min", "2 j 4 h", "5 j".
 * A day is 24 hours. Rounded down to the minute; a negative duration gets a leading minus sign.
 */
export function formatDuration(minutes: number): string {
  if (!Number.isFinite(minutes)) throw new Error(`Not a valid duration: ${minutes}`)
  const sign = minutes < 0 ? '-' : ''
  let rest = Math.floor(Math.abs(minutes))
  const days = Math.floor(rest / 1440)
  rest -= days * 1440
  const hours = Math.floor(rest / 60)
  const mins = rest - hours * 60
  // Two adjacent units at most: "2 j 4 h" (minutes dropped), "3 h 15 min", "45 min".
  if (days) return `${sign}${days} j${hours ? ` ${hours} h` : ''}`
  if (hours) return `${sign}${hours} h${mins ? ` ${mins} min` : ''}`
  return mins ? `${sign}${mins} min` : '0 min'
}


// ---------------------------------------------------------------------------------------------
// What each kind needs (validated before rendering, so that a missing field is named clearly)

const Text = (maxLength?: number) => Type.String({ minLength: 1, ...(maxLength ? { maxLength } : {}) })

const Instant = Type.Refine(
  Type.Unsafe<Date | string>({}),
  (v: unknown) => (v instanceof Date || typeof v === 'string') && !Number.isNaN(new Date(v).getTime()),
  () => 'must be a Date or an ISO 8601 date string',
)

const TimeZone = Type.Refine(Type.String(), (v: string) => {
  try {
    dateTimeFr(0, v)
    return true
  } catch {
    return false
  }
}, () => 'must be an IANA time zone such as Europe/Paris')

const Person = Type.Object({ name: Text(200), organisation: Text(300) })

/** Fields shared by every mail. */
const MailFields = {
  /** Base address of the web app, e.g. https://relais.indre.fr (links are built on it). */
  publicUrl: Type.String({ pattern: '^https?://[^\\s]+$' }),
  /** Greeting name of the recipient ("Bonjour Marie Martin,"); "Bonjour," without it. */
  recipientName: Type.Optional(Text(200)),
  /** Time zone the dates are written in (default Europe/Paris; overseas départements differ). */
  timeZone: Type.Optional(TimeZone),
}

/** Fields shared by every mail about one referral (the link is publicUrl/saisines/referralId). */
const ReferralFields = {
  ...MailFields,
  referralId: Type.String({ pattern: '^[A-Za-z0-9_-]+$' }),
  /** Readable reference, e.g. 36-2026-000042. */
  reference: Text(64),
  /** Theme label, e.g. "Aides CAF". */
  theme: Text(200),
  /** Commune name, e.g. "Ardentes". */
  commune: Text(200),
}

export const ReferralNewData = Type.Object({
  ...ReferralFields,
  /** The mairie that filed it, e.g. "Mairie d’Ardentes". */
  mairie: Text(300),
  /** The promise in the clock's own unit, e.g. "3 jours ouvrés". */
  promise: Type.Optional(Text(100)),
  /** The secretary who filed it, when known. */
  secretaryName: Type.Optional(Text(200)),
  question: Text(),
  citizen: Type.Object({
    name: Text(200),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
    phone: Type.Optional(Type.String({ minLength: 3, maxLength: 40 })),
    /** email | phone | post | counter (other values are shown as given). */
    preferredChannel: Text(40),
  }),
  dueAt: Instant,
  /**
   * Why the recipient receives it: a new referral (default), one no rule routes (the mission TIC's triage queue),
   * one the mairie reopened, one moved to them because the holder's address failed, one their admin gave them.
   */
  occasion: Type.Optional(Type.Union(REFERRAL_OCCASIONS.map((o) => Type.Literal(o)))),
  /** reopened: what the mairie wrote; reassigned: who gave it. */
  note: Type.Optional(Text()),
  reassignedBy: Type.Optional(Text(200)),
})

export const ReminderData = Type.Object({
  ...ReferralFields,
  dueAt: Instant,
  /** Counted time left before the deadline, when the caller knows it. */
  remainingMinutes: Type.Optional(Type.Number({ minimum: 0 })),
})

export const EscalationData = Type.Object({
  ...ReferralFields,
  level: Type.Integer({ minimum: 1 }),
  /** The deadline that was missed. */
  dueAt: Instant,
  /** Counted time since the deadline. */
  overdueMinutes: Type.Number({ minimum: 0 }),
  /** Who holds the referral now; name is absent when no person holds it (the organisation does). */
  holder: Type.Object({ name: Type.Optional(Text(200)), organisation: Text(300) }),
})

export const InfoRequestedData = Type.Object({
  ...ReferralFields,
  /** What the referent asks for. */
  request: Text(),
  requestedBy: Person,
  citizenName: Type.Optional(Text(200)),
})

export const AnswerReceivedData = Type.Object({
  ...ReferralFields,
  /** The full answer text, as written by the referent. */
  answer: Text(),
  answeredBy: Person,
  answeredAt: Instant,
  citizenName: Text(200),
  /** A later answer that corrects an earlier one. */
  correction: Type.Optional(Type.Boolean()),
})

export const TransferredData = Type.Object({
  ...ReferralFields,
  reason: Text(),
  /** It went back to routing and no other rule applied: the mission TIC's triage queue receives it. */
  triage: Type.Optional(Type.Boolean()),
  /** Who held it before. */
  from: Type.Object({ name: Type.Optional(Text(200)), organisation: Text(300) }),
  /** The deadline (a transfer does not restart the clock). */
  dueAt: Instant,
  question: Type.Optional(Text()),
})

export const AppointmentProposedData = Type.Object({
  ...ReferralFields,
  /** A France services site: its name and postal address (line breaks kept). */
  place: Type.Object({ name: Text(300), address: Text(1000) }),
  startsAt: Instant,
  durationMinutes: Type.Optional(Type.Integer({ minimum: 1 })),
  proposedBy: Person,
  citizenName: Text(200),
  /** The referent's message to the citizen (what to bring…). */
  note: Type.Optional(Text()),
})

export const InfoProvidedData = Type.Object({
  ...ReferralFields,
  /** The complement the mairie brought. */
  complement: Text(),
  providedBy: Person,
  citizenName: Type.Optional(Text(200)),
})

export const CancelledData = Type.Object({
  ...ReferralFields,
  /** Why the mairie cancelled it. */
  reason: Text(),
  cancelledBy: Person,
  citizenName: Type.Optional(Text(200)),
})

export const DeliveryFailedData = Type.Object({
  ...MailFields,
  /** The address that bounced. */
  address: Text(320),
  person: Type.Optional(Person),
  smtpCode: Type.Union([Type.Integer(), Type.Null()]),
  smtpMessage: Type.String({ maxLength: 2000 }),
  failedAt: Instant,
  /** The referral whose mail bounced, when there is one. */
  referralId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$' })),
  reference: Type.Optional(Text(64)),
})

const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$' })

export const ChainHeadsData = Type.Object({
  ...MailFields,
  /** The day published (YYYY-MM-DD) and when. */
  day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
  publishedAt: Instant,
  /** How many referrals the digest covers. */
  referrals: Type.Integer({ minimum: 0 }),
  digest: Hex64,
  keyId: Text(100),
  signature: Hex64,
})

export const FicheReviewData = Type.Object({
  ...MailFields,
  ficheId: Type.String({ pattern: '^[A-Za-z0-9_-]+$' }),
  title: Text(200),
  /** The review-by date that passed (YYYY-MM-DD). */
  reviewBy: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
  /** The organisation that owns the fiche. */
  organisation: Text(300),
})

/** To the mairie: the complement asked for is still missing. */
export const InfoReminderData = Type.Object({
  ...ReferralFields,
  request: Text(),
  requestedBy: Person,
  requestedAt: Instant,
  /** From when the holder may close it « sans suite ». */
  closableAt: Instant,
  citizenName: Type.Optional(Text(200)),
})

/** To the holder: the complement never came; it may be closed « sans suite ». */
export const InfoStaleData = Type.Object({
  ...ReferralFields,
  requestedAt: Instant,
  mairie: Text(300),
})

/** To the mairie: the holder closed it « sans suite » for want of the complement. */
export const ClosedNoReplyData = Type.Object({
  ...ReferralFields,
  closedBy: Person,
  requestedAt: Instant,
  note: Type.Optional(Text()),
})

/** Issue 13: the link to choose one's password (an invitation, 7 days) or a new one (forgotten password, 1 hour). */
const AccountLinkFields = {
  publicUrl: Type.String({ pattern: '^https?://[^\\s]+$' }),
  recipientName: Type.Optional(Text(200)),
  timeZone: Type.Optional(TimeZone),
  /** The single-use link, computed by the sender (never stored in clear). */
  link: Type.String({ pattern: '^https?://[^\\s]+$' }),
  expiresAt: Instant,
}
export const InvitationData = Type.Object({
  ...AccountLinkFields,
  /** The organisation she joins. */
  organisation: Text(300),
  /** Who invited her. */
  invitedBy: Text(200),
})
export const PasswordResetData = Type.Object(AccountLinkFields)

/** To a person who wrote to a reply address (issue 15): what became of her mail, recorded or refused and why. */
export const ReplyOutcomeData = Type.Object({
  ...ReferralFields,
  recorded: Type.Boolean(),
  /** « Votre réponse à la saisine 36-2026-000042 a été enregistrée. » or what was refused. */
  sentence: Text(500),
  /** A refusal's reason, and what to do instead. */
  reason: Type.Optional(Text(1000)),
})

const Contact = Type.Object({ name: Text(300), address: Type.Optional(Text(500)), email: Type.Optional(Text(320)), phone: Type.Optional(Text(40)) })

/** To the citizen (issue 18): the acknowledgement of receipt, with what CRPA R112-5 asks and the privacy notice. */
export const AcknowledgementData = Type.Object({
  ...ReferralFields,
  filedAt: Instant,
  /** The clock's own words, e.g. "3 jours ouvrés". */
  promise: Text(100),
  dueAt: Type.Optional(Instant),
  /** The service in charge, and the mairie that filed it. */
  service: Contact,
  mairie: Contact,
  /** Grouped by four, e.g. "ABCD-EFGH-JKMN". */
  trackingCode: Type.String({ pattern: '^[A-Z0-9]{4}(-[A-Z0-9]{4})+$' }),
  notice: Type.Object({
    controller: Text(), purpose: Text(), legalBasis: Text(), recipients: Text(), retention: Text(), rights: Text(), contact: Text(), complaint: Text(),
  }),
})

/**
 * To the mairie and the citizen (issue 18, CRPA L114-2): the request went to another organisation, which now handles
 * it; the deadline does not restart.
 */
export const TransferNoticeData = Type.Object({
  ...ReferralFields,
  audience: Type.Union([Type.Literal('mairie'), Type.Literal('citizen')]),
  /** The organisation now in charge and how to reach it. */
  service: Contact,
  promise: Text(100),
  dueAt: Type.Optional(Instant),
})

/**
 * To the citizen, in her mairie's name (issue 18): the written answer to her request, forwarded by the secretary; a
 * reply goes to the mairie.
 */
export const AnswerForwardData = Type.Object({
  ...ReferralFields,
  mairie: Contact,
  /** The organisation that answered. */
  answeredBy: Text(300),
  answeredAt: Instant,
  answer: Text(20_000),
})

export const APPOINTMENT_OCCASIONS = ['booked', 'rescheduled', 'cancelled', 'reminder'] as const
export const APPOINTMENT_AUDIENCES = ['referent', 'secretary', 'citizen'] as const

/**
 * An appointment booked, moved, cancelled, or due the next working day (issue 14), to the referent, the secretary
 * (with the printable convocation) or the citizen; the invitation travels beside it (calendar.ts).
 */
export const AppointmentData = Type.Object({
  ...ReferralFields,
  occasion: Type.Union([Type.Literal('booked'), Type.Literal('rescheduled'), Type.Literal('cancelled'), Type.Literal('reminder')]),
  audience: Type.Union([Type.Literal('referent'), Type.Literal('secretary'), Type.Literal('citizen')]),
  place: Type.Object({ name: Text(300), address: Type.Optional(Text(1000)), phone: Type.Optional(Text(40)) }),
  startsAt: Instant,
  durationMinutes: Type.Integer({ minimum: 1 }),
  referent: Person,
  citizenName: Text(200),
  note: Type.Optional(Text()),
  /** Why it was moved or cancelled. */
  reason: Type.Optional(Text()),
  whatToBring: Type.Optional(Text()),
  /** The time it had before a change. */
  previousStartsAt: Type.Optional(Instant),
  /** The printable convocation (secretary). */
  convocationUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
})

/** Issue 13: a convention signed; the receipt PDF travels attached. To the signer and the mission TIC. */
export const ConventionSignedData = Type.Object({
  publicUrl: Type.String({ pattern: '^https?://[^\\s]+$' }),
  recipientName: Type.Optional(Text(200)),
  timeZone: Type.Optional(TimeZone),
  organisation: Text(300),
  signerName: Text(200),
  capacity: Text(300),
  signedAt: Instant,
  title: Text(200),
  version: Type.Integer({ minimum: 1 }),
  documentSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  receiptSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  /** The page of the signature (the receipt downloadable there). */
  url: Type.String({ pattern: '^https?://[^\\s]+$' }),
})

export const MAIL_DATA_SCHEMAS = {
  referral_new: ReferralNewData,
  reminder: ReminderData,
  escalation: EscalationData,
  info_requested: InfoRequestedData,
  answer_received: AnswerReceivedData,
  transferred: TransferredData,
  appointment_proposed: AppointmentProposedData,
  info_provided: InfoProvidedData,
  cancelled: CancelledData,
  delivery_failed: DeliveryFailedData,
  chain_heads: ChainHeadsData,
  fiche_review: FicheReviewData,
  info_reminder: InfoReminderData,
  info_stale: InfoStaleData,
  closed_no_reply: ClosedNoReplyData,
  invitation: InvitationData,
  password_reset: PasswordResetData,
  reply_outcome: ReplyOutcomeData,
  acknowledgement: AcknowledgementData,
  transfer_notice: TransferNoticeData,
  answer_forward: AnswerForwardData,
  appointment: AppointmentData,
  convention_signed: ConventionSignedData,
} as const satisfies Record<MailKind, TSchema>

/** The data each kind takes, for callers that want the compiler to check it. */
export type MailData = { [K in MailKind]: Static<(typeof MAIL_DATA_SCHEMAS)[K]> }

/** Thrown when a mail cannot be rendered: unknown kind or missing/invalid data. */
export class MailRenderError extends Error {
  constructor(public readonly kind: string, public readonly problems: string[]) {
    super(`Cannot render mail "${kind}": ${problems.join('; ')}`)
    this.name = 'MailRenderError'
  }
}

function problemsOf(schema: TSchema, data: unknown): string[] {
  const problems: string[] = []
  for (const e of Value.Errors(schema, data)) {
    const path = e.instancePath.replace(/^\//, '').replaceAll('/', '.')
    const missing = (e.params as { requiredProperties?: string[] }).requiredProperties
    if (e.keyword === 'required' && missing) {
      for (const p of missing) problems.push(`missing field "${path ? `${path}.` : ''}${p}"`)
    } else {
      problems.push(`field "${path || '(root)'}" ${e.message}`)
    }
  }
  return problems
}

// ---------------------------------------------------------------------------------------------
// Templates: compiled once, on first use

const TEMPLATE_DIR = new URL('./templates/', import.meta.url)
const PARTIALS = ['layout', 'row', 'quote', 'button', 'footer'] as const

interface Compiled { subject: HandlebarsTemplateDelegate; text: HandlebarsTemplateDelegate; html: HandlebarsTemplateDelegate }

let hbs: typeof Handlebars | null = null
const compiled = new Map<MailKind, Compiled>()

function readTemplate(name: string): string {
  return readFileSync(new URL(name, TEMPLATE_DIR), 'utf8')
}

function engine(): typeof Handlebars {
  if (hbs) return hbs
  const h = Handlebars.create()
  const zoneOf = (options: Handlebars.HelperOptions) => (options.data?.root?.timeZone as string | undefined) ?? DEFAULT_TIME_ZONE
  h.registerHelper('dateTimeFr', (value: Date | string, options: Handlebars.HelperOptions) => formatDateTimeFr(value, zoneOf(options)))
  h.registerHelper('duration', (minutes: number) => formatDuration(minutes))
  h.registerHelper('channel', (channel: string) => labelOf(CHANNEL_PHRASES, channel))
  // Escape first, then turn line breaks into <br>: people's text keeps its shape and cannot inject markup.
  h.registerHelper('nl2br', (text: unknown) =>
    new h.SafeString(h.escapeExpression(String(text ?? '')).replace(/\r\n|\r|\n/g, '<br>\n')))
  // Why a referral reaches its recipient, written once: the text as it is, the HTML escaped with its line breaks.
  const occasion = readTemplate('partials/occasion.text.hbs')
  h.registerPartial('occasionText', occasion)
  const occasionText = h.compile(occasion, { noEscape: true })
  h.registerHelper('occasionLine', (options: Handlebars.HelperOptions) => occasionText(options.data?.root ?? {}).trim())
  for (const p of PARTIALS) {
    const file = p === 'footer' ? 'partials/footer.text.hbs' : `partials/${p}.html.hbs`
    h.registerPartial(p, readTemplate(file))
  }
  hbs = h
  return h
}

function templatesFor(kind: MailKind): Compiled {
  let c = compiled.get(kind)
  if (!c) {
    const h = engine()
    const load = (part: string) => {
      try {
        return readTemplate(`${kind}.${part}.hbs`)
      } catch (err) {
        throw new MailRenderError(kind, [`template file ${kind}.${part}.hbs is missing (${(err as Error).message})`])
      }
    }
    c = {
      // Subject and plain text are not HTML: no entity escaping there.
      subject: h.compile(load('subject'), { noEscape: true }),
      text: h.compile(load('text'), { noEscape: true }),
      html: h.compile(load('html')),
    }
    compiled.set(kind, c)
  }
  return c
}

function isMailKind(kind: unknown): kind is MailKind {
  return typeof kind === 'string' && (MAIL_KINDS as readonly string[]).includes(kind)
}

/**
 * Renders one mail. Throws MailRenderError naming every missing or invalid field (or an unknown kind)
 * rather than producing a mail with holes.
 */
export function renderMail<K extends MailKind>(kind: K, data: MailData[K]): RenderedMail
export function renderMail(kind: MailKind, data: Record<string, unknown>): RenderedMail
export function renderMail(kind: MailKind, data: Record<string, unknown>): RenderedMail {
  if (!isMailKind(kind)) throw new MailRenderError(String(kind), [`unknown mail kind (known: ${MAIL_KINDS.join(', ')})`])
  if (data === null || typeof data !== 'object') throw new MailRenderError(kind, ['data must be an object'])
  const problems = problemsOf(MAIL_DATA_SCHEMAS[kind], data)
  if (problems.length) throw new MailRenderError(kind, problems)

  const t = templatesFor(kind)
  const context: Record<string, unknown> = { ...data, timeZone: data.timeZone ?? DEFAULT_TIME_ZONE }
  if (kind === 'referral_new') {
    const occasion = (data.occasion as ReferralOccasion | undefined) ?? 'new'
    context.occ = { [occasion]: true }
    context.headline = OCCASION_HEADLINES[occasion]
  }
  if (kind === 'appointment') {
    context.occ = { [String(data.occasion)]: true }
    context.aud = { [String(data.audience)]: true }
  }
  if (typeof data.referralId === 'string') {
    context.referralUrl = `${String(data.publicUrl).replace(/\/+$/, '')}/saisines/${encodeURIComponent(data.referralId)}`
    if (typeof data.attachmentCount === 'number' && data.attachmentCount > 0) {
      context.attachmentsUrl = `${context.referralUrl}#pieces-jointes`
      context.attachmentsText = data.attachmentCount === 1 ? '1 pièce jointe' : `${data.attachmentCount} pièces jointes`
    }
  }
  if (kind === 'transfer_notice') context.aud = { [String(data.audience)]: true }
  if (kind === 'acknowledgement' || kind === 'transfer_notice' || kind === 'answer_forward') {
    context.trackingUrl = `${String(data.publicUrl).replace(/\/+$/, '')}/suivi?reference=${encodeURIComponent(String(data.reference))}`
  }
  if (typeof data.ficheId === 'string') {
    context.ficheUrl = `${String(data.publicUrl).replace(/\/+$/, '')}/fiches/${encodeURIComponent(data.ficheId)}`
    if (typeof data.reviewBy === 'string') context.reviewByText = data.reviewBy.split('-').reverse().join('/')
  }
  return {
    subject: t.subject(context).replace(/\s+/g, ' ').trim(),
    text: `${t.text(context).trim()}\n`,
    html: t.html(context),
  }
}
