import { DEFAULT_SLA_POLICY, type SlaPolicy, type ClockMode, type OpeningHours, type EscalationTarget } from '@relais/core'
import { sql, type Tx } from '@relais/db'

export interface PolicyRow {
  response_minutes: number; clock_mode: ClockMode; reminder_before_minutes: number
  escalations: unknown; opening_hours: unknown
}

export function policyFromRow(row: PolicyRow | undefined, base: SlaPolicy): SlaPolicy {
  if (!row) return base
  return {
    ...base,
    responseMinutes: row.response_minutes,
    clockMode: row.clock_mode,
    reminderBeforeMinutes: row.reminder_before_minutes,
    escalations: row.escalations as { afterDueMinutes: number; notify: EscalationTarget[] }[],
    openingHours: (row.opening_hours as OpeningHours | null) ?? base.openingHours,
  }
}

/** Defaults ← the tenant's policy ← the theme's policy (and the theme's own response time). Pure. */
export function mergePolicy(tenant: { code: string; time_zone: string }, rows: (PolicyRow & { theme_id: string | null })[], theme: { id: string; sla_response_minutes: number | null } | null): SlaPolicy {
  let policy: SlaPolicy = { ...DEFAULT_SLA_POLICY, departement: tenant.code, timeZone: tenant.time_zone }
  policy = policyFromRow(rows.find((r) => r.theme_id === null), policy)
  if (theme) {
    const own = rows.find((r) => r.theme_id === theme.id)
    policy = policyFromRow(own, policy)
    if (theme.sla_response_minutes && !own) policy = { ...policy, responseMinutes: theme.sla_response_minutes }
  }
  return policy
}

/** One round trip: the tenant, its policies for this theme and the theme's own response time. */
export async function loadPolicy(trx: Tx, tenantId: string, themeId: string | null): Promise<SlaPolicy> {
  const { rows } = await sql<{ tenant: { code: string; time_zone: string }; policies: (PolicyRow & { theme_id: string | null })[]; theme: { id: string; sla_response_minutes: number | null } | null }>`
    select (select json_build_object('code', code, 'time_zone', time_zone) from tenant where id = ${tenantId}) as tenant,
      (select coalesce(json_agg(s), '[]') from (select theme_id, response_minutes, clock_mode, reminder_before_minutes, escalations, opening_hours
         from sla_policy where theme_id is null or theme_id = ${themeId}::uuid) s) as policies,
      (select json_build_object('id', id, 'sla_response_minutes', sla_response_minutes) from theme where id = ${themeId}::uuid) as theme`.execute(trx)
  return mergePolicy(rows[0].tenant, rows[0].policies, rows[0].theme)
}
