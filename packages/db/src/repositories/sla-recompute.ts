// A policy change's recomputation of running clocks (migration 0032): the request records it, batches walk it.
import { sql } from 'kysely'
import type { CrossTenantDb, TenantTx } from '../index.ts'
import type { PolicyInputs, ThemePolicyRow } from './sla-policy.ts'

export async function insertRecompute(trx: TenantTx, tenantId: string, themeId: string | null, now: Date): Promise<string> {
  const r = await trx.insertInto('sla_recompute').values({ tenant_id: tenantId, theme_id: themeId, requested_at: now }).returning('id').executeTakeFirstOrThrow()
  return String(r.id)
}

/** The recomputation, locked for this batch; undefined if done or another worker holds it (it is not waited for). */
export async function lockRecompute(trx: TenantTx, tenantId: string, id: string) {
  return trx.selectFrom('sla_recompute').select(['id', 'theme_id', 'after_id', 'done_count']).where('tenant_id', '=', tenantId).where('id', '=', id)
    .where('done_at', 'is', null).forUpdate().skipLocked().executeTakeFirst()
}

export async function advanceRecompute(trx: TenantTx, tenantId: string, id: string, afterId: string | null, count: number, doneAt: Date | null): Promise<void> {
  await trx.updateTable('sla_recompute').set({ after_id: afterId, done_count: sql`done_count + ${count}`, done_at: doneAt }).where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

/** Cross-tenant: pending recomputations, oldest first (ids and tenants only). */
export async function pendingRecomputes(db: CrossTenantDb, limit: number): Promise<{ id: string; tenant_id: string }[]> {
  const { rows } = await sql<{ id: string; tenant_id: string }>`select id::text as id, tenant_id from sla_recompute_pending(${limit})`.execute(db)
  return rows
}

export interface ClockRow { id: string; theme_id: string; status: string; clock_started_at: Date; sla_met_at: Date | null }

/** The next `limit` running clocks after `afterId` (id order), of a theme or of the whole tenant, locked for this batch. */
export async function lockRunningClocks(trx: TenantTx, tenantId: string, themeId: string | null, afterId: string | null, limit: number): Promise<ClockRow[]> {
  // Literal statuses: the partial index referral_tenant_open_id names them.
  let q = trx.selectFrom('referral').select(['id', 'theme_id', 'status', 'clock_started_at', 'sla_met_at'])
    .where('tenant_id', '=', tenantId).where(sql<boolean>`status in ('submitted', 'assigned', 'awaiting_info')`).where('sla_met_at', 'is', null)
  if (themeId) q = q.where('theme_id', '=', themeId)
  if (afterId) q = q.where('id', '>', afterId)
  return q.orderBy('id').limit(limit).forUpdate().execute()
}

/** What the SLA clock reads (pauses, steps done) for several referrals at once, in timeline order. */
export async function clockEventsOf(trx: TenantTx, tenantId: string, ids: string[]) {
  if (!ids.length) return []
  return trx.selectFrom('referral_event').select(['referral_id', 'kind', 'at', 'data'])
    .where('tenant_id', '=', tenantId).where(sql<boolean>`referral_id = any(${ids}::uuid[])`)
    .where('kind', 'in', ['info_requested', 'info_provided', 'answered', 'appointment_proposed', 'cancelled', 'reminder_sent', 'escalated', 'info_reminder_sent', 'info_stale_notified'])
    .orderBy('referral_id').orderBy('seq').execute()
}

/** The tenant, all its policies and the response times of these themes: every policy a batch needs, in one read. */
export async function policyInputsOfThemes(trx: TenantTx, tenantId: string, themeIds: string[]): Promise<Omit<PolicyInputs, 'theme'> & { themes: { id: string; sla_response_minutes: number | null }[] }> {
  const { rows } = await sql<{ tenant: PolicyInputs['tenant']; policies: ThemePolicyRow[]; themes: { id: string; sla_response_minutes: number | null }[] }>`
    select (select json_build_object('code', code, 'time_zone', time_zone) from tenant where id = ${tenantId}) as tenant,
      (select coalesce(json_agg(s), '[]') from (select theme_id, response_minutes, clock_mode, reminder_before_minutes, escalations, opening_hours, info_reminder_days, info_close_days
         from sla_policy where tenant_id = ${tenantId}) s) as policies,
      (select coalesce(json_agg(t), '[]') from (select id, sla_response_minutes from theme where tenant_id = ${tenantId} and id = any(${themeIds}::uuid[])) t) as themes`.execute(trx)
  return rows[0]
}

export interface ScheduleUpdate { id: string; due_at: Date | null | undefined; next_step: string | null; next_step_at: Date | null }

/** Writes many referrals' deadlines and next steps in one statement (due_at undefined: kept). */
export async function setSchedules(trx: TenantTx, tenantId: string, rows: ScheduleUpdate[]): Promise<void> {
  if (!rows.length) return
  await sql`
    update referral r set
      due_at = case when v.keep_due then r.due_at else v.due_at end, next_step = v.next_step, next_step_at = v.next_step_at
    from unnest(${rows.map((r) => r.id)}::uuid[], ${rows.map((r) => r.due_at === undefined)}::boolean[], ${rows.map((r) => r.due_at?.toISOString() ?? null)}::timestamptz[],
      ${rows.map((r) => r.next_step)}::text[], ${rows.map((r) => r.next_step_at?.toISOString() ?? null)}::timestamptz[]) as v(id, keep_due, due_at, next_step, next_step_at)
    where r.tenant_id = ${tenantId} and r.id = v.id`.execute(trx)
}
