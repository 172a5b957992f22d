import { crossTenant, withTenant, type DB, type TenantTx } from '@relais/db'
import { claimDueSlaSteps, dueSlaSteps, lockReferral, updateReferral, type DueStepRow } from '@relais/db/repositories/referrals'
import { clockEvents } from '@relais/db/repositories/timeline'
import { appendEvent, SYSTEM } from './timeline.ts'
import { enqueueMail } from './outbox.ts'
import { backupOf, holderRecipients, networkAdmins, orgAdmins, personRecipient, uniqueRecipients, type Recipient } from './recipients.ts'
import { loadPolicy } from './policy.ts'
import { pausesFrom, pendingInfoSteps, plannedSteps, refreshSchedule, INFO_STEP_EVENTS } from './schedule.ts'

/**
 * Performs a referral's due reminder or escalation. Compare-and-set under the row lock: whoever comes
 * second (the sweep after a delayed job, a second worker) finds the step done and does nothing.
 */
async function runSlaStep(trx: TenantTx, tenantId: string, referralId: string, expectedStep: string, now: Date): Promise<boolean> {
  const r = await lockReferral(trx, tenantId, referralId)
  if (!r) return false
  // The sweep's claim ends here, done or not: the next step, if already due, is free for the next batch.
  if (r.sla_claimed_until) await updateReferral(trx, tenantId, r.id, { sla_claimed_until: null })
  if (r.next_step !== expectedStep || !r.next_step_at || r.next_step_at > now) return false
  const events = await clockEvents(trx, tenantId, r.id)
  const policy = await loadPolicy(trx, tenantId, r.theme_id)
  if (expectedStep.startsWith('info-')) {
    // The information pause: the mairie is reminded, then the holder told it may close « sans suite ».
    const info = pendingInfoSteps(r.status, events, policy)
    const step = info.find((s) => s.name === expectedStep)
    if (!step || step.sendAt > now) {
      await refreshSchedule(trx, tenantId, r.id)
      return false
    }
    const ev = await appendEvent(trx, r.tenant_id, r.id, INFO_STEP_EVENTS[step.name], SYSTEM, now, { step: step.name })
    if (step.name === 'info-reminder') {
      await enqueueMail(trx, { tenantId, referralId: r.id, kind: 'info_reminder', recipients: await personRecipient(trx, tenantId, r.filed_by_person_id), payload: { eventSeq: ev.seq }, now })
    } else {
      await enqueueMail(trx, { tenantId, referralId: r.id, kind: 'info_stale', recipients: await holderRecipients(trx, tenantId, r.holder_organisation_id, r.holder_person_id), payload: { eventSeq: ev.seq }, now })
    }
    const next = info.find((s) => s.name !== step.name)
    await updateReferral(trx, tenantId, r.id, { next_step: next?.name ?? null, next_step_at: next?.sendAt ?? null })
    return true
  }
  const { dueAt, steps } = plannedSteps(r.clock_started_at, policy, pausesFrom(events, r.clock_started_at))
  const step = steps.find((s) => s.name === expectedStep)
  if (!step) {
    await refreshSchedule(trx, tenantId, r.id)
    return false
  }
  if (step.name === 'reminder') {
    const ev = await appendEvent(trx, r.tenant_id, r.id, 'reminder_sent', SYSTEM, now, { step: step.name, dueAt: dueAt?.toISOString() ?? null })
    await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'reminder', recipients: await holderRecipients(trx, tenantId, r.holder_organisation_id, r.holder_person_id), payload: { step: step.name, eventSeq: ev.seq }, now })
  } else {
    let recipients: Recipient[] = []
    for (const target of step.notify) {
      if (target === 'org_admins') recipients.push(...await orgAdmins(trx, tenantId, r.holder_organisation_id))
      if (target === 'backup') recipients.push(...await backupOf(trx, tenantId, r.holder_person_id))
      if (target === 'mission_tic') recipients.push(...await networkAdmins(trx, tenantId))
    }
    recipients = uniqueRecipients(recipients)
    if (!recipients.length) recipients = await networkAdmins(trx, tenantId)
    const ev = await appendEvent(trx, r.tenant_id, r.id, 'escalated', SYSTEM, now, { step: step.name, level: step.level, notify: step.notify, dueAt: dueAt?.toISOString() ?? null })
    await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'escalation', recipients, payload: { level: step.level, step: step.name, eventSeq: ev.seq }, now })
  }
  // The next step follows from what was just loaded: no need to read the timeline again.
  const done = new Set(events.filter((e) => e.at >= r.clock_started_at && (e.kind === 'reminder_sent' || e.kind === 'escalated')).map((e) => String(e.data.step)))
  done.add(step.name)
  const next = steps.find((s) => !done.has(s.name))
  await updateReferral(trx, tenantId, r.id, { next_step: next?.name ?? null, next_step_at: next?.sendAt ?? null })
  return true
}

/** One step in its own tenant transaction: what a delayed job and the sweep run. */
export async function runSlaStepJob(db: DB, job: { tenantId: string; referralId: string; step: string }, now: Date): Promise<boolean> {
  return withTenant(db, { tenantId: job.tenantId }, (trx) => runSlaStep(trx, job.tenantId, job.referralId, job.step, now))
}

/**
 * The SLA sweep over every tenant: runs the steps due now; hands the steps due before the next sweep (until
 * `horizon`) to `later`, which schedules them to run on time. Returns how many steps it ran.
 */
export async function sweepSla(db: DB, now: Date, horizon: Date, later: (row: DueStepRow) => Promise<void>, opts: { batch?: number; claimSeconds?: number; max?: number } = {}): Promise<number> {
  const sweep = crossTenant(db)
  const batch = opts.batch ?? 50
  const max = opts.max ?? 10_000
  let done = 0
  // Small claimed batches: several workers sweeping at once share the due steps instead of queueing on the same rows.
  // A worker that dies leaves its batch claimed until claimSeconds have passed.
  // A step that stays due after its run (it could not be done) waits for the next sweep rather than spin in this one.
  const seen = new Set<string>()
  for (let claimed = 0; claimed < max;) {
    const rows = (await claimDueSlaSteps(sweep, now, new Date(now.getTime() + (opts.claimSeconds ?? 300) * 1000), batch))
      .filter((row) => !seen.has(`${row.id} ${row.next_step}`))
    if (!rows.length) break
    claimed += rows.length
    for (const row of rows) {
      seen.add(`${row.id} ${row.next_step}`)
      if (await runSlaStepJob(db, { tenantId: row.tenant_id, referralId: row.id, step: row.next_step }, now)) done++
    }
  }
  for (const row of await dueSlaSteps(sweep, horizon, 1000)) {
    if (row.next_step_at > now) await later(row)
  }
  return done
}
