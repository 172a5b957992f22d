import type { AuditAction, AuditEntity, TenantTx } from '@relais/db'
import { listChanges, recordChange } from '@relais/db/repositories/audit'
import { authorizeRole } from '@relais/core'
import type { DirectoryActor } from './common.ts'

// Every change to the directory goes on the audit log in the same transaction: who, when, before → after.

/** Bookkeeping fields that say nothing about the change. */
const NOISE = new Set(['createdAt', 'updatedAt', 'hasPassword', 'emailBouncedAt', 'organisationName', 'themeId'])

function snapshot(value: object | null | undefined): Record<string, unknown> | null {
  if (!value) return null
  return Object.fromEntries(Object.entries(value).filter(([k, v]) => !NOISE.has(k) && v !== undefined).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]))
}

/** An update keeps only the fields that changed, on both sides; a creation has no before, nothing has no after. */
export async function audit(trx: TenantTx, actor: Pick<DirectoryActor, 'tenantId' | 'personId'>, entity: AuditEntity, action: AuditAction, label: string, entityId: string | null, before: object | null, after: object | null) {
  let b = snapshot(before)
  let a = snapshot(after)
  if (b && a) {
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => JSON.stringify(b![k]) !== JSON.stringify(a![k]))
    if (!keys.length) return
    b = Object.fromEntries(keys.map((k) => [k, b![k] ?? null]))
    a = Object.fromEntries(keys.map((k) => [k, a![k] ?? null]))
  }
  await recordChange(trx, actor.tenantId, { actorPersonId: actor.personId, entity, entityId, action, label, before: b, after: a })
}

/** The mission TIC reads the log, latest first. */
export async function listAuditLog(trx: TenantTx, actor: DirectoryActor, filter: { entity?: AuditEntity }, limit: number) {
  authorizeRole(actor, 'audit.read')
  return listChanges(trx, actor.tenantId, filter, limit)
}
