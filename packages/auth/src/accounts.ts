// Issue 13: one's own password — chosen from an invitation link, chosen again from a forgotten-password link, or
// changed from « Mon compte » with the current one. A link is `tenant.id.secret`: the secret is an HMAC of the id
// (see accountLinkToken), only its SHA-256 is stored, and it is used once, before it expires.
import { randomUUID, timingSafeEqual } from 'node:crypto'
import type { Redis } from 'ioredis'
import { InvalidInput, TooManyRequests, authorizeRole, isUuid, passwordPolicyViolation } from '@relais/core'
import { crossTenant, withTenant, type DB, type TenantTx } from '@relais/db'
import { accountLinkSecret, hashPassword, sha256, verifyPassword } from '@relais/db/credentials'
import * as links from '@relais/db/repositories/account-links'
import { loginCandidates } from '@relais/db/repositories/sessions'
import { tenantTimeZone } from '@relais/db/repositories/parties'
import { enqueueMail } from '@relais/referrals/outbox'
import { frenchDelay, LoginThrottle } from './throttle.ts'
import type { Principal } from './sessions.ts'

export const RESET_MINUTES = 60

/** Too many forgotten-password requests for this address or from this network address. */
export class ResetThrottled extends TooManyRequests {
  constructor(public readonly retryAfterSeconds: number) {
    super('too_many_requests', `Trop de demandes de nouveau mot de passe : réessayez dans ${frenchDelay(retryAfterSeconds)}.`)
  }
}

const LINK_MESSAGES = {
  link_invalid: 'Ce lien n’est pas valable : il a peut-être été remplacé par un lien plus récent. Utilisez le dernier courriel reçu, ou demandez un nouveau lien.',
  link_used: 'Ce lien a déjà servi : il ne sert qu’une fois. Connectez-vous, ou utilisez « Mot de passe oublié ? ».',
  link_expired: 'Ce lien a expiré. Demandez un nouveau lien (à l’administrateur qui vous a invitée, ou par « Mot de passe oublié ? »).',
} as const
export const linkRefused = (code: keyof typeof LINK_MESSAGES) => new InvalidInput(code, LINK_MESSAGES[code], [{ path: 'token', message: LINK_MESSAGES[code] }])

function weakPassword(password: string, path = 'password'): void {
  const reason = passwordPolicyViolation(password)
  if (reason) throw new InvalidInput('weak_password', reason, [{ path, message: reason }])
}

function parseToken(token: string): { tenantId: string; linkId: string; secret: string } | null {
  const parts = token.trim().split('.')
  if (parts.length !== 3 || !isUuid(parts[0]) || !isUuid(parts[1]) || !/^[A-Za-z0-9_-]{20,100}$/.test(parts[2])) return null
  return { tenantId: parts[0].toLowerCase(), linkId: parts[1].toLowerCase(), secret: parts[2] }
}

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

export interface LinkView { kind: links.AccountLinkKind; name: string; email: string; organisation: string; expiresAt: Date; timeZone: string }

/** What a link is for (the page that opens it says to whom), or the reason it is refused. Nothing is changed. */
export async function inspectLink(db: DB, token: string, kind: links.AccountLinkKind, now: Date): Promise<LinkView> {
  const parsed = parseToken(token)
  if (!parsed) throw linkRefused('link_invalid')
  return withTenant(db, { tenantId: parsed.tenantId }, async (trx) => {
    const { link, person } = await checkedLink(trx, parsed, kind, now)
    return { kind, name: person.name, email: person.email, organisation: person.organisation_name, expiresAt: link.expires_at, timeZone: await tenantTimeZone(trx, parsed.tenantId) }
  })
}

async function checkedLink(trx: TenantTx, parsed: { tenantId: string; linkId: string; secret: string }, kind: links.AccountLinkKind, now: Date) {
  const link = await links.lockLink(trx, parsed.tenantId, parsed.linkId)
  // Another tenant's link, a forged one, or one of the other kind: not valid here (RLS hides other tenants' rows).
  if (!link || link.kind !== kind || !sameHash(link.token_hash, sha256(parsed.secret))) throw linkRefused('link_invalid')
  if (link.used_at) throw linkRefused('link_used')
  if (link.cancelled_at) throw linkRefused('link_invalid')
  if (link.expires_at.getTime() <= now.getTime()) throw linkRefused('link_expired')
  const person = await links.linkPerson(trx, parsed.tenantId, link.person_id)
  if (!person?.active) throw linkRefused('link_invalid')
  return { link, person }
}

