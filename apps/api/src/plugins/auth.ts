import fp from 'fastify-plugin'
import fastifyJwt from '@fastify/jwt'
import fastifyCookie from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Unauthenticated, forbidden } from '@relais/core'
import { sql, type Role } from '@relais/db'

export interface Principal { personId: string; tenantId: string; organisationId: string; role: Role }

declare module 'fastify' {
  interface FastifyRequest { principal?: Principal }
  interface FastifyInstance {
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>
    requireRole(...roles: Role[]): (request: FastifyRequest) => Promise<void>
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    /** iat_ms: when it was issued, to the millisecond (iat has whole seconds only). */
    payload: { sub: string; tid: string; org: string; role: Role; iat_ms?: number }
    user: { sub: string; tid: string; org: string; role: Role; iat: number; iat_ms?: number }
  }
}

export const ACCESS_TOKEN_SECONDS = 15 * 60
export const JWT_ISSUER = 'relais'
export const JWT_AUDIENCE = 'relais-api'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const unauthenticated = () => new Unauthenticated('unauthenticated', 'Authentification requise : connectez-vous.')

export const authPlugin = fp(async (app: FastifyInstance) => {
  await app.register(fastifyCookie)
  await app.register(fastifyJwt, {
    secret: app.config.JWT_SECRET,
    sign: { algorithm: 'HS256', iss: JWT_ISSUER, aud: JWT_AUDIENCE, expiresIn: ACCESS_TOKEN_SECONDS },
    verify: { algorithms: ['HS256'], allowedIss: JWT_ISSUER, allowedAud: JWT_AUDIENCE, requiredClaims: ['exp', 'iat', 'sub', 'tid', 'iss', 'aud'] },
  })

  app.decorate('authenticate', async (request: FastifyRequest) => {
    let claims: { sub: string; tid: string; iat: number; iat_ms?: number }
    try {
      claims = await request.jwtVerify<{ sub: string; tid: string; iat: number; iat_ms?: number }>()
    } catch {
      throw unauthenticated()
    }
    // Only uuids reach Postgres: anything else would surface as a 400 from a cast instead of a 401.
    if (typeof claims.tid !== 'string' || typeof claims.sub !== 'string' || !UUID.test(claims.tid) || !UUID.test(claims.sub)) throw unauthenticated()
    // A token "issued" in the future would outlive a revocation (sessions_revoked_at is compared with iat).
    if (typeof claims.iat !== 'number' || claims.iat > Date.now() / 1000 + 60) throw unauthenticated()
    // Deactivation and revocation take effect at once, not when the access token expires.
    const person = (await sql<{ organisation_id: string; role: Role; active: boolean; sessions_revoked_at: Date | null }>`
      select * from auth_principal(${claims.tid}, ${claims.sub})`.execute(app.db)).rows[0]
    if (!person || !person.active) throw unauthenticated()
    // Whole seconds alone would also kill a token issued just after the revocation, in the same second
    // (log in again right after a password change): compare milliseconds when the token carries them.
    const issuedMs = typeof claims.iat_ms === 'number' && Math.abs(claims.iat_ms - claims.iat * 1000) < 2000 ? claims.iat_ms : claims.iat * 1000
    if (person.sessions_revoked_at && issuedMs < person.sessions_revoked_at.getTime()) throw unauthenticated()
    request.principal = { personId: claims.sub, tenantId: claims.tid, organisationId: person.organisation_id, role: person.role }
  })

  app.decorate('requireRole', (...roles: Role[]) => async (request: FastifyRequest) => {
    if (!request.principal || !roles.includes(request.principal.role)) throw forbidden()
  })
})
