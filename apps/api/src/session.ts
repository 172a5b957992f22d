// Login, refresh and logout, shared by the JSON API (routes/auth.ts) and the extranet pages (pages/): one place
// for the throttling, the French errors and the rotating refresh cookie.
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DEMO_PASSWORD, TooManyRequests, Unauthenticated } from '@relais/core'
import { sql, withTenant, type Role } from '@relais/db'
import { dummyPasswordHash, randomToken, sha256, verifyPassword } from '@relais/db/credentials'
import { ACCESS_TOKEN_SECONDS } from './plugins/auth.ts'
import { LoginThrottle } from './login-throttle.ts'

export const REFRESH_COOKIE = 'relais_refresh'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const REFRESH_DAYS = 14
export const invalidCredentials = () => new Unauthenticated('invalid_credentials', 'Adresse électronique ou mot de passe incorrect.')
export const invalidSession = () => new Unauthenticated('invalid_session', 'Votre session a expiré : reconnectez-vous.')

export interface SessionPerson { id: string; tenant_id: string; organisation_id: string; role: Role }
export interface Tokens { accessToken: string; expiresIn: number; tokenType: 'Bearer' }

export function sessionService(app: FastifyInstance) {
  const throttle = new LoginThrottle(app.redis, app.config.REDIS_PREFIX)
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure: app.config.NODE_ENV === 'production', path: '/' }

  async function issueSession(reply: FastifyReply, person: SessionPerson, familyId?: string, replaces?: string): Promise<Tokens> {
    const secret = randomToken()
    const expires = new Date(Date.now() + REFRESH_DAYS * 86400_000)
    const session = await withTenant(app.db, { tenantId: person.tenant_id }, async (trx) => {
      const row = await trx.insertInto('refresh_session').values({
        tenant_id: person.tenant_id, person_id: person.id, family_id: familyId ?? randomUUID(),
        token_hash: sha256(secret), expires_at: expires,
      }).returning('id').executeTakeFirstOrThrow()
      if (replaces) await trx.updateTable('refresh_session').set({ replaced_by: row.id }).where('id', '=', replaces).execute()
      return row
    })
    reply.setCookie(REFRESH_COOKIE, `${person.tenant_id}.${session.id}.${secret}`, { ...cookieOptions, expires })
    const accessToken = await reply.jwtSign({ sub: person.id, tid: person.tenant_id, org: person.organisation_id, role: person.role, iat_ms: Date.now() })
    return { accessToken, expiresIn: ACCESS_TOKEN_SECONDS, tokenType: 'Bearer' as const }
  }

  /** Checks the credentials (throttled per address and per email) and opens a session; Unauthenticated or TooManyRequests otherwise. */
  async function login(request: FastifyRequest, reply: FastifyReply, input: { email: string; password: string }, log: FastifyBaseLogger = request.log): Promise<Tokens> {
    const email = input.email.trim().toLowerCase()
    const wait = await throttle.retryAfter(email, request.ip).catch((err) => { log.warn({ err: err.message }, 'login throttle unavailable'); return 0 })
    if (wait > 0) {
      reply.header('retry-after', String(wait))
      throw new TooManyRequests('too_many_attempts', `Trop de tentatives de connexion : réessayez dans ${Math.ceil(wait / 60)} minute(s).`)
    }
    const { rows } = await sql<{ tenant_id: string; person_id: string; password_hash: string }>`select * from auth_candidates(${email})`.execute(app.db)
    let matched: (typeof rows)[number] | undefined
    if (rows.length === 0) await verifyPassword(await dummyPasswordHash(), input.password)
    for (const row of rows) if (await verifyPassword(row.password_hash, input.password)) { matched = row; break }
    const demoRefused = matched && app.config.NODE_ENV === 'production' && input.password === DEMO_PASSWORD
    if (!matched || demoRefused) {
      await throttle.recordFailure(email, request.ip).catch(() => undefined)
      throw invalidCredentials()
    }
    await throttle.recordSuccess(email).catch(() => undefined)
    const person = await withTenant(app.db, { tenantId: matched.tenant_id }, (trx) =>
      trx.selectFrom('person').select(['id', 'tenant_id', 'organisation_id', 'role']).where('id', '=', matched.person_id).executeTakeFirstOrThrow())
    return issueSession(reply, person)
  }

  /** Rotates the refresh cookie and issues a new access token; a replayed rotated token ends the whole family. */
  async function refresh(request: FastifyRequest, reply: FastifyReply): Promise<Tokens> {
    const parts = (request.cookies[REFRESH_COOKIE] ?? '').split('.')
    if (parts.length !== 3 || !UUID.test(parts[0]) || !UUID.test(parts[1])) throw invalidSession()
    const [tenantId, sessionId, secret] = parts
    const person = await withTenant(app.db, { tenantId }, async (trx) => {
      const session = await trx.selectFrom('refresh_session').selectAll().where('id', '=', sessionId).forUpdate().executeTakeFirst()
      if (!session || session.token_hash !== sha256(secret)) return null
      if (session.revoked_at) {
        // A rotated token presented again means it leaked: end the whole family.
        await trx.updateTable('refresh_session').set({ revoked_at: new Date() }).where('family_id', '=', session.family_id).where('revoked_at', 'is', null).execute()
        return 'reused' as const
      }
      if (session.expires_at.getTime() < Date.now()) return null
      const person = await trx.selectFrom('person').select(['id', 'tenant_id', 'organisation_id', 'role', 'active']).where('id', '=', session.person_id).executeTakeFirst()
      if (!person?.active) return null
      await trx.updateTable('refresh_session').set({ revoked_at: new Date() }).where('id', '=', session.id).execute()
      return { person, familyId: session.family_id, sessionId: session.id }
    })
    if (!person || person === 'reused') {
      reply.clearCookie(REFRESH_COOKIE, cookieOptions)
      throw invalidSession()
    }
    return issueSession(reply, person.person, person.familyId, person.sessionId)
  }

  /** Revokes the refresh session of the cookie (if any) and clears the cookie. */
  async function logout(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const parts = (request.cookies[REFRESH_COOKIE] ?? '').split('.')
    if (parts.length === 3 && UUID.test(parts[0]) && UUID.test(parts[1])) {
      await withTenant(app.db, { tenantId: parts[0] }, (trx) => trx.updateTable('refresh_session').set({ revoked_at: new Date() })
        .where('id', '=', parts[1]).where('token_hash', '=', sha256(parts[2])).where('revoked_at', 'is', null).execute())
    }
    reply.clearCookie(REFRESH_COOKIE, cookieOptions)
  }

  return { login, refresh, logout, issueSession }
}
