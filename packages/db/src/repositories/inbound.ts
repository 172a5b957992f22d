// Replies by email (issue 15): what the inbound server reads and records.
import { sql } from 'kysely'
import type { CrossTenantDb, TenantTx } from '../index.ts'
import type { Insertable } from 'kysely'
import type { InboundMailTable } from '../schema.ts'

/** Cross-tenant, ids only: the tenant of the referral mail a (signature-checked) reply address names. */
export async function replyTenant(db: CrossTenantDb, outboxId: string): Promise<string | null> {
  const { rows } = await sql<{ tenant_id: string | null }>`select reply_outbox_tenant(${outboxId}::bigint) as tenant_id`.execute(db)
  return rows[0]?.tenant_id ?? null
}

export async function outboxForReply(trx: TenantTx, tenantId: string, id: string) {
  return trx.selectFrom('outbox').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
}

export async function personForReply(trx: TenantTx, tenantId: string, id: string) {
  return trx.selectFrom('person').select(['id', 'email', 'role', 'organisation_id', 'active']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
}

/** Records a mail once per Message-ID: false when it was already taken (a replay). */
export async function recordInbound(trx: TenantTx, row: Insertable<InboundMailTable>): Promise<boolean> {
  const inserted = await trx.insertInto('inbound_mail').values(row).onConflict((oc) => oc.columns(['tenant_id', 'message_id']).doNothing()).returning('id').executeTakeFirst()
  return !!inserted
}

export async function setInboundOutcome(trx: TenantTx, tenantId: string, messageId: string, outcome: InboundMailTable['outcome']): Promise<void> {
  await trx.updateTable('inbound_mail').set({ outcome }).where('tenant_id', '=', tenantId).where('message_id', '=', messageId).execute()
}