/**
 * Uses a link: sets the chosen password, marks the link used and ends every session the person had. Returns her email,
 * so the caller can log her in with the password she just chose.
 */
export async function useAccountLink(db: DB, input: { token: string; password: string }, kind: links.AccountLinkKind, now: Date): Promise<{ email: string }> {
  const parsed = parseToken(input.token)
  if (!parsed) throw linkRefused('link_invalid')
  weakPassword(input.password)
  // Hashing is slow on purpose: done before the transaction, so it holds no connection.
  const passwordHash = await hashPassword(input.password)
  return withTenant(db, { tenantId: parsed.tenantId }, async (trx) => {
    const { link, person } = await checkedLink(trx, parsed, kind, now)
    await links.setPassword(trx, parsed.tenantId, person.id, passwordHash)
    await links.markLinkUsed(trx, parsed.tenantId, link.id, now)
    // Whatever other link of the person is open (an older reset, an invitation) dies with this one.
    await links.cancelOpenLinks(trx, parsed.tenantId, person.id, 'invitation', now)
    await links.cancelOpenLinks(trx, parsed.tenantId, person.id, 'password_reset', now)
    return { email: person.email }
  })
}

export interface ResetDeps { db: DB; redis: Redis; redisPrefix: string; linkKey: string; now?: () => Date }

/**
 * « Mot de passe oublié ? »: a link valid one hour is mailed to every active account with this address (one per
 * tenant). The caller answers the same whether or not one exists. Throttled per address and network address.
 */
export async function requestPasswordReset(deps: ResetDeps, input: { email: string; ip: string }, log: { warn(obj: object, msg: string): void }): Promise<void> {
  const email = input.email.trim().toLowerCase()
  const throttle = new LoginThrottle(deps.redis, deps.redisPrefix, 'reset')
  const wait = await throttle.reserve(email, input.ip).catch((err) => { log.warn({ err: err.message }, 'reset throttle unavailable'); return 0 })
  if (wait > 0) throw new ResetThrottled(wait)
  const now = (deps.now ?? (() => new Date()))()
  for (const candidate of await loginCandidates(crossTenant(deps.db), email)) {
    await withTenant(deps.db, { tenantId: candidate.tenant_id }, async (trx) => {
      await links.cancelOpenLinks(trx, candidate.tenant_id, candidate.person_id, 'password_reset', now)
      const linkId = randomUUID()
      const expiresAt = new Date(now.getTime() + RESET_MINUTES * 60_000)
      await links.insertLink(trx, candidate.tenant_id, {
        id: linkId, personId: candidate.person_id, kind: 'password_reset', tokenHash: sha256(accountLinkSecret(deps.linkKey, linkId)), expiresAt, createdBy: null, at: now,
      })
      await enqueueMail(trx, {
        tenantId: candidate.tenant_id, referralId: null, kind: 'password_reset', recipients: [{ personId: candidate.person_id, email }], now,
        payload: { linkId, expiresAt: expiresAt.toISOString() },
      })
    })
  }
}

/** « Mon compte »: the current password, then the new one; every session ends (the caller logs her in again). */
export async function changePassword(trx: TenantTx, p: Principal, input: { currentPassword: string; newPassword: string }): Promise<void> {
  authorizeRole(p, 'account.password')
  const current = await links.passwordHashOf(trx, p.tenantId, p.personId)
  if (!current || !(await verifyPassword(current, input.currentPassword))) {
    const message = 'Le mot de passe actuel est incorrect.'
    throw new InvalidInput('wrong_password', message, [{ path: 'currentPassword', message }])
  }
  weakPassword(input.newPassword, 'newPassword')
  if (input.newPassword === input.currentPassword) {
    const message = 'Le nouveau mot de passe doit être différent de l’actuel.'
    throw new InvalidInput('same_password', message, [{ path: 'newPassword', message }])
  }
  await links.setPassword(trx, p.tenantId, p.personId, await hashPassword(input.newPassword))
}
