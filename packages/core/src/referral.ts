/**
 * The referral's state machine: which action is legal in which status, who may take it, and the status it leads
 * to. Pure: `now` and the referral's closedAt come in as arguments.
 *
 *   submitted ──assign──▶ assigned ──answer──▶ answered ──close──▶ closed ──reopen (≤ 30 days)──▶ assigned
 *                           │  ▲  └─propose_appointment─▶ appointment_proposed ──close──▶ closed
 *               request_info│  │provide_info
 *                           ▼  │
 *                        awaiting_info ──answer / propose_appointment──▶ …
 *   transfer (from submitted, assigned or awaiting_info): to another organisation, or back to submitted (triage queue).
 *   reassign: another person of the holding organisation; the status stays.
 *   cancel: from any open status. closed (but for reopen) and cancelled are final.
 */
import { Conflict, Forbidden, InvalidInput } from './errors.ts'
import { referralActionSubjects, type Subject } from './access.ts'
import type { Pause } from './sla.ts'
import { fold } from './knowledge.ts'
import { toLocalMs } from './sla/time-zone.ts'

export type ReferralStatus = 'submitted' | 'assigned' | 'awaiting_info' | 'answered' | 'appointment_proposed' | 'closed' | 'cancelled'
export type ReferralAction = 'assign' | 'answer' | 'request_info' | 'provide_info' | 'propose_appointment' | 'transfer' | 'reassign' | 'close' | 'close_no_reply' | 'reopen' | 'cancel'
export type ActorRole = Subject

export const REFERRAL_STATUSES: readonly ReferralStatus[] = ['submitted', 'assigned', 'awaiting_info', 'answered', 'appointment_proposed', 'closed', 'cancelled']
export const REFERRAL_ACTIONS: readonly ReferralAction[] = ['assign', 'answer', 'request_info', 'provide_info', 'propose_appointment', 'transfer', 'reassign', 'close', 'close_no_reply', 'reopen', 'cancel']
/**
 * The holder still owes an answer: the SLA clock may run (it pauses while awaiting_info), reminders and
 * escalations may fire, and the referral counts in its holder's load.
 */
export const CLOCK_STATUSES: readonly ReferralStatus[] = ['submitted', 'assigned', 'awaiting_info']
/** Not closed nor cancelled: someone still has something to do (an answered referral waits for the mairie to close it). */
export const UNFINISHED_STATUSES: readonly ReferralStatus[] = ['submitted', 'assigned', 'awaiting_info', 'answered', 'appointment_proposed']

export const REOPEN_WINDOW_DAYS = 30
/** The actions that meet the SLA: a written answer or an appointment proposed. */
export const SLA_MET_ACTIONS: ReferralAction[] = ['answer', 'propose_appointment']

/** French labels, for messages, mails and pages. */
export const STATUS_LABELS: Record<ReferralStatus, string> = {
  submitted: 'en file de tri',
  assigned: 'en cours de traitement',
  awaiting_info: 'en attente d’informations',
  answered: 'réponse apportée',
  appointment_proposed: 'avec rendez-vous proposé',
  closed: 'clôturée',
  cancelled: 'annulée',
}

/** What the action does, as an infinitive: « Impossible de clôturer … », « … d’annuler … ». */
export const ACTION_LABELS: Record<ReferralAction, string> = {
  assign: 'affecter',
  answer: 'répondre à',
  request_info: 'demander un complément pour',
  provide_info: 'apporter un complément à',
  propose_appointment: 'proposer un rendez-vous pour',
  transfer: 'transférer',
  reassign: 'réaffecter',
  close: 'clôturer',
  close_no_reply: 'clôturer sans suite',
  reopen: 'rouvrir',
  cancel: 'annuler',
}

/** Who may take each action: the access table's lines `referral.<action>` (access.ts). The reach (her mairie's, her
 * organisation's referral) is checked by the caller: others do not see the referral. */
export const ACTION_ROLES: Record<ReferralAction, readonly ActorRole[]> = Object.fromEntries(
  REFERRAL_ACTIONS.map((a) => [a, referralActionSubjects(a)]),
) as unknown as Record<ReferralAction, readonly ActorRole[]>

