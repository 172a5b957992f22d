// The audit log: every change to the directory and the SLA policy, append-only (the app role inserts and reads).
import type { AuditAction, AuditEntity, TenantTx } from '../index.ts'

export interface AuditEntry {
  actorPersonId: string | null; entity: AuditEntity; entityId: string | null; action: AuditAction; label: string
  before: Record<string, unknown> | null; after: Record<string, unknown> | null
}

export async function recordChange(trx: TenantTx, tenantId: string, e: AuditEntry): Promise<void> {
  await trx.insertInto('audit_log').values({
    tenant_id: tenantId, actor_person_id: e.actorPersonId, entity: e.entity, entity_id: e.entityId, action: e.action, label: e.label.slice(0, 500),
    before: e.before === null ? null : JSON.stringify(e.before), after: e.after === null ? null : JSON.stringify(e.after),
  }).execute()
}

export interface AuditRow extends AuditEntry { id: string; at: Date; actorName: string | null; actorOrganisation: string | null }

/** The latest changes first, optionally of one kind of entity. */
export async function listChanges(trx: TenantTx, tenantId: string, filter: { entity?: AuditEntity }, limit: number): Promise<AuditRow[]> {
  let q = trx.selectFrom('audit_log as a').leftJoin('person as p', 'p.id', 'a.actor_person_id').leftJoin('organisation as o', 'o.id', 'p.organisation_id')
    .select(['a.id', 'a.at', 'a.actor_person_id', 'a.entity', 'a.entity_id', 'a.action', 'a.label', 'a.before', 'a.after', 'p.name as actor_name', 'o.name as actor_org'])
    .where('a.tenant_id', '=', tenantId)
  if (filter.entity) q = q.where('a.entity', '=', filter.entity)
  const rows = await q.orderBy('a.at', 'desc').orderBy('a.id', 'desc').limit(limit).execute()
  return rows.map((r) => ({
    id: r.id, at: r.at, actorPersonId: r.actor_person_id, entity: r.entity, entityId: r.entity_id, action: r.action, label: r.label,
    before: r.before, after: r.after, actorName: r.actor_name, actorOrganisation: r.actor_org,
  }))
}
