import { createHash, createHmac } from 'node:crypto'
import { loadConfig, timelineKeyring, type TimelineKeyring } from '@relais/config'
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

let keyring: TimelineKeyring | null = null
/** The keys that seal timelines: each process entry point (API, worker, scripts) passes its configuration's. */
export function useTimelineKeys(k: TimelineKeyring): void { keyring = k }
const keys = (): TimelineKeyring => keyring ?? (keyring = timelineKeyring(loadConfig()))

/**
 * Each event's hash covers its content, the key's name and the previous hash: changing or removing any event breaks
 * the chain. It is an HMAC-SHA-256 under a key the database never holds, so whoever can write the tables (the owner
 * role, a restored dump) cannot recompute a chain after changing an event. keyId null: a plain SHA-256 of an event
 * written before the chain was keyed (migration 0013), accepted only when the verifier is told to.
 */
function eventHash(prevHash: string, e: EventContent, keyId: string | null, sealed: Sealing = null): string | null {
  let data = e.data
  if (sealed === 'c1') {
    if (keyId === null) return null
    const sealedData = committedData(keyId, e.referralId, e.seq, e.data)
    if (!sealedData) return null
    data = sealedData
  }
  const content = canonical({
    referralId: e.referralId, seq: e.seq, at: e.at.toISOString(), actorPersonId: e.actorPersonId,
    actorOrganisationId: e.actorOrganisationId, kind: e.kind, data, ...(keyId === null ? {} : { keyId }),
  })
  if (keyId === null) return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex')
  const key = keys().keys.get(keyId)
  if (!key) return null
  return createHmac('sha256', key).update(prevHash).update('\n').update(content).digest('hex')
}

/**
 * Sealing 'c1' (migration 0091, issue 18): the fields of an event that may carry a citizen's personal data — free texts
 * and addresses — enter the hash as keyed commitments, HMAC(key, referral, seq, field, value), not as themselves. The
 * retention job can then replace a value by {"erased": <its commitment>} and the chain still verifies; the key never
 * being in the database, a commitment cannot be checked against guesses (an address, a name) by whoever reads it.
 * null: an event written before, hashed with its plain data (its texts stay).
 */
export type Sealing = 'c1' | null
export const PERSONAL_EVENT_FIELDS = ['body', 'to', 'reason', 'note'] as const
export type PersonalEventField = (typeof PERSONAL_EVENT_FIELDS)[number]

/** The value erased, in the stored event: its commitment only. */
export const isErased = (v: unknown): v is { erased: string } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { erased?: unknown }).erased === 'string'

export function commitment(keyId: string, referralId: string, seq: number, field: string, value: unknown): string | null {
  const key = keys().keys.get(keyId)
  if (!key) return null
  return createHmac('sha256', key).update(`relais-commitment\n${referralId}\n${seq}\n${field}\n${canonical(value)}`).digest('hex')
}

/** The data as a sealed event's hash covers it: each personal field present and not null by its commitment. */
function committedData(keyId: string, referralId: string, seq: number, data: Record<string, unknown>): Record<string, unknown> | null {
  const out: Record<string, unknown> = { ...data }
  for (const f of PERSONAL_EVENT_FIELDS) {
    const v = out[f]
    if (v === undefined || v === null) continue
    if (isErased(v)) { out[f] = { erased: v.erased }; continue }
    const c = commitment(keyId, referralId, seq, f, v)
    if (!c) return null
    out[f] = { erased: c }
  }
  return out
}

export interface NewEvent { kind: string; actor: Actor; at: Date; data?: Record<string, unknown> }

/** Rows for events that follow (prevSeq, prevHash), each chained to the one before. Pure. */
export function chainEvents(tenantId: string, referralId: string, prevSeq: number, prevHash: string, events: NewEvent[]) {
  let seq = prevSeq
  let prev = prevHash
  const keyId = keys().currentId
  return events.map((e) => {
    seq++
    const data = JSON.parse(JSON.stringify(e.data ?? {})) as Record<string, unknown>
    const hash = eventHash(prev, { referralId, seq, at: e.at, actorPersonId: e.actor.personId, actorOrganisationId: e.actor.organisationId, kind: e.kind, data }, keyId, 'c1')!
    const row = { tenant_id: tenantId, referral_id: referralId, seq, at: e.at, actor_person_id: e.actor.personId, actor_organisation_id: e.actor.organisationId, kind: e.kind, data: JSON.stringify(data), prev_hash: prev, hash, key_id: keyId, sealed: 'c1' as const }
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

export interface ChainReport {
  referralId: string; events: number; ok: boolean
  /** The first event that does not verify, its kind, and why (French, for the operator). */
  brokenAtSeq: number | null; brokenKind: string | null; reason: string | null
  /** Events sealed with a plain SHA-256 before the chain was keyed. */
  legacy: number
}

/**
 * Recomputes a referral's chain from its stored events. `acceptLegacy`: events without a key (written before migration
 * 0013) are checked as plain SHA-256; otherwise, and always after a keyed event, such an event is a break (a rewrite
 * could have dropped the key to recompute the chain).
 */
export async function verifyChain(trx: TenantTx, tenantId: string, referralId: string, opts: { acceptLegacy?: boolean } = {}): Promise<ChainReport> {
  const stored = await events.chainEvents(trx, tenantId, referralId)
  let prev = GENESIS_HASH
  let legacy = 0
  let keyed = false
  const broken = (e: { seq: number; kind: string }, reason: string): ChainReport => ({ referralId, events: stored.length, ok: false, brokenAtSeq: e.seq, brokenKind: e.kind, reason, legacy })
  for (const [i, e] of stored.entries()) {
    if (e.seq !== i + 1) return broken(e, `numéro ${e.seq} au lieu de ${i + 1} (événement supprimé ou inséré)`)
    if (e.prev_hash !== prev) return broken(e, 'ne suit pas l’événement précédent')
    if (e.key_id === null) {
      if (keyed || !opts.acceptLegacy) return broken(e, 'empreinte sans clé (SHA-256 simple)')
      legacy++
    } else {
      keyed = true
      if (!keys().keys.has(e.key_id)) return broken(e, `clé « ${e.key_id} » inconnue de cette configuration`)
    }
    const expected = eventHash(prev, { referralId, seq: e.seq, at: e.at, actorPersonId: e.actor_person_id, actorOrganisationId: e.actor_organisation_id, kind: e.kind, data: e.data }, e.key_id, e.sealed)
    if (e.hash !== expected) return broken(e, 'contenu modifié (l’empreinte ne correspond pas)')
    prev = e.hash
  }
  return { referralId, events: stored.length, ok: true, brokenAtSeq: null, brokenKind: null, reason: null, legacy }
}

/** An HMAC-SHA-256 under a timeline key (the current one unless named): what signs the published chain heads. */
export function timelineMac(text: string, keyId: string = keys().currentId): { keyId: string; mac: string } | null {
  const key = keys().keys.get(keyId)
  return key ? { keyId, mac: createHmac('sha256', key).update(text).digest('hex') } : null
}
