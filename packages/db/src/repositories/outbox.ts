import { sql } from 'kysely'
import type { CrossTenantDb, TenantTx } from '../index.ts'

export interface DueOutboxRow { id: string; tenant_id: string; attempts: number }

/** Cross-tenant: ids of mails to hand to the queue (never relayed, or relayed long ago and not claimed). */
export async function dueOutbox(db: CrossTenantDb, now: Date, relayGraceSeconds: number, limit: number): Promise<DueOutboxRow[]> {
  const { rows } = await sql<DueOutboxRow>`select id::text as id, tenant_id, attempts from outbox_due(${now}, make_interval(secs => ${relayGraceSeconds}), ${limit})`.execute(db)
  return rows
}

export async function markRelayed(trx: TenantTx, tenantId: string, ids: string[], at: Date): Promise<void> {
  if (!ids.length) return
  await trx.updateTable('outbox').set({ relayed_at: at }).where('tenant_id', '=', tenantId).where('id', 'in', ids).execute()
}
