/**
 * The citizen's side of a referral (issue 18): the tracking code's shape, and what the tracking page may show — the
 * steps in plain French, the organisation in charge, the expected date — and nothing personal beyond the first
 * letter of the name. Pure: the code is drawn and hashed in packages/referrals.
 */
import { dateTimeFr } from './french.ts'

/** No 0/O nor 1/I/L: the code is read off paper and typed again. 31 symbols, about 5 bits each. */
export const TRACKING_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'
/** 12 symbols: about 59 bits, far beyond what a throttled guesser tries. */
export const TRACKING_CODE_LENGTH = 12

/** « ABCD-EFGH-JKMN »: grouped by four to be read aloud or copied. */
export function formatTrackingCode(code: string): string {
  return code.match(/.{1,4}/g)?.join('-') ?? code
}

/** What people type (lower case, spaces, dashes) → the code, or null when it cannot be one. */
export function normalizeTrackingCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '')
  if (code.length !== TRACKING_CODE_LENGTH) return null
  for (const ch of code) if (!TRACKING_ALPHABET.includes(ch)) return null
  return code
}

/** « M. » for « Martine Durand »: the first letter only (the tracking page shows nothing more of the person). */
export function nameInitial(name: string): string {
  const first = name.trim().normalize('NFC').match(/\p{L}/u)?.[0]
  return first ? `${first.toUpperCase()}.` : ''
}

export interface TrackingEvent { kind: string; at: Date; data: Record<string, unknown> }
export interface TrackingStep { kind: 'received' | 'sent_to' | 'info_requested' | 'info_provided' | 'answered' | 'appointment' | 'closed' | 'cancelled' | 'reopened'; label: string; at: string }

/**
 * The steps a citizen sees, from the timeline: received, sent to (the organisation, after routing or a transfer),
 * answered, an appointment, closed. Internal moves (reassignments within an organisation, the triage queue, mails,
 * reminders, escalations) are left out: they say nothing to her, and some name people.
 */
export function trackingSteps(events: TrackingEvent[], orgName: (id: string) => string | undefined, timeZone: string): TrackingStep[] {
  const steps: TrackingStep[] = []
  let holder: string | undefined
  const push = (kind: TrackingStep['kind'], label: string, at: Date) => steps.push({ kind, label, at: at.toISOString() })
  for (const e of events) {
    const d = e.data
    switch (e.kind) {
      case 'filed': push('received', 'Demande reçue par la mairie', e.at); break
      case 'assigned': {
        const org = typeof d.organisationId === 'string' ? d.organisationId : undefined
        if (d.mode === 'triage' || !org || org === holder) break
        holder = org
        push('sent_to', `Transmise à ${orgName(org) ?? 'un organisme partenaire'}`, e.at)
        break
      }
      case 'info_requested': push('info_requested', 'Complément d’information demandé à la mairie', e.at); break
      case 'info_provided': push('info_provided', 'Complément d’information transmis', e.at); break
      case 'answered': if (!steps.some((s) => s.kind === 'answered')) push('answered', 'Réponse apportée', e.at); break
      case 'appointment_proposed': {
        const when = typeof d.at === 'string' ? dateTimeFr(d.at, timeZone) : ''
        push('appointment', `Rendez-vous le ${when}${typeof d.placeName === 'string' ? `, ${d.placeName}` : ''}`, e.at)
        break
      }
      case 'closed': push('closed', 'Clôturée', e.at); break
      case 'cancelled': push('cancelled', 'Annulée par la mairie', e.at); break
      case 'reopened': push('reopened', 'Rouverte', e.at); break
    }
  }
  return steps
}

/** The status in the citizen's words (not the extranet's). */
export const TRACKING_STATUS: Record<string, string> = {
  submitted: 'Reçue, en cours d’orientation', assigned: 'En cours de traitement', awaiting_info: 'En attente d’un complément d’information',
  answered: 'Réponse apportée', appointment_proposed: 'Rendez-vous proposé', closed: 'Clôturée', cancelled: 'Annulée',
}
