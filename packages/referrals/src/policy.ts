import { DEFAULT_SLA_POLICY, type SlaPolicy, type ClockMode, type OpeningHours, type EscalationTarget } from '@relais/core'
import type { Tx } from '@relais/db'

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

export async function loadPolicy(trx: Tx, tenantId: string, themeId: string | null): Promise<SlaPolicy> {
  const tenant = await trx.selectFrom('tenant').select(['code', 'time_zone']).where('id', '=', tenantId).executeTakeFirstOrThrow()
  const rows = await trx.selectFrom('sla_policy').selectAll()
    .where((eb) => eb.or([eb('theme_id', 'is', null), ...(themeId ? [eb('theme_id', '=', themeId)] : [])])).execute()
  const theme = themeId ? await trx.selectFrom('theme').select(['id', 'sla_response_minutes']).where('id', '=', themeId).executeTakeFirst() : undefined
  return mergePolicy(tenant, rows as (PolicyRow & { theme_id: string | null })[], theme ?? null)
}
