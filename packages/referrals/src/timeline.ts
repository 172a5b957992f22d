import { createHash } from 'node:crypto'
import type { TenantTx } from '@relais/db'
import * as events from '@relais/db/repositories/timeline'

export const GENESIS_HASH = '0'.repeat(64)

export interface Actor { personId: string | null; organisationId: string | null }
export const SYSTEM: Actor = { personId: null, organisationId: null }

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  const obj = value as Record<string, unknown>
  return `{${Object.keys(obj).filter((k) => obj[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`
}

export interface EventContent {
  referralId: string; seq: number; at: Date; actorPersonId: string | null; actorOrganisationId: string | null; kind: string; data: Record<string, unknown>
}

/** Each event's hash covers its content and the previous hash: changing or removing any event breaks the chain. */
function eventHash(prevHash: string, e: EventContent): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonical({
    referralId: e.referralId, seq: e.seq, at: e.at.toISOString(), actorPersonId: e.actorPersonId,
    actorOrganisationId: e.actorOrganisationId, kind: e.kind, data: e.data,
  })).digest('hex')
}

export interface NewEvent { kind: string; actor: Actor; at: Date; data?: Record<string, unknown> }

/** Rows for events that follow (prevSeq, prevHash), each chained to the one before. Pure. */
export function chainEvents(tenantId: string, referralId: string, prevSeq: number, prevHash: string, events: NewEvent[]) {
  let seq = prevSeq
  let prev = prevHash
  return events.map((e) => {
    seq++
    const data = JSON.parse(JSON.stringify(e.data ?? {})) as Record<string, unknown>
    const hash = eventHash(prev, { referralId, seq, at: e.at, actorPersonId: e.actor.personId, actorOrganisationId: e.actor.organisationId, kind: e.kind, data })
    const row = { tenant_id: tenantId, referral_id: referralId, seq, at: e.at, actor_person_id: e.actor.personId, actor_organisation_id: e.actor.organisationId, kind: e.kind, data: JSON.stringify(data), prev_hash: prev, hash }
    prev = hash
    return row
  })
}

/** Appends one event. The caller holds the referral's row lock (selectForUpdate), which orders appends. */
export async function appendEvent(trx: TenantTx, tenantId: string, referralId: string, kind: string, actor: Actor, at: Date, data: Record<string, unknown> = {}) {
  const last = await events.lastLink(trx, tenantId, referralId)
  const [row] = chainEvents(tenantId, referralId, last?.seq ?? 0, last?.hash ?? GENESIS_HASH, [{ kind, actor, at, data }])
  await events.insertEvents(trx, tenantId, [row])
  return { seq: row.seq, hash: row.hash }
}

export interface ChainReport { referralId: string; events: number; ok: boolean; brokenAtSeq: number | null }

/** Recomputes a referral's chain from its stored events. */
export async function verifyChain(trx: TenantTx, tenantId: string, referralId: string): Promise<ChainReport> {
  const stored = await events.chainEvents(trx, tenantId, referralId)
  let prev = GENESIS_HASH
  for (const [i, e] of stored.entries()) {
    const expected = eventHash(prev, { referralId, seq: e.seq, at: e.at, actorPersonId: e.actor_person_id, actorOrganisationId: e.actor_organisation_id, kind: e.kind, data: e.data })
    if (e.seq !== i + 1 || e.prev_hash !== prev || e.hash !== expected) return { referralId, events: stored.length, ok: false, brokenAtSeq: e.seq }
    prev = e.hash
  }
  return { referralId, events: stored.length, ok: true, brokenAtSeq: null }
}
