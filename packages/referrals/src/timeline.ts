import { createHash } from 'node:crypto'
import type { Tx } from '@relais/db'

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
export function eventHash(prevHash: string, e: EventContent): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonical({
    referralId: e.referralId, seq: e.seq, at: e.at.toISOString(), actorPersonId: e.actorPersonId,
    actorOrganisationId: e.actorOrganisationId, kind: e.kind, data: e.data,
  })).digest('hex')
}

/** Appends one event. The caller holds the referral's row lock (selectForUpdate), which orders appends. */
export async function appendEvent(trx: Tx, tenantId: string, referralId: string, kind: string, actor: Actor, at: Date, data: Record<string, unknown> = {}) {
  const last = await trx.selectFrom('referral_event').select(['seq', 'hash']).where('referral_id', '=', referralId)
    .orderBy('seq', 'desc').limit(1).executeTakeFirst()
  const seq = (last?.seq ?? 0) + 1
  const prevHash = last?.hash ?? GENESIS_HASH
  const clean = JSON.parse(JSON.stringify(data)) as Record<string, unknown>
  const hash = eventHash(prevHash, { referralId, seq, at, actorPersonId: actor.personId, actorOrganisationId: actor.organisationId, kind, data: clean })
  await trx.insertInto('referral_event').values({
    tenant_id: tenantId, referral_id: referralId, seq, at, actor_person_id: actor.personId,
    actor_organisation_id: actor.organisationId, kind, data: JSON.stringify(clean), prev_hash: prevHash, hash,
  }).execute()
  return { seq, hash }
}

export interface ChainReport { referralId: string; events: number; ok: boolean; brokenAtSeq: number | null }

/** Recomputes a referral's chain from its stored events. */
export async function verifyChain(trx: Tx, referralId: string): Promise<ChainReport> {
  const events = await trx.selectFrom('referral_event').selectAll().where('referral_id', '=', referralId).orderBy('seq').execute()
  let prev = GENESIS_HASH
  for (const [i, e] of events.entries()) {
    const expected = eventHash(prev, { referralId, seq: e.seq, at: e.at, actorPersonId: e.actor_person_id, actorOrganisationId: e.actor_organisation_id, kind: e.kind, data: e.data })
    if (e.seq !== i + 1 || e.prev_hash !== prev || e.hash !== expected) return { referralId, events: events.length, ok: false, brokenAtSeq: e.seq }
    prev = e.hash
  }
  return { referralId, events: events.length, ok: true, brokenAtSeq: null }
}
