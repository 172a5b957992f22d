// How the pages say things to people: deadlines, dates, timeline events, field errors. Pure, no I/O.
import { CLOCK_MODES, dateTimeFr, shortDateTimeFr, slaDuration, STATUS_LABELS, type ClockMode, type ReferralStatus } from '@relais/core'

/** « mardi 24 novembre 2026 à 10 h 00 », in the tenant's time zone (Me.timeZone). */
export function longDate(iso: string | Date | null | undefined, timeZone: string): string {
  return iso ? dateTimeFr(iso, timeZone) : ''
}

/** « 24/11/2026 à 10 h 00 », for lists. */
export function shortDate(iso: string | Date | null | undefined, timeZone: string): string {
  return iso ? shortDateTimeFr(iso, timeZone) : ''
}

/** A duration in minutes as people say it: « 40 min », « 5 h », « 31 h ». Hours are rounded down past the first. */
export function duration(minutes: number): string {
  const m = Math.max(0, Math.round(minutes))
  if (m < 60) return `${m} min`
  return `${Math.floor(m / 60)} h`
}

export type DeadlineTone = 'ok' | 'soon' | 'late' | 'paused' | 'done' | 'none'

/**
 * The deadline as a person reads it: « reste 31 h », « en retard de 5 h », « en pause (complément demandé) ».
 * Wall-clock hours: what the person will live through, not the working hours the SLA counts.
 */
export function deadline(r: { status: string; dueAt: string | null; slaMetAt?: string | null }, now: Date): { text: string; tone: DeadlineTone } {
  const status = r.status as ReferralStatus
  if (status === 'awaiting_info') return { text: 'en pause (complément demandé)', tone: 'paused' }
  if (status === 'closed' || status === 'cancelled') return { text: '—', tone: 'none' }
  if (status === 'answered' || status === 'appointment_proposed' || r.slaMetAt) return { text: 'réponse donnée', tone: 'done' }
  if (!r.dueAt) return { text: 'sans échéance', tone: 'none' }
  const minutes = (new Date(r.dueAt).getTime() - now.getTime()) / 60_000
  if (minutes < 0) return { text: `en retard de ${duration(-minutes)}`, tone: 'late' }
  return { text: `reste ${duration(minutes)}`, tone: minutes <= 24 * 60 ? 'soon' : 'ok' }
}

export const statusLabel = (s: string) => STATUS_LABELS[s as ReferralStatus] ?? s

// One definition of each label table, in @relais/core.
export { CHANNEL_LABELS, ROLE_LABELS } from '@relais/core'

const EVENT_LABELS: Record<string, string> = {
  filed: 'Saisine déposée',
  assigned: 'Affectée',
  answered: 'Réponse envoyée',
  info_requested: 'Complément demandé',
  info_provided: 'Complément apporté',
  appointment_proposed: 'Rendez-vous fixé',
  appointment_rescheduled: 'Rendez-vous déplacé',
  appointment_cancelled: 'Rendez-vous annulé',
  appointment_outcome: 'Issue du rendez-vous',
  transferred: 'Transférée',
  closed: 'Clôturée',
  info_reminder_sent: 'Mairie relancée pour le complément',
  info_stale_notified: 'Complément toujours absent : clôture sans suite possible',
  reopened: 'Rouverte',
  cancelled: 'Annulée',
  sla_met: 'Délai',
  mail_sent: 'Courriel envoyé',
  mail_failed: 'Courriel non distribué',
  mail_received: 'Courriel reçu',
  reminder_sent: 'Relance envoyée',
  escalated: 'Escalade',
  receipt_printed: 'Accusé de réception imprimé (nouveau code de suivi)',
  anonymised: 'Données de l’usager effacées',
  answer_forwarded: 'Réponse transmise à l’usager',
}

/** What became of an appointment, for people. */
export const OUTCOME_LABELS: Record<string, string> = { held: 'tenu', no_show: 'usager absent', citizen_cancelled: 'annulé par l’usager' }
export const APPOINTMENT_STATUS_LABELS: Record<string, string> = { booked: 'prévu', cancelled: 'annulé', held: 'tenu', no_show: 'usager absent', citizen_cancelled: 'annulé par l’usager' }

