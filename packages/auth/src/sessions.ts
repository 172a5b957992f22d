import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { DEMO_PASSWORD, TooManyRequests, Unauthenticated, isUuid } from '@relais/core'
import { crossTenant, withTenant, type DB, type Role } from '@relais/db'
import { dummyPasswordHash, randomToken, sha256, verifyPassword } from '@relais/db/credentials'
import {
  insertRefreshSession, lockRefreshSession, type LoginCandidate, loginCandidates, principalState, revokeFamily, revokeRefreshSession, sessionPerson,
} from '@relais/db/repositories/sessions'
import { frenchDelay, LoginThrottle } from './throttle.ts'

export const ACCESS_TOKEN_SECONDS = 15 * 60
const REFRESH_DAYS = 14
/** The refresh cookie is ours: its ids are written lower-case, anything else is not one of them. */
const COOKIE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export const invalidCredentials = () => new Unauthenticated('invalid_credentials', 'Adresse électronique ou mot de passe incorrect.')
/** The refresh cookie opens nothing; `endsCookie`: it named a session, which the app's cookie must forget. */
export class InvalidSession extends Unauthenticated {
  constructor(public readonly endsCookie: boolean) {
    super('invalid_session', 'Votre session a expiré : reconnectez-vous.')
  }
}
export const unauthenticated = () => new Unauthenticated('unauthenticated', 'Authentification requise : connectez-vous.')

/** Too many failed logins: the app tells the client when to try again (Retry-After). */
export class LoginThrottled extends TooManyRequests {
  constructor(public readonly retryAfterSeconds: number) {
    super('too_many_attempts', `Trop de tentatives de connexion : réessayez dans ${frenchDelay(retryAfterSeconds)}.`)
  }
}

/** What an access token says; iat_ms: when it was issued, to the millisecond (iat has whole seconds only). */
export interface AccessClaims { sub: string; tid: string; org: string; role: Role; iat_ms: number }
export interface Principal { personId: string; tenantId: string; organisationId: string; role: Role }

/** A session opened or renewed: the access token, and the refresh cookie's value and end (the app sets it). */
export interface Session {
  accessToken: string
  expiresIn: number
  tokenType: 'Bearer'
  refresh: { value: string; expires: Date }
}

export interface SessionDeps {
  db: DB
  redis: Redis
  redisPrefix: string
  /** In production the demo password never opens a session. */
  production: boolean
  signAccessToken(claims: AccessClaims): Promise<string> | string
  now?: () => Date
}

interface Log { warn(obj: object, msg: string): void }

/** The refresh cookie's value: tenant, session id, secret. Anything else is no session. */
function parseRefresh(value: string | undefined): { tenantId: string; sessionId: string; secret: string } | null {
  const parts = (value ?? '').split('.')
  if (parts.length !== 3 || !COOKIE_UUID.test(parts[0]) || !COOKIE_UUID.test(parts[1])) return null
  return { tenantId: parts[0], sessionId: parts[1], secret: parts[2] }
}

