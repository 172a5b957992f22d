import { createHash } from 'node:crypto'
import { crossTenant, withTenant, type DB, type TenantTx } from '@relais/db'
import * as heads from '@relais/db/repositories/chain-heads'
import { enqueueMail } from './outbox.ts'
import { networkAdmins } from './recipients.ts'
import { timelineMac } from './timeline.ts'

// Every day each tenant's chain heads (referral id, last seq, last hash of every referral) are digested, signed with
// the timeline key, stored in an append-only table and mailed to the mission TIC: an owner who rewrites a chain and
// recomputes it without key (passing it off as older than the key) still cannot match the heads published before.

/** The day a publication belongs to, in the tenants' time zone. */
export function publicationDay(now: Date, timeZone = 'Europe/Paris'): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

/** SHA-256 over one line per referral: `id seq hash`, in referral id order. */
export function headsDigest(list: heads.ChainHead[]): string {
  const h = createHash('sha256')
  for (const [id, seq, hash] of list) h.update(`${id} ${seq} ${hash}\n`)
  return h.digest('hex')
}

/** What the signature covers: the tenant, the day, how many referrals and their digest. */
const signedText = (tenantId: string, day: string, count: number, digest: string) => `relais-chain-heads\n${tenantId}\n${day}\n${count}\n${digest}`

/** Publishes the tenant's heads of `now`'s day, once: false if that day's digest already exists. */
export async function publishTenantHeads(trx: TenantTx, tenantId: string, now: Date): Promise<boolean> {
  const day = publicationDay(now)
  const list = await heads.currentHeads(trx, tenantId)
  const digest = headsDigest(list)
  const signed = timelineMac(signedText(tenantId, day, list.length, digest))!
  if (!await heads.insertDigest(trx, tenantId, { day, publishedAt: now, heads: list, digest, keyId: signed.keyId, signature: signed.mac })) return false
  // Written in the same transaction: the mail exists if and only if the digest does.
  await enqueueMail(trx, {
    tenantId, referralId: null, kind: 'chain_heads', recipients: await networkAdmins(trx, tenantId), now,
    payload: { day, publishedAt: now.toISOString(), referrals: list.length, digest, keyId: signed.keyId, signature: signed.mac },
  })
  return true
}

/** The worker's daily publication over every tenant that has not published today; returns how many did now. */
export async function publishChainHeads(db: DB, now: Date): Promise<number> {
  let published = 0
  for (const tenantId of await heads.tenantsWithoutDigest(crossTenant(db), publicationDay(now))) {
    if (await withTenant(db, { tenantId }, (trx) => publishTenantHeads(trx, tenantId, now))) published++
  }
  return published
}

export interface HeadsReport {
  /** false: no digest published yet. */
  published: boolean
  day: string | null
  ok: boolean
  /** Why not (French, for the operator). */
  reason: string | null
  /** Referrals whose timeline no longer holds the published head. */
  changed: string[]
}

/** Recomputes the tenant's latest published digest from its current timelines (and checks the signature). */
export async function verifyPublishedHeads(trx: TenantTx, tenantId: string): Promise<HeadsReport> {
  const d = await heads.latestDigest(trx, tenantId)
  if (!d) return { published: false, day: null, ok: true, reason: null, changed: [] }
  const fail = (reason: string, changed: string[] = []): HeadsReport => ({ published: true, day: d.day, ok: false, reason, changed })
  const expected = timelineMac(signedText(tenantId, d.day, d.referrals, d.digest), d.key_id)
  if (!expected) return fail(`clé « ${d.key_id} » inconnue de cette configuration`)
  if (expected.mac !== d.signature) return fail('signature invalide (empreinte publiée modifiée)')
  const published = d.heads
  if (published.length !== d.referrals || headsDigest(published) !== d.digest) return fail('liste des têtes publiée modifiée')
  const now = await heads.hashesAt(trx, tenantId, published.map(([referralId, seq]) => ({ referralId, seq })))
  const changed = published.filter(([id, seq, hash]) => now.get(`${id}:${seq}`) !== hash).map(([id]) => id)
  const recomputed = headsDigest(published.map(([id, seq]) => [id, seq, now.get(`${id}:${seq}`) ?? '']))
  if (recomputed !== d.digest) return fail(`${changed.length} saisine(s) ne correspondent plus aux têtes publiées`, changed)
  return { published: true, day: d.day, ok: true, reason: null, changed: [] }
}