/** One line of the timeline: a label and, where there is one, a text to show (answer, reason…). */
export function timelineEntry(e: { kind: string; at: string; data: Record<string, unknown>; actor: { name: string; organisation: string } | null }, names: Map<string, string>, timeZone: string) {
  const d = e.data
  let detail = ''
  switch (e.kind) {
    // The reason says how: which rule, which fallback (a colleague, an admin), who reassigned it.
    case 'assigned': detail = `à ${names.get(String(d.organisationId)) ?? 'un organisme'}${d.mode === 'triage' ? ' (file de tri)' : ''}${d.reason ? ` — ${String(d.reason)}` : ''}`; break
    case 'transferred': detail = `vers ${names.get(String(d.toOrganisationId)) ?? 'un autre organisme'} — motif : ${String(d.reason ?? '')}`; break
    case 'closed': detail = d.withoutFollowUp ? `sans suite, faute de complément${d.body ? ` — ${String(d.body)}` : ''}` : ''; break
    case 'answered': case 'info_requested': case 'info_provided': case 'reopened': case 'cancelled': detail = d.body ? String(d.body) : ''; break
    case 'appointment_proposed': detail = `${String(d.placeName ?? '')}, ${longDate(String(d.at), timeZone)}${d.body ? ` — ${String(d.body)}` : ''}`; break
    case 'appointment_rescheduled': detail = `du ${longDate(String(d.from), timeZone)} au ${longDate(String(d.at), timeZone)}, ${String(d.placeName ?? '')} — motif : ${String(d.reason ?? '')}`; break
    case 'appointment_cancelled': detail = `${longDate(String(d.at), timeZone)}, ${String(d.placeName ?? '')} — motif : ${String(d.reason ?? '')}`; break
    case 'appointment_outcome': detail = `${longDate(String(d.at), timeZone)} : ${OUTCOME_LABELS[String(d.outcome)] ?? String(d.outcome)}`; break
    case 'sla_met': {
      // Events before the clock mode was recorded were counted on the default clock, in working days.
      const mode: ClockMode = CLOCK_MODES.includes(d.clockMode as ClockMode) ? d.clockMode as ClockMode : 'working_days'
      const vs = Number(d.minutesVsTarget)
      detail = `réponse en ${slaDuration(Number(d.minutesTaken), mode)}, ${vs <= 0 ? 'dans le délai' : `avec ${slaDuration(vs, mode)} de retard`}`
      break
    }
    case 'mail_received': {
      const refused = Array.isArray(d.attachmentsRefused) ? (d.attachmentsRefused as { name: string; reason: string }[]).map((x) => `« ${x.name} » (${x.reason})`)
        : Array.isArray(d.attachmentsNotKept) ? (d.attachmentsNotKept as string[]).map((x) => `« ${x} »`) : []
      detail = `${d.action === 'answer' ? 'réponse' : d.action === 'provide_info' ? 'complément' : 'message'} par courriel — ${String(d.body ?? '')}${refused.length ? ` — pièces jointes non reprises : ${refused.join(', ')}` : ''}`
      break
    }
    case 'anonymised': detail = d.onRequest ? 'à la demande de la personne (droit à l’effacement)' : 'durée de conservation écoulée'; break
    case 'answer_forwarded': detail = d.channel === 'print' ? 'lettre imprimée' : 'par courriel, au nom de la mairie'; break
    case 'mail_sent': case 'mail_failed': detail = d.kind ? String(d.kind).replace(/_/g, ' ') : ''; break
  }
  return {
    label: EVENT_LABELS[e.kind] ?? e.kind, detail, at: longDate(e.at, timeZone), iso: e.at,
    actor: e.actor ? `${e.actor.name} (${e.actor.organisation})` : 'Relais',
  }
}

export interface FieldIssue { path: string; message: string }

/** A domain error's details ({path, message}) as a map from form field name to message (first message per field). */
export function fieldErrors(details: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (!Array.isArray(details)) return out
  for (const d of details as FieldIssue[]) {
    if (!d || typeof d.path !== 'string') continue
    const key = d.path.replace(/\./g, '_')
    out[key] ??= d.message
  }
  return out
}

/**
 * The lines of an error summary: each field's message, prefixed with the label people see next to it and linking to
 * it (GOV.UK's pattern); a field the form does not show is a plain line.
 */
export function errorItems(errors: Record<string, string>, fields: Record<string, { id: string; label: string }>) {
  return Object.entries(errors).map(([name, message]) => {
    const f = fields[name]
    return f ? { field: f.id, label: f.label, message } : { field: '', label: '', message }
  })
}

/** Rows shown per page of a list; « Suivantes » reads the next ones. */
export const LIST_PAGE_SIZE = 50

const plural = (n: number, one: string, many: string) => `${n} ${n > 1 ? many : one}`

/** « À traiter d’abord »: what waits on the person looking, each with the list that shows it. */
export function waitingLinks(w: { awaitingInfo?: number; overdue?: number; triage?: number }): { text: string; url: string }[] {
  const out: { text: string; url: string }[] = []
  if (w.triage) out.push({ text: `${plural(w.triage, 'saisine attend', 'saisines attendent')} votre tri`, url: '/triage' })
  if (w.awaitingInfo) out.push({ text: `${plural(w.awaitingInfo, 'saisine attend', 'saisines attendent')} votre complément`, url: '/saisines?vue=toutes&statut=awaiting_info' })
  if (w.overdue) out.push({ text: `${plural(w.overdue, 'saisine est en retard', 'saisines sont en retard')}`, url: '/saisines?vue=ouvertes&retard=1' })
  return out
}
