import { createHmac, randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { DEMO_PASSWORD, TooManyRequests, Unauthenticated, isUuid } from '@relais/core'
import { crossTenant, withTenant, type DB, type Role } from '@relais/db'
import { dummyPasswordHash, randomToken, sha256, verifyPassword } from '@relais/db/credentials'
import {
  insertRefreshSession, lockRefreshSession, type LoginCandidate, loginCandidates, principalState, revokeFamily, revokePersonFamily,
  revokeRefreshSession, sessionPerson, type SessionPerson,
} from '@relais/db/repositories/sessions'
import { frenchDelay, LoginThrottle } from './throttle.ts'

export const ACCESS_TOKEN_SECONDS = 15 * 60
const REFRESH_DAYS = 14
/**
 * Two tabs refreshing with the same cookie at once: the one that loses the race, within this window, is answered
 * with the pair the winner got. Presenting a rotated cookie later still means it leaked.
 */
export const REFRESH_GRACE_MS = 10_000
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

/**
 * What an access token says; sid: its session family (logout ends every token of it); iat_ms: when it was
 * issued, to the millisecond (iat has whole seconds only).
 */
export interface AccessClaims { sub: string; tid: string; org: string; role: Role; sid: string; iat_ms: number }
/** sessionId: the session family the access token belongs to (what a CSRF token and a live stream are bound to). */
export interface Principal {
  personId: string; tenantId: string; organisationId: string; role: Role; sessionId?: string
  /** Issue 13: true while her organisation is onboarding (she reaches only the onboarding pages). */
  onboarding?: boolean
}

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
  /** Derives a rotated refresh secret from the one it replaces, so that the grace window can repeat the answer. */
  rotationKey: string
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

  /** A rotated session's secret: the same for every presentation of the old cookie, unguessable without the key. */
  const rotatedSecret = (sessionId: string, secret: string) => createHmac('sha256', deps.rotationKey).update(`${sessionId}.${secret}`).digest('base64url')

  async function issue(person: SessionPerson, familyId: string, sessionId: string, secret: string, expires: Date): Promise<Session> {
    const accessToken = await deps.signAccessToken({
      sub: person.id, tid: person.tenant_id, org: person.organisation_id, role: person.role, sid: familyId, iat_ms: Date.now(),
    })
    return { accessToken, expiresIn: ACCESS_TOKEN_SECONDS, tokenType: 'Bearer', refresh: { value: `${person.tenant_id}.${sessionId}.${secret}`, expires } }
  }

  async function open(person: SessionPerson): Promise<Session> {
    const secret = randomToken()
    const familyId = randomUUID()
    const expires = new Date(now().getTime() + REFRESH_DAYS * 86400_000)
    const id = await withTenant(deps.db, { tenantId: person.tenant_id }, (trx) => insertRefreshSession(trx, person.tenant_id, {
      personId: person.id, familyId, tokenHash: sha256(secret), expiresAt: expires,
    }))
    return issue(person, familyId, id, secret, expires)
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
   * Rotates the refresh session and issues a new access token, in one transaction (the new session exists before
   * the old one reads as rotated). The same cookie again within REFRESH_GRACE_MS gets the same new pair; later,
   * it leaked: the whole family ends. InvalidSession otherwise.
   */
  async function refresh(cookie: string | undefined): Promise<Session> {
    const parsed = parseRefresh(cookie)
    if (!parsed) throw new InvalidSession(false)
    const { tenantId, sessionId, secret } = parsed
    const found = await withTenant(deps.db, { tenantId }, async (trx) => {
      const session = await lockRefreshSession(trx, tenantId, sessionId)
      if (!session || session.token_hash !== sha256(secret)) return null
      const at = now()
      const next = rotatedSecret(session.id, secret)
      if (session.revoked_at) {
        const replacement = session.replaced_by && at.getTime() - session.revoked_at.getTime() <= REFRESH_GRACE_MS
          ? await lockRefreshSession(trx, tenantId, session.replaced_by) : undefined
        if (replacement && !replacement.revoked_at && replacement.token_hash === sha256(next) && replacement.expires_at > at) {
          const person = await sessionPerson(trx, tenantId, session.person_id)
          if (person?.active) return { person, familyId: session.family_id, id: replacement.id, secret: next, expires: replacement.expires_at }
        }
        // A rotated token presented again, after the grace window, means it leaked: end the whole family.
        await revokeFamily(trx, tenantId, session.family_id, at)
        return null
      }
      if (session.expires_at.getTime() < at.getTime()) return null
      const person = await sessionPerson(trx, tenantId, session.person_id)
      if (!person?.active) return null
      await revokeRefreshSession(trx, tenantId, session.id, at)
      const expires = new Date(at.getTime() + REFRESH_DAYS * 86400_000)
      const id = await insertRefreshSession(trx, tenantId, {
        personId: person.id, familyId: session.family_id, tokenHash: sha256(next), expiresAt: expires,
      }, session.id)
      return { person, familyId: session.family_id, id, secret: next, expires }
    })
    if (!found) throw new InvalidSession(true)
    return issue(found.person, found.familyId, found.id, found.secret, found.expires)
  }

  /**
   * Ends the session everywhere it is checked: the refresh cookie's session, and the family of the access token
   * the request carried (already verified by the app), so that this token and every other of the session stop.
   */
  async function logout(cookie: string | undefined, token?: { tid: string; sub: string; sid: string }): Promise<void> {
    const parsed = parseRefresh(cookie)
    if (parsed) {
      await withTenant(deps.db, { tenantId: parsed.tenantId }, async (trx) => {
        const session = await lockRefreshSession(trx, parsed.tenantId, parsed.sessionId)
        if (!session || session.token_hash !== sha256(parsed.secret)) return
        await revokeFamily(trx, parsed.tenantId, session.family_id, now())
      })
    }
    if (token && isUuid(token.tid) && isUuid(token.sub) && isUuid(token.sid)) {
      await withTenant(deps.db, { tenantId: token.tid }, (trx) => revokePersonFamily(trx, token.tid, token.sub, token.sid, now()))
    }
  }

  /**
   * The person behind verified access-token claims, as she is now: deactivation and revocation take effect at
   * once, not when the token expires. Unauthenticated otherwise.
   */
  async function principal(claims: { sub: unknown; tid: unknown; sid: unknown; iat: unknown; iat_ms?: unknown }): Promise<Principal> {
    // Only uuids reach Postgres: anything else would surface as a 400 from a cast instead of a 401.
    const ids = [claims.tid, claims.sub, claims.sid]
    if (!ids.every((id): id is string => typeof id === 'string' && isUuid(id))) throw unauthenticated()
    const [tid, sub, sid] = ids
    // A token "issued" in the future would outlive a revocation (sessions_revoked_at is compared with iat).
    if (typeof claims.iat !== 'number' || claims.iat > Date.now() / 1000 + 60) throw unauthenticated()
    const person = await principalState(cross, tid, sub, sid)
    // Logged out (or the family ended as leaked): the token dies with its session, not 15 minutes later.
    if (!person || !person.active || !person.session_live) throw unauthenticated()
    // Whole seconds alone would also kill a token issued just after the revocation, in the same second
    // (log in again right after a password change): compare milliseconds when the token carries them.
    const issuedMs = typeof claims.iat_ms === 'number' && Math.abs(claims.iat_ms - claims.iat * 1000) < 2000 ? claims.iat_ms : claims.iat * 1000
    if (person.sessions_revoked_at && issuedMs < person.sessions_revoked_at.getTime()) throw unauthenticated()
    return { personId: sub, tenantId: tid, organisationId: person.organisation_id, role: person.role, sessionId: sid, onboarding: person.organisation_status === 'onboarding' }
  }

  return { login, refresh, logout, principal }
}

export type SessionService = ReturnType<typeof sessionService>
