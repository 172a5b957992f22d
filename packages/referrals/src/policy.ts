import { recordChange } from '@relais/db/repositories/audit'
import { DEFAULT_SLA_POLICY, assertValidSlaPolicy, fromMinuteRanges, invalidFields, notFound, slaPolicyChangeIssues, toMinuteRanges, type ClockMode, type SlaPolicy, type SlaPolicyChange, type OpeningHours, type EscalationTarget, type WeeklyHours } from '@relais/core'
import type { TenantTx } from '@relais/db'
import { hasOwnPolicy, policyInputs, savePolicy, type PolicyRow, type ThemePolicyRow } from '@relais/db/repositories/sla-policy'
import { themeByCode } from '@relais/db/repositories/themes'
import { requestRecompute } from './recompute.ts'

export type { PolicyRow }

function policyFromRow(row: PolicyRow | undefined, base: SlaPolicy): SlaPolicy {
  if (!row) return base
  return {
    ...base,
    responseMinutes: row.response_minutes,
    clockMode: row.clock_mode,
    reminderBeforeMinutes: row.reminder_before_minutes,
    escalations: row.escalations as { afterDueMinutes: number; notify: EscalationTarget[] }[],
    openingHours: (row.opening_hours as OpeningHours | null) ?? base.openingHours,
    infoReminderDays: row.info_reminder_days ?? base.infoReminderDays,
    infoCloseDays: row.info_close_days ?? base.infoCloseDays,
  }
}

/** Defaults ← the tenant's policy ← the theme's policy (and the theme's own response time). Pure. */
export function mergePolicy(tenant: { code: string; time_zone: string }, rows: ThemePolicyRow[], theme: { id: string; sla_response_minutes: number | null } | null): SlaPolicy {
  let policy: SlaPolicy = { ...DEFAULT_SLA_POLICY, departement: tenant.code, timeZone: tenant.time_zone }
  policy = policyFromRow(rows.find((r) => r.theme_id === null), policy)
  if (theme) {
    const own = rows.find((r) => r.theme_id === theme.id)
    policy = policyFromRow(own, policy)
    if (theme.sla_response_minutes && !own) policy = { ...policy, responseMinutes: theme.sla_response_minutes }
  }
  return policy
}

/** The policy that applies to a theme (themeId null: the tenant's). */
export async function loadPolicy(trx: TenantTx, tenantId: string, themeId: string | null): Promise<SlaPolicy> {
  const inputs = await policyInputs(trx, tenantId, themeId)
  return mergePolicy(inputs.tenant, inputs.policies, inputs.theme)
}

/** The policy that applies, and whether it is the tenant's (or theme's) own or inherited from defaults/the tenant. */
export async function policyView(trx: TenantTx, tenantId: string, themeId: string | null): Promise<{ policy: SlaPolicy; inherited: boolean }> {
  return { policy: await loadPolicy(trx, tenantId, themeId), inherited: !await hasOwnPolicy(trx, tenantId, themeId) }
}

/** The theme a policy is set for, by code; 404 if the tenant has no such theme. */
export async function policyTheme(trx: TenantTx, tenantId: string, code: string): Promise<{ id: string; code: string }> {
  const t = await themeByCode(trx, tenantId, code)
  if (!t) throw notFound('Ce thème')
  return { id: t.id, code: t.code }
}

export interface PolicyInput {
  responseMinutes: number; clockMode: ClockMode; reminderBeforeMinutes: number
  escalations: { afterDueMinutes: number; notify: EscalationTarget[] }[]; openingHours: OpeningHours
  infoReminderDays?: number; infoCloseDays?: number
}

/**
 * Saves the tenant's (themeId null) or a theme's policy. The deadlines of running clocks are recomputed set-wise:
 * the first batch now (a small network is done before the answer), the rest by the worker (runRecomputes).
 */
export async function saveSlaPolicy(trx: TenantTx, tenantId: string, themeId: string | null, v: PolicyInput, now: Date): Promise<void> {
  await savePolicy(trx, tenantId, themeId, { ...v, updatedAt: now })
  // Paused time comes from each referral's timeline, so recomputing is exact.
  await requestRecompute(trx, tenantId, themeId, now)
}

/** A policy as the API and the pages show it: opening hours in the product's one format. */
export interface SlaPolicyView extends Omit<SlaPolicyChange, 'openingHours'> { openingHours: WeeklyHours; themeCode: string | null; inherited: boolean }

/** The tenant's policy (themeCode null) or a theme's, with whether it is its own or inherited. */
export async function slaPolicyOf(trx: TenantTx, tenantId: string, themeCode: string | null): Promise<SlaPolicyView> {
  const theme = themeCode === null ? null : await policyTheme(trx, tenantId, themeCode)
  const { policy: p, inherited } = await policyView(trx, tenantId, theme?.id ?? null)
  return {
    responseMinutes: p.responseMinutes, clockMode: p.clockMode, reminderBeforeMinutes: p.reminderBeforeMinutes, escalations: p.escalations,
    openingHours: fromMinuteRanges(p.openingHours), infoReminderDays: p.infoReminderDays, infoCloseDays: p.infoCloseDays, themeCode: theme?.code ?? null, inherited,
  }
}

/** Changes the tenant's (themeCode null) or a theme's policy: checked field by field, then as a whole, then saved. */
export async function changeSlaPolicy(trx: TenantTx, tenantId: string, themeCode: string | null, change: SlaPolicyChange, now: Date, actor?: { personId: string }): Promise<SlaPolicyView> {
  const theme = themeCode === null ? null : await policyTheme(trx, tenantId, themeCode)
  const issues = slaPolicyChangeIssues(change)
  if (issues.length) throw invalidFields(issues)
  const openingHours = change.openingHours ? toMinuteRanges(change.openingHours) : DEFAULT_SLA_POLICY.openingHours
  const input = { ...change, openingHours }
  assertValidSlaPolicy({ ...await loadPolicy(trx, tenantId, theme?.id ?? null), ...input })
  const before = await slaPolicyOf(trx, tenantId, themeCode)
  await saveSlaPolicy(trx, tenantId, theme?.id ?? null, input, now)
  const after = await slaPolicyOf(trx, tenantId, themeCode)
  // On the audit log: only what changed, both sides.
  const keys = (['responseMinutes', 'clockMode', 'reminderBeforeMinutes', 'escalations', 'openingHours', 'infoReminderDays', 'infoCloseDays'] as const).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
  if (keys.length) {
    await recordChange(trx, tenantId, {
      actorPersonId: actor?.personId ?? null, entity: 'sla_policy', entityId: themeCode, action: 'update',
      label: themeCode ? `Délai du thème ${themeCode}` : 'Politique de délai du département',
      before: Object.fromEntries(keys.map((k) => [k, before[k]])), after: Object.fromEntries(keys.map((k) => [k, after[k]])),
    })
  }
  return after
}
