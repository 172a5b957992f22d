import fp from 'fastify-plugin'
import fastifyJwt from '@fastify/jwt'
import fastifyCookie from '@fastify/cookie'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { forbidden } from '@relais/core'
import type { Role } from '@relais/db'
import { ACCESS_TOKEN_SECONDS, InvalidSession, LoginThrottled, sessionService, unauthenticated, type Principal } from '@relais/auth'

export type { Principal }

declare module 'fastify' {
  interface FastifyRequest { principal?: Principal }
  interface FastifyInstance {
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>
    requireRole(...roles: Role[]): (request: FastifyRequest) => Promise<void>
    /** Login, refresh and logout (packages/auth) with their cookie and headers: the API's routes and the pages call these. */
    sessions: HttpSessions
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    /** iat_ms: when it was issued, to the millisecond (iat has whole seconds only). */
    payload: { sub: string; tid: string; org: string; role: Role; iat_ms?: number }
    user: { sub: string; tid: string; org: string; role: Role; iat: number; iat_ms?: number }
  }
}

export const JWT_ISSUER = 'relais'
export const JWT_AUDIENCE = 'relais-api'
export const REFRESH_COOKIE = 'relais_refresh'

export interface Tokens { accessToken: string; expiresIn: number; tokenType: 'Bearer' }

export interface HttpSessions {
  /** Checks the credentials (throttled per address and per email) and opens a session: the refresh cookie is set. */
  login(request: FastifyRequest, reply: FastifyReply, input: { email: string; password: string }, log?: FastifyBaseLogger): Promise<Tokens>
  /** Rotates the refresh cookie and issues a new access token. */
  refresh(request: FastifyRequest, reply: FastifyReply): Promise<Tokens>
  /** Revokes the refresh session of the cookie (if any) and clears the cookie. */
  logout(request: FastifyRequest, reply: FastifyReply): Promise<void>
}

export const authPlugin = fp(async (app: FastifyInstance) => {
  await app.register(fastifyCookie)
  await app.register(fastifyJwt, {
    secret: app.config.JWT_SECRET,
    sign: { algorithm: 'HS256', iss: JWT_ISSUER, aud: JWT_AUDIENCE, expiresIn: ACCESS_TOKEN_SECONDS },
    verify: { algorithms: ['HS256'], allowedIss: JWT_ISSUER, allowedAud: JWT_AUDIENCE, requiredClaims: ['exp', 'iat', 'sub', 'tid', 'iss', 'aud'] },
  })

  const service = sessionService({
    db: app.db, redis: app.redis, redisPrefix: app.config.REDIS_PREFIX, production: app.config.NODE_ENV === 'production',
    signAccessToken: (claims) => app.jwt.sign(claims),
  })
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure: app.config.NODE_ENV === 'production', path: '/' }
  const tokens = (reply: FastifyReply, session: Awaited<ReturnType<typeof service.login>>): Tokens => {
    reply.setCookie(REFRESH_COOKIE, session.refresh.value, { ...cookieOptions, expires: session.refresh.expires })
    return { accessToken: session.accessToken, expiresIn: session.expiresIn, tokenType: session.tokenType }
  }
  app.decorate('sessions', {
    async login(request, reply, input, log = request.log) {
      try {
        return tokens(reply, await service.login({ ...input, ip: request.ip }, log))
      } catch (err) {
        if (err instanceof LoginThrottled) reply.header('retry-after', String(err.retryAfterSeconds))
        throw err
      }
    },
    async refresh(request, reply) {
      try {
        return tokens(reply, await service.refresh(request.cookies[REFRESH_COOKIE]))
      } catch (err) {
        if (err instanceof InvalidSession && err.endsCookie) reply.clearCookie(REFRESH_COOKIE, cookieOptions)
        throw err
      }
    },
    async logout(request, reply) {
      await service.logout(request.cookies[REFRESH_COOKIE])
      reply.clearCookie(REFRESH_COOKIE, cookieOptions)
    },
  } satisfies HttpSessions)

  app.decorate('authenticate', async (request: FastifyRequest) => {
    let claims: { sub: string; tid: string; iat: number; iat_ms?: number }
    try {
      claims = await request.jwtVerify<{ sub: string; tid: string; iat: number; iat_ms?: number }>()
    } catch {
      throw unauthenticated()
    }
    request.principal = await service.principal(claims)
  })

  app.decorate('requireRole', (...roles: Role[]) => async (request: FastifyRequest) => {
    if (!request.principal || !roles.includes(request.principal.role)) throw forbidden()
  })
})
