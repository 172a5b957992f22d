// The SLA policies of a tenant: one for the tenant (theme_id null) and one per theme that overrides it.
import { sql, type ExpressionBuilder } from 'kysely'
import { preparedName, type TenantTx } from '../index.ts'
import type { ClockModeColumn, Database } from '../schema.ts'

export interface PolicyRow {
  response_minutes: number; clock_mode: ClockModeColumn; reminder_before_minutes: number
  escalations: unknown; opening_hours: unknown
  /** Absent from the routing snapshot, which does not need them. */
  info_reminder_days?: number; info_close_days?: number
}
export type ThemePolicyRow = PolicyRow & { theme_id: string | null }

export interface PolicyInputs {
  tenant: { code: string; time_zone: string }
  policies: ThemePolicyRow[]
  theme: { id: string; sla_response_minutes: number | null } | null
}

/** One round trip: the tenant, its policies for this theme and the theme's own response time. */
export async function policyInputs(trx: TenantTx, tenantId: string, themeId: string | null): Promise<PolicyInputs> {
  // Named: read at every filing and for most mails.
  const { rows } = await sql<PolicyInputs>`${sql.raw(preparedName('policy_inputs'))}
    select (select json_build_object('code', code, 'time_zone', time_zone) from tenant where id = ${tenantId}) as tenant,
      (select coalesce(json_agg(s), '[]') from (select theme_id, response_minutes, clock_mode, reminder_before_minutes, escalations, opening_hours, info_reminder_days, info_close_days
         from sla_policy where tenant_id = ${tenantId} and (theme_id is null or theme_id = ${themeId}::uuid)) s) as policies,
      (select json_build_object('id', id, 'sla_response_minutes', sla_response_minutes) from theme where tenant_id = ${tenantId} and id = ${themeId}::uuid) as theme`.execute(trx)
  return rows[0]
}

const forTheme = (themeId: string | null) => (eb: ExpressionBuilder<Database, 'sla_policy'>) => (themeId === null ? eb('theme_id', 'is', null) : eb('theme_id', '=', themeId))

/** Whether the tenant (themeId null) or the theme has a policy of its own, rather than an inherited one. */
export async function hasOwnPolicy(trx: TenantTx, tenantId: string, themeId: string | null): Promise<boolean> {
  return !!await trx.selectFrom('sla_policy').select('id').where('tenant_id', '=', tenantId).where(forTheme(themeId)).executeTakeFirst()
}

export interface PolicyValues {
  responseMinutes: number; clockMode: ClockModeColumn; reminderBeforeMinutes: number
  escalations: unknown; openingHours: unknown; updatedAt: Date
  infoReminderDays?: number; infoCloseDays?: number
}

export async function savePolicy(trx: TenantTx, tenantId: string, themeId: string | null, v: PolicyValues): Promise<void> {
  const values = {
    response_minutes: v.responseMinutes, clock_mode: v.clockMode, reminder_before_minutes: v.reminderBeforeMinutes,
    escalations: JSON.stringify(v.escalations), opening_hours: JSON.stringify(v.openingHours), updated_at: v.updatedAt,
    ...(v.infoReminderDays !== undefined ? { info_reminder_days: v.infoReminderDays } : {}),
    ...(v.infoCloseDays !== undefined ? { info_close_days: v.infoCloseDays } : {}),
  }
  const existing = await trx.selectFrom('sla_policy').select('id').where('tenant_id', '=', tenantId).where(forTheme(themeId)).executeTakeFirst()
  if (existing) await trx.updateTable('sla_policy').set(values).where('tenant_id', '=', tenantId).where('id', '=', existing.id).execute()
  else await trx.insertInto('sla_policy').values({ tenant_id: tenantId, theme_id: themeId, ...values }).execute()
}
