import { sql } from 'kysely'
import type { CrossTenantDb } from '../index.ts'

export interface DueStepRow { id: string; tenant_id: string; next_step: string; next_step_at: Date }

/** Cross-tenant: referrals whose next SLA step is due by `at`, oldest first. */
export async function dueSlaSteps(db: CrossTenantDb, at: Date, limit: number): Promise<DueStepRow[]> {
  const { rows } = await sql<DueStepRow>`select id, tenant_id, next_step, next_step_at from sla_due(${at}, ${limit})`.execute(db)
  return rows
}
