// Counts for operators' metrics, across tenants: numbers only, never a row or a tenant's data.
import { sql } from 'kysely'
import type { CrossTenantDb } from '../index.ts'

export interface OperationsGauges { outboxBacklog: number; outboxOldestSeconds: number; referralsOverdue: number }

export async function operationsGauges(db: CrossTenantDb, now: Date): Promise<OperationsGauges> {
  const { rows } = await sql<{ outbox_backlog: string; outbox_oldest_seconds: number; referrals_overdue: string }>`
    select outbox_backlog, outbox_oldest_seconds, referrals_overdue from operations_gauges(${now})`.execute(db)
  const r = rows[0]
  return { outboxBacklog: Number(r.outbox_backlog), outboxOldestSeconds: Number(r.outbox_oldest_seconds), referralsOverdue: Number(r.referrals_overdue) }
}
