import { clockMayRun, infoPauseSteps, nextSendingInstant, slaSchedule, type Pause, type SlaPolicy } from '@relais/core'
import type { TenantTx } from '@relais/db'
import { scheduleFacts, updateReferral } from '@relais/db/repositories/referrals'
import { clockEvents } from '@relais/db/repositories/timeline'
import { loadPolicy } from './policy.ts'


interface TimelineEvent { kind: string; at: Date; data: Record<string, unknown> }

/** Paused time comes from the timeline, so a policy change recomputes deadlines correctly. */
export function pausesFrom(events: TimelineEvent[], since: Date): Pause[] {
  const pauses: Pause[] = []
  let open: Date | null = null
  for (const e of events) {
    if (e.at < since) continue
    if (e.kind === 'info_requested' && !open) open = e.at
    else if ((e.kind === 'info_provided' || e.kind === 'answered' || e.kind === 'appointment_proposed' || e.kind === 'cancelled') && open) {
      pauses.push({ from: open, to: e.at })
      open = null
    }
  }
  if (open) pauses.push({ from: open, to: null })
  return pauses
}

export interface Step { name: string; at: Date; sendAt: Date; level: number; notify: string[] }

/** The reminder and escalation steps of a clock cycle, in order, each with the instant its mail may go out. */
export function plannedSteps(clockStartedAt: Date, policy: SlaPolicy, pauses: Pause[]): { dueAt: Date | null; steps: Step[] } {
  const s = slaSchedule(clockStartedAt, policy, pauses)
  const steps: Step[] = []
  if (s.reminderAt && s.dueAt) {
    const sendAt = nextSendingInstant(s.reminderAt, policy)
    if (sendAt < s.dueAt) steps.push({ name: 'reminder', at: s.reminderAt, sendAt, level: 0, notify: [] })
  }
  for (const e of s.escalations) {
    if (e.at) steps.push({ name: `escalation-${e.level}`, at: e.at, sendAt: nextSendingInstant(e.at, policy), level: e.level, notify: e.notify })
  }
  return { dueAt: s.dueAt, steps }
}

/** Kinds of the events recording an information-pause step, by step name. */
export const INFO_STEP_EVENTS = { 'info-reminder': 'info_reminder_sent', 'info-stale': 'info_stale_notified' } as const

/**
 * While awaiting information: the pause's steps counted from the latest request, those not done yet.
 * Empty in any other status.
 */
export function pendingInfoSteps(status: string, events: TimelineEvent[], policy: SlaPolicy) {
  if (status !== 'awaiting_info') return []
  const request = [...events].reverse().find((e) => e.kind === 'info_requested')
  if (!request) return []
  const done = new Set(events.filter((e) => e.at >= request.at && (e.kind === 'info_reminder_sent' || e.kind === 'info_stale_notified')).map((e) => e.kind))
  return infoPauseSteps(request.at, policy).filter((s) => !done.has(INFO_STEP_EVENTS[s.name]))
}

export interface ScheduleFacts { status: string; clock_started_at: Date; sla_met_at: Date | null }

/**
 * Pure: the deadline and the next step of a referral from its timeline and policy (due_at undefined: kept, the SLA
 * is met). While awaiting information the next step is the pause's (reminder to the mairie, then « sans suite »).
 */
export function scheduleOf(r: ScheduleFacts, events: TimelineEvent[], policy: SlaPolicy): { due_at: Date | null | undefined; next_step: string | null; next_step_at: Date | null } {
  const pauses = pausesFrom(events, r.clock_started_at)
  const { dueAt, steps } = plannedSteps(r.clock_started_at, policy, pauses)
  const done = new Set(events.filter((e) => e.at >= r.clock_started_at && (e.kind === 'reminder_sent' || e.kind === 'escalated')).map((e) => String(e.data.step)))
  const running = clockMayRun(r.status as never) && r.status !== 'awaiting_info' && !r.sla_met_at
  const next = running ? steps.find((s) => !done.has(s.name)) : pendingInfoSteps(r.status, events, policy)[0]
  return { due_at: r.sla_met_at ? undefined : dueAt, next_step: next?.name ?? null, next_step_at: next?.sendAt ?? null }
}

/** Recomputes due_at and the next step of one referral (locked by the caller) from its timeline and policy. */
export async function refreshSchedule(trx: TenantTx, tenantId: string, referralId: string): Promise<void> {
  const r = await scheduleFacts(trx, tenantId, referralId)
  const events = await clockEvents(trx, tenantId, referralId)
  const policy = await loadPolicy(trx, tenantId, r.theme_id)
  await updateReferral(trx, tenantId, referralId, scheduleOf(r, events, policy))
}
