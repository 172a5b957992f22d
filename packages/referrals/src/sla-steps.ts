import type { Tx } from '@relais/db'
import { appendEvent, SYSTEM } from './timeline.ts'
import { enqueueMail } from './outbox.ts'
import { backupOf, holderRecipients, networkAdmins, orgAdmins, uniqueRecipients, type Recipient } from './recipients.ts'
import { loadPolicy } from './policy.ts'
import { pausesFrom, plannedSteps, refreshSchedule } from './schedule.ts'

/**
 * Performs a referral's due reminder or escalation. Compare-and-set under the row lock: whoever comes
 * second (the sweep after a delayed job, a second worker) finds the step done and does nothing.
 */
export async function runSlaStep(trx: Tx, referralId: string, expectedStep: string, now: Date): Promise<boolean> {
  const r = await trx.selectFrom('referral').selectAll().where('id', '=', referralId).forUpdate().executeTakeFirst()
  if (!r || r.next_step !== expectedStep || !r.next_step_at || r.next_step_at > now) return false
  const events = await trx.selectFrom('referral_event').select(['kind', 'at', 'data']).where('referral_id', '=', r.id).orderBy('seq').execute()
  const policy = await loadPolicy(trx, r.tenant_id, r.theme_id)
  const { dueAt, steps } = plannedSteps(r.clock_started_at, policy, pausesFrom(events, r.clock_started_at))
  const step = steps.find((s) => s.name === expectedStep)
  if (!step) {
    await refreshSchedule(trx, r.id)
    return false
  }
  if (step.name === 'reminder') {
    await appendEvent(trx, r.tenant_id, r.id, 'reminder_sent', SYSTEM, now, { step: step.name, dueAt: dueAt?.toISOString() ?? null })
    await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'reminder', recipients: await holderRecipients(trx, r.holder_organisation_id, r.holder_person_id), payload: {}, now })
  } else {
    let recipients: Recipient[] = []
    for (const target of step.notify) {
      if (target === 'org_admins') recipients.push(...await orgAdmins(trx, r.holder_organisation_id))
      if (target === 'backup') recipients.push(...await backupOf(trx, r.holder_person_id))
      if (target === 'mission_tic') recipients.push(...await networkAdmins(trx))
    }
    recipients = uniqueRecipients(recipients)
    if (!recipients.length) recipients = await networkAdmins(trx)
    await appendEvent(trx, r.tenant_id, r.id, 'escalated', SYSTEM, now, { step: step.name, level: step.level, notify: step.notify, dueAt: dueAt?.toISOString() ?? null })
    await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'escalation', recipients, payload: { level: step.level }, now })
  }
  // The next step follows from what was just loaded: no need to read the timeline again.
  const done = new Set(events.filter((e) => e.at >= r.clock_started_at && (e.kind === 'reminder_sent' || e.kind === 'escalated')).map((e) => String(e.data.step)))
  done.add(step.name)
  const next = steps.find((s) => !done.has(s.name))
  await trx.updateTable('referral').set({ next_step: next?.name ?? null, next_step_at: next?.sendAt ?? null }).where('id', '=', r.id).execute()
  return true
}