/** Legal moves: action → (status before → status after). */
const TRANSITIONS: Record<ReferralAction, Partial<Record<ReferralStatus, ReferralStatus>>> = {
  assign: { submitted: 'assigned' },
  answer: { assigned: 'answered', awaiting_info: 'answered', answered: 'answered', appointment_proposed: 'answered' },
  request_info: { assigned: 'awaiting_info' },
  provide_info: { awaiting_info: 'assigned' },
  propose_appointment: { assigned: 'appointment_proposed', awaiting_info: 'appointment_proposed', answered: 'appointment_proposed', appointment_proposed: 'appointment_proposed' },
  // From the triage queue too, and while awaiting information (the new holder waits for it in turn).
  transfer: { submitted: 'assigned', assigned: 'assigned', awaiting_info: 'awaiting_info' },
  // Within the holding organisation: the status stays, only the person changes.
  reassign: { assigned: 'assigned', awaiting_info: 'awaiting_info' },
  close: { answered: 'closed', appointment_proposed: 'closed' },
  // The complement never came: the holder closes it, once the policy's second delay has passed (checked by the service).
  close_no_reply: { awaiting_info: 'closed' },
  reopen: { closed: 'assigned' },
  cancel: { submitted: 'cancelled', assigned: 'cancelled', awaiting_info: 'cancelled', answered: 'cancelled', appointment_proposed: 'cancelled' },
}

const ROLE_LABELS: Record<ActorRole, string> = {
  secretary: 'secrétaire de mairie',
  referent: 'référent',
  org_admin: 'administrateur d’organisation',
  network_admin: 'mission TIC',
  system: 'système',
}

export interface TransitionContext {
  actorRole: ActorRole
  /** Required to reopen. */
  closedAt?: Date | null
  now: Date
  /** transfer only: routing found no rule, so the referral goes back to the triage queue ('submitted'). */
  toTriage?: boolean
}

/**
 * The status after `action`, or a domain error: Forbidden when the role may never take this action, Conflict
 * 'illegal_transition' when the status does not allow it, Conflict 'reopen_window_expired' after 30 days.
 * Corrections are new answers: answering an answered referral keeps it answered.
 */
export function nextStatus(current: ReferralStatus, action: ReferralAction, ctx: TransitionContext): ReferralStatus {
  const roles = ACTION_ROLES[action]
  if (!roles) throw new InvalidInput('unknown_action', 'Action inconnue.', { action })
  if (!roles.includes(ctx.actorRole)) {
    const role = ROLE_LABELS[ctx.actorRole] ?? String(ctx.actorRole)
    throw new Forbidden('forbidden', `Votre rôle (${role}) ne permet pas ${de(action)} une saisine.`, { action, role: ctx.actorRole })
  }
  const next = TRANSITIONS[action][current]
  if (!next) {
    throw new Conflict('illegal_transition', illegalMessage(current, action), { status: current, action, allowed: allowedActions(current, ctx.actorRole) })
  }
  if (action === 'reopen') {
    if (!ctx.closedAt) throw new Error('nextStatus: closedAt is required to reopen a closed referral')
    const deadline = reopenDeadline(ctx.closedAt)
    if (ctx.now.getTime() > deadline.getTime()) {
      throw new Conflict(
        'reopen_window_expired',
        `Cette saisine a été clôturée il y a plus de ${REOPEN_WINDOW_DAYS} jours : elle ne peut plus être rouverte. Déposez une nouvelle saisine.`,
        { closedAt: ctx.closedAt.toISOString(), reopenDeadline: deadline.toISOString() },
      )
    }
  }
  if (action === 'transfer' && ctx.toTriage) return 'submitted'
  return next
}

/** « de clôturer », « d’annuler ». */
const de = (action: ReferralAction) => (/^[aeiouyéèh]/.test(ACTION_LABELS[action]) ? `d’${ACTION_LABELS[action]}` : `de ${ACTION_LABELS[action]}`)

function illegalMessage(current: ReferralStatus, action: ReferralAction): string {
  if (current === 'cancelled') return `Impossible ${de(action)} cette saisine : elle a été annulée.`
  if (current === 'closed') return `Impossible ${de(action)} cette saisine : elle est clôturée (seule une réouverture est possible, dans les ${REOPEN_WINDOW_DAYS} jours).`
  return `Impossible ${de(action)} une saisine ${STATUS_LABELS[current]}.`
}

/** The last instant a closed referral may be reopened: closedAt + 30 days (inclusive). */
export function reopenDeadline(closedAt: Date): Date {
  return new Date(closedAt.getTime() + REOPEN_WINDOW_DAYS * 86_400_000)
}

/** The actions a role may take in a status (for pages and the 409's details); the reopen window is not checked. */
export function allowedActions(current: ReferralStatus, actorRole: ActorRole): ReferralAction[] {
  return REFERRAL_ACTIONS.filter((a) => TRANSITIONS[a][current] !== undefined && ACTION_ROLES[a].includes(actorRole))
}

export const isUnfinished = (s: ReferralStatus) => UNFINISHED_STATUSES.includes(s)
export const clockMayRun = (s: ReferralStatus) => CLOCK_STATUSES.includes(s)

/** '36-2026-000042': tenant code, year, sequence on six digits (more when it outgrows them). */
export function formatReference(tenantCode: string, year: number, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1) throw new RangeError(`Invalid reference sequence: ${sequence}`)
  return `${referencePrefix(tenantCode, year)}${String(sequence).padStart(6, '0')}`
}

