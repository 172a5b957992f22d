// Retention (issue 18): a set time after closure (the tenant's setting, default 24 months) the citizen's name, email,
// phone, the question, the internal note and the free texts of the timeline are erased. The timeline's hash chain still
// verifies: sealed events (timeline.ts, migration 0091) hash those fields as commitments, and an erased field keeps its
// commitment. Events written before sealing hash their plain texts: those texts are kept and counted in the report.
import { crossTenant, withTenant, type DB, type TenantTx } from '@relais/db'
import * as repo from '@relais/db/repositories/retention'
import { eraseAttachments } from '@relais/db/repositories/attachments'
import { privacySettings } from './citizen.ts'
import { appendEvent, commitment, isErased, PERSONAL_EVENT_FIELDS, SYSTEM, type Actor } from './timeline.ts'

export interface RetentionTenantReport {
  code: string; retentionMonths: number; cutoff: string
  referrals: { reference: string; closedAt: string }[]
  /** Events whose free texts or the citizen's address were (or would be) erased. */
  eventsErased: number
  /** Events written before sealing (migration 0091) that carry such texts: they cannot be erased without breaking the chain. */
  legacyEventsKept: number
  /** Files of those referrals whose content was (or will be, in a dry run: not counted) erased. */
  attachmentsErased: number
}
export interface RetentionReport { asOf: string; dryRun: boolean; tenants: RetentionTenantReport[]; referrals: number }

/** asOf minus whole calendar months (the day clamped to the month's last), in UTC. */
export function monthsBefore(asOf: Date, months: number): Date {
  const d = new Date(asOf)
  const day = d.getUTCDate()
  d.setUTCDate(1)
  d.setUTCMonth(d.getUTCMonth() - months)
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate()
  d.setUTCDate(Math.min(day, last))
  return d
}

/** What of one referral's timeline is personal: the fields to erase per event, and whether the event can be. */
async function personalFields(trx: TenantTx, tenantId: string, r: { id: string; citizen_email: string | null }) {
  const events = await repo.eventsOf(trx, tenantId, r.id)
  const email = r.citizen_email?.toLowerCase()
  return events.flatMap((e) => {
    const fields = PERSONAL_EVENT_FIELDS.filter((f) => {
      const v = e.data[f]
      if (v === undefined || v === null || isErased(v)) return false
      // An address is the citizen's only if it is hers; the network's people keep theirs (they are not this data).
      return f !== 'to' || (typeof v === 'string' && !!email && v.toLowerCase() === email)
    })
    return fields.length ? [{ ...e, fields }] : []
  })
}

/** Replaces the personal fields of sealed events by their commitments: the chain still verifies. */
async function eraseSealed(trx: TenantTx, r: { id: string; reference: string }, sealed: Awaited<ReturnType<typeof personalFields>>) {
  for (const e of sealed) {
    const commitments = e.fields.map((f) => commitment(e.key_id!, r.id, e.seq, f, e.data[f]))
    if (commitments.some((c) => !c)) throw new Error(`retention: the timeline key « ${e.key_id} » of ${r.reference} is not configured`)
    if (!await repo.eraseEventFields(trx, r.id, e.seq, e.fields, commitments as string[])) throw new Error(`retention: event ${e.seq} of ${r.reference} was not erased`)
  }
}

/** The erasure itself, one place for the job and the right to erasure: timeline texts, the referral's fields, its files. */
async function erase(trx: TenantTx, tenantId: string, r: { id: string; reference: string }, sealed: Awaited<ReturnType<typeof personalFields>>, now: Date): Promise<number> {
  await eraseSealed(trx, r, sealed)
  await repo.anonymiseReferral(trx, tenantId, r.id, now)
  // A citizen's documents (a CAF notice, a tax statement) are her data too: their content and name go, the digest stays.
  return eraseAttachments(trx, tenantId, [r.id], now)
}

/**
 * Early erasure of one referral's citizen data (the right to erasure, issue 18): the retention's own anonymisation, in
 * the caller's transaction; the timeline records who asked (the mission TIC) and what was erased.
 */
export async function anonymiseNow(trx: TenantTx, tenantId: string, r: { id: string; reference: string; citizen_email: string | null }, actor: Actor, now: Date) {
  const personal = await personalFields(trx, tenantId, r)
  const sealed = personal.filter((e) => e.sealed === 'c1')
  const erasedAttachments = await erase(trx, tenantId, r, sealed, now)
  await appendEvent(trx, tenantId, r.id, 'anonymised', actor, now, { onRequest: true, erasedEvents: sealed.length, legacyEventsKept: personal.length - sealed.length, erasedAttachments })
  return { erasedEvents: sealed.length, legacyEventsKept: personal.length - sealed.length, erasedAttachments }
}

async function tenantRetention(db: DB, tenantId: string, asOf: Date, now: Date, dryRun: boolean, batch: number): Promise<RetentionTenantReport> {
  const head = await withTenant(db, { tenantId }, async (trx) => ({ code: await repo.tenantCode(trx, tenantId), months: (await privacySettings(trx, tenantId)).retentionMonths }))
  const cutoff = monthsBefore(asOf, head.months)
  const report: RetentionTenantReport = { code: head.code, retentionMonths: head.months, cutoff: cutoff.toISOString(), referrals: [], eventsErased: 0, legacyEventsKept: 0, attachmentsErased: 0 }
  for (;;) {
    // One transaction per batch: the rows are locked (SKIP LOCKED: two workers share the work), erased, and recorded.
    const done = await withTenant(db, { tenantId }, async (trx) => {
      const due = await repo.referralsDue(trx, tenantId, cutoff, dryRun ? 100_000 : batch, !dryRun)
      for (const r of due) {
        const personal = await personalFields(trx, tenantId, r)
        const sealed = personal.filter((e) => e.sealed === 'c1')
        const legacy = personal.length - sealed.length
        report.referrals.push({ reference: r.reference, closedAt: r.closed_at!.toISOString() })
        report.eventsErased += sealed.length
        report.legacyEventsKept += legacy
        if (dryRun) continue
        const erasedAttachments = await erase(trx, tenantId, r, sealed, now)
        report.attachmentsErased += erasedAttachments
        await appendEvent(trx, tenantId, r.id, 'anonymised', SYSTEM, now, { retentionMonths: head.months, erasedEvents: sealed.length, legacyEventsKept: legacy, erasedAttachments })
      }
      return due.length
    })
    if (dryRun || done < batch) break
  }
  return report
}

/**
 * Runs the retention over every tenant with referrals closed more than its retention before `asOf`. `dryRun`: says what
 * it would do and changes nothing. `now`: the instant recorded (defaults to asOf).
 */
export async function runRetention(db: DB, opts: { asOf: Date; dryRun?: boolean; now?: Date; batch?: number }): Promise<RetentionReport> {
  const tenants: RetentionTenantReport[] = []
  for (const tenantId of await repo.tenantsDue(crossTenant(db), opts.asOf)) {
    tenants.push(await tenantRetention(db, tenantId, opts.asOf, opts.now ?? opts.asOf, opts.dryRun ?? false, opts.batch ?? 200))
  }
  return { asOf: opts.asOf.toISOString(), dryRun: opts.dryRun ?? false, tenants, referrals: tenants.reduce((n, t) => n + t.referrals.length, 0) }
}