export function sessionService(deps: SessionDeps) {
  const throttle = new LoginThrottle(deps.redis, deps.redisPrefix)
  const now = deps.now ?? (() => new Date())
  const cross = crossTenant(deps.db)

  async function open(person: { id: string; tenant_id: string; organisation_id: string; role: Role }, familyId?: string, replaces?: string): Promise<Session> {
    const secret = randomToken()
    const expires = new Date(now().getTime() + REFRESH_DAYS * 86400_000)
    const id = await withTenant(deps.db, { tenantId: person.tenant_id }, (trx) => insertRefreshSession(trx, person.tenant_id, {
      personId: person.id, familyId: familyId ?? randomUUID(), tokenHash: sha256(secret), expiresAt: expires,
    }, replaces))
    const accessToken = await deps.signAccessToken({ sub: person.id, tid: person.tenant_id, org: person.organisation_id, role: person.role, iat_ms: Date.now() })
    return { accessToken, expiresIn: ACCESS_TOKEN_SECONDS, tokenType: 'Bearer', refresh: { value: `${person.tenant_id}.${id}.${secret}`, expires } }
  }

  /** Checks the credentials (throttled per account-and-address and per address, slowed per account) and opens a session; Unauthenticated or LoginThrottled otherwise. */
  async function login(input: { email: string; password: string; ip: string }, log: Log): Promise<Session> {
    const email = input.email.trim().toLowerCase()
    const wait = await throttle.reserve(email, input.ip).catch((err) => { log.warn({ err: err.message }, 'login throttle unavailable'); return 0 })
    if (wait > 0) throw new LoginThrottled(wait)
    let matched: LoginCandidate | undefined
    try {
      const rows = await loginCandidates(cross, email)
      if (rows.length === 0) await verifyPassword(await dummyPasswordHash(), input.password)
      for (const row of rows) if (await verifyPassword(row.password_hash, input.password)) { matched = row; break }
    } catch (err) {
      await throttle.release(email, input.ip).catch(() => undefined) // an outage is nobody's failure
      throw err
    }
    const demoRefused = matched && deps.production && input.password === DEMO_PASSWORD
    // A failure keeps its reservation: it counts.
    if (!matched || demoRefused) throw invalidCredentials()
    await throttle.succeeded(email, input.ip).catch(() => undefined)
    const person = await withTenant(deps.db, { tenantId: matched.tenant_id }, (trx) => sessionPerson(trx, matched.tenant_id, matched.person_id))
    if (!person) throw invalidCredentials()
    return open(person)
  }

  /**
   * Rotates the refresh session and issues a new access token; a replayed rotated token ends the whole family.
   * InvalidSession otherwise.
   */
  async function refresh(cookie: string | undefined): Promise<Session> {
    const parsed = parseRefresh(cookie)
    if (!parsed) throw new InvalidSession(false)
    const { tenantId, sessionId, secret } = parsed
    const found = await withTenant(deps.db, { tenantId }, async (trx) => {
      const session = await lockRefreshSession(trx, tenantId, sessionId)
      if (!session || session.token_hash !== sha256(secret)) return null
      if (session.revoked_at) {
        // A rotated token presented again means it leaked: end the whole family.
        await revokeFamily(trx, tenantId, session.family_id, now())
        return null
      }
      if (session.expires_at.getTime() < now().getTime()) return null
      const person = await sessionPerson(trx, tenantId, session.person_id)
      if (!person?.active) return null
      await revokeRefreshSession(trx, tenantId, session.id, now())
      return { person, familyId: session.family_id, sessionId: session.id }
    })
    if (!found) throw new InvalidSession(true)
    return open(found.person, found.familyId, found.sessionId)
  }

  /** Revokes the refresh session of the cookie, if it is one. */
  async function logout(cookie: string | undefined): Promise<void> {
    const parsed = parseRefresh(cookie)
    if (!parsed) return
    await withTenant(deps.db, { tenantId: parsed.tenantId }, (trx) => revokeRefreshSession(trx, parsed.tenantId, parsed.sessionId, now(), sha256(parsed.secret)))
  }

  /**
   * The person behind verified access-token claims, as she is now: deactivation and revocation take effect at
   * once, not when the token expires. Unauthenticated otherwise.
   */
  async function principal(claims: { sub: unknown; tid: unknown; iat: unknown; iat_ms?: unknown }): Promise<Principal> {
    // Only uuids reach Postgres: anything else would surface as a 400 from a cast instead of a 401.
    if (typeof claims.tid !== 'string' || typeof claims.sub !== 'string' || !isUuid(claims.tid) || !isUuid(claims.sub)) throw unauthenticated()
    // A token "issued" in the future would outlive a revocation (sessions_revoked_at is compared with iat).
    if (typeof claims.iat !== 'number' || claims.iat > Date.now() / 1000 + 60) throw unauthenticated()
    const person = await principalState(cross, claims.tid, claims.sub)
    if (!person || !person.active) throw unauthenticated()
    // Whole seconds alone would also kill a token issued just after the revocation, in the same second
    // (log in again right after a password change): compare milliseconds when the token carries them.
    const issuedMs = typeof claims.iat_ms === 'number' && Math.abs(claims.iat_ms - claims.iat * 1000) < 2000 ? claims.iat_ms : claims.iat * 1000
    if (person.sessions_revoked_at && issuedMs < person.sessions_revoked_at.getTime()) throw unauthenticated()
    return { personId: claims.sub, tenantId: claims.tid, organisationId: person.organisation_id, role: person.role }
  }

  return { login, refresh, logout, principal }
}

export type SessionService = ReturnType<typeof sessionService>