/** The year on the tenant's calendar at that instant (a reference's year); the zone's formatter is kept, not rebuilt. */
export function localYear(at: Date, timeZone: string): number {
  return new Date(toLocalMs(at.getTime(), timeZone)).getUTCFullYear()
}

/** What comes before the number (the INSERT that files a referral appends it, padded as formatReference does). */
export function referencePrefix(tenantCode: string, year: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`Invalid reference year: ${year}`)
  return `${tenantCode}-${year}-`
}

/** The parts of a reference, or null; tolerant of case, spaces and a missing zero padding (read on the phone). */
export function parseReference(reference: string): { tenantCode: string; year: number; sequence: number } | null {
  const m = /^\s*([0-9a-z]{1,10})\s*-\s*(\d{4})\s*-\s*(\d{1,9})\s*$/i.exec(reference)
  if (!m) return null
  const sequence = Number(m[3])
  if (sequence < 1) return null
  return { tenantCode: m[1].toUpperCase(), year: Number(m[2]), sequence }
}

/**
 * The awaiting_info periods of a referral from its status changes (in time order): a pause opens on entering
 * awaiting_info and ends on leaving it; `to: null` while it lasts.
 */
export function pausesFromStatusChanges(changes: { at: Date; status: ReferralStatus }[]): Pause[] {
  const pauses: Pause[] = []
  let open: Date | null = null
  for (const c of changes) {
    if (c.status === 'awaiting_info') open ??= c.at
    else if (open) {
      pauses.push({ from: open, to: c.at })
      open = null
    }
  }
  if (open) pauses.push({ from: open, to: null })
  return pauses
}

/**
 * The filing's field rules that need no directory: blank text, and the contact the preferred channel needs.
 * The form runs them together with the schema's, so that people see every problem in one round.
 */
export function filingFieldIssues(input: { question: string; citizen: { name: string; email?: string; phone?: string; preferredChannel: string } }): { path: string; message: string }[] {
  const c = input.citizen
  const out: { path: string; message: string }[] = []
  if (c.preferredChannel === 'email' && !c.email) out.push({ path: 'citizen.email', message: 'L’adresse électronique est obligatoire quand l’usager préfère être contacté par courriel.' })
  if (c.preferredChannel === 'phone' && !c.phone) out.push({ path: 'citizen.phone', message: 'Le téléphone est obligatoire quand l’usager préfère être contacté par téléphone.' })
  if (!input.question.trim()) out.push({ path: 'question', message: 'Ce champ ne peut pas être vide.' })
  if (!c.name.trim()) out.push({ path: 'citizen.name', message: 'Ce champ ne peut pas être vide.' })
  return out
}

/**
 * The words of a search in a referral list: split on spaces and punctuation (hyphens kept, so « 36-2026-0000 » stays
 * one word of a reference), each once, at least two characters, at most eight words. The database folds accents and case.
 */
export function referralSearchWords(query: string): string[] {
  const words = query.slice(0, 200).split(/[\s,;:!?.«»"“”()[\]{}'’/\\]+/u).map((w) => w.replace(/^-+|-+$/g, '')).filter((w) => w.length >= 2 && w.length <= 60)
  return [...new Set(words.map((w) => w.toLowerCase()))].slice(0, 8)
}

export type CommuneMatch<C> = { kind: 'none' } | { kind: 'one'; commune: C } | { kind: 'several'; communes: C[] }

/**
 * The commune a person typed in a searchable filter (« chateauroux », « Châteauroux (36044) », « 36044 »), accents,
 * case and punctuation ignored: an exact name wins, then a single name that contains what was typed.
 */
export function matchCommune<C extends { insee: string; name: string }>(typed: string, communes: readonly C[]): CommuneMatch<C> {
  const key = (s: string) => fold(s).replace(/[^a-z0-9]+/g, ' ').trim()
  const code = /(?:^|\()\s*(\d[\dab]\d{3})\s*\)?\s*$/i.exec(typed.trim())?.[1]?.toUpperCase()
  const byCode = code ? communes.find((c) => c.insee === code) : undefined
  if (byCode) return { kind: 'one', commune: byCode }
  const k = key(typed.replace(/\(\s*[\dab]*\s*\)\s*$/i, ''))
  if (!k) return { kind: 'none' }
  const exact = communes.filter((c) => key(c.name) === k)
  if (exact.length === 1) return { kind: 'one', commune: exact[0] }
  const partial = exact.length ? exact : communes.filter((c) => key(c.name).includes(k))
  if (partial.length === 1) return { kind: 'one', commune: partial[0] }
  return partial.length ? { kind: 'several', communes: partial } : { kind: 'none' }
}
