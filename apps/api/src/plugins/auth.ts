import { createHmac } from 'node:crypto'
import fp from 'fastify-plugin'
import fastifyJwt from '@fastify/jwt'
import fastifyCookie from '@fastify/cookie'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { authorizeOnboarding, authorizeRole, isAction, type Action } from '@relais/core'
import { apiDocsPublic } from '@relais/config'
import type { Role } from '@relais/db'
import { ACCESS_TOKEN_SECONDS, InvalidSession, LoginThrottled, sessionService, unauthenticated, type Principal } from '@relais/auth'
import { isOutage } from './errors.ts'

export type { Principal }

declare module 'fastify' {
  interface FastifyRequest { principal?: Principal }
  interface FastifyInstance {
    /** Login, refresh and logout (packages/auth) with their cookie and headers: the API's routes and the pages call these. */
    sessions: HttpSessions
    /**
     * Whether the session a request was authenticated with still holds (token unexpired, person active, session not
     * ended): what a long-lived answer (the live inbox stream) asks now and then. An outage is not an answer: true.
     */
    sessionHolds(request: FastifyRequest): Promise<boolean>
    /** The access a route declared (for the tests that read the route table), undefined for third-party routes. */
    accessOf(method: string, url: string): RouteAccess | undefined
  }
  interface FastifyContextConfig {
    /** The action of the access table (packages/core/src/access.ts) the route serves, or 'public'. Required. */
    access?: Action | 'public'
    /**
     * The route addresses one row: its role check waits until the use case has looked the row up, so that a row
     * missing or out of reach answers 404 whatever the role; the use case then calls authorize/authorizeRole.
     */
    afterLookup?: boolean
  }
}

export interface RouteAccess { access: Action | 'public'; afterLookup: boolean }

declare module '@fastify/jwt' {
  interface FastifyJWT {
    /** iat_ms: when it was issued, to the millisecond (iat has whole seconds only). */
    payload: { sub: string; tid: string; org: string; role: Role; sid: string; iat_ms?: number }
    user: { sub: string; tid: string; org: string; role: Role; sid: string; iat: number; iat_ms?: number }
  }
}

export const JWT_ISSUER = 'relais'
export const JWT_AUDIENCE = 'relais-api'
export const REFRESH_COOKIE = 'relais_refresh'
/** The cookie that carries the short-lived access JWT for the pages (the API takes it as a Bearer header). */
export const ACCESS_COOKIE = 'relais_session'
/** Routes that plugins add (the API's documentation, static files): they cannot declare their access themselves. */
// The queues' board (bull-board) declares its own routes; the operations plugin guards them with METRICS_TOKEN.
const THIRD_PARTY_PREFIXES = ['/api/docs', '/static/', '/operations/files']
const API_DOCS = '/api/docs'

export interface Tokens { accessToken: string; expiresIn: number; tokenType: 'Bearer' }

export interface HttpSessions {
  /** Checks the credentials (throttled per address and per email) and opens a session: the refresh cookie is set. */
  login(request: FastifyRequest, reply: FastifyReply, input: { email: string; password: string }, log?: FastifyBaseLogger): Promise<Tokens>
  /** Rotates the refresh cookie and issues a new access token. */
  refresh(request: FastifyRequest, reply: FastifyReply): Promise<Tokens>
  /** Ends the session of the refresh cookie and of the access token (bearer or page cookie), if any; clears the cookie. */
  logout(request: FastifyRequest, reply: FastifyReply): Promise<void>
}

/** The pages' access cookie: lax, so that a link from a mail opens the page logged in. */
export const accessCookieOptions = (production: boolean) => ({ path: '/', sameSite: 'lax' as const, httpOnly: true, secure: production })

export const authPlugin = fp(async (app: FastifyInstance) => {
  await app.register(fastifyCookie)
  await app.register(fastifyJwt, {
    secret: app.config.JWT_SECRET,
    sign: { algorithm: 'HS256', iss: JWT_ISSUER, aud: JWT_AUDIENCE, expiresIn: ACCESS_TOKEN_SECONDS },
    verify: { algorithms: ['HS256'], allowedIss: JWT_ISSUER, allowedAud: JWT_AUDIENCE, requiredClaims: ['exp', 'iat', 'sub', 'tid', 'sid', 'iss', 'aud'] },
  })

  const service = sessionService({
    db: app.db, redis: app.redis, redisPrefix: app.config.REDIS_PREFIX, production: app.config.NODE_ENV === 'production',
    signAccessToken: (claims) => app.jwt.sign(claims),
    rotationKey: createHmac('sha256', app.config.JWT_SECRET).update('relais refresh rotation').digest('base64url'),
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
      await service.logout(request.cookies[REFRESH_COOKIE], await presentedToken(request))
      reply.clearCookie(REFRESH_COOKIE, cookieOptions)
    },
  } satisfies HttpSessions)

  /** The access token a request carries (bearer, or the pages' cookie), if its signature holds; expired ones too. */
  async function presentedToken(request: FastifyRequest): Promise<{ tid: string; sub: string; sid: string } | undefined> {
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
    for (const token of [bearer, request.cookies[ACCESS_COOKIE]]) {
      if (!token) continue
      try {
        const claims = app.jwt.verify<{ tid: string; sub: string; sid: string }>(token, { ignoreExpiration: true })
        if (typeof claims.sid === 'string') return claims
      } catch { /* not ours: nothing to end */ }
    }
    return undefined
  }

  /** The bearer token's person, as she is now (active, not revoked), on request.principal; 401 otherwise. */
  async function authenticate(request: FastifyRequest): Promise<void> {
    let claims: { sub: string; tid: string; sid: string; iat: number; iat_ms?: number }
    try {
      claims = await request.jwtVerify<{ sub: string; tid: string; sid: string; iat: number; iat_ms?: number }>()
    } catch {
      throw unauthenticated()
    }
    request.principal = await service.principal(claims)
  }

  app.decorate('sessionHolds', async (request: FastifyRequest) => {
    try { await authenticate(request); return true } catch (err) { return isOutage(err) }
  })

  const pageCookie = accessCookieOptions(app.config.NODE_ENV === 'production')
  async function authenticateWith(request: FastifyRequest, token: string) {
    // The exact checks of the API (signature, issuer, person active, sessions not revoked) set request.principal.
    request.headers.authorization = `Bearer ${token}`
    await authenticate(request)
  }
  /**
   * A page's person: the access cookie, or a transparent refresh (new cookies); otherwise to /connexion?retour=…
   * Returns false when it answered with that redirect.
   */
  async function authenticatePage(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const token = request.cookies[ACCESS_COOKIE]
    if (token) {
      try { await authenticateWith(request, token); return true } catch (err) { if (isOutage(err)) throw err /* expired or revoked: try the refresh cookie */ }
    }
    if (request.cookies[REFRESH_COOKIE]) {
      try {
        const fresh = await app.sessions.refresh(request, reply)
        reply.setCookie(ACCESS_COOKIE, fresh.accessToken, pageCookie)
        await authenticateWith(request, fresh.accessToken)
        return true
      } catch (err) { if (isOutage(err)) throw err /* otherwise: to the login page */ }
    }
    reply.clearCookie(ACCESS_COOKIE, pageCookie)
    const back = request.method === 'GET' ? `?retour=${encodeURIComponent(request.url)}` : ''
    reply.redirect(`/connexion${back}`, 303)
    return false
  }

  // One way in for every route: it declares its action (or 'public'), and this hook authenticates (bearer for the
  // API, before the body is read: 401; cookie for the pages: redirect to the login page) then refuses a role the
  // access table never allows (403). Reach on a row is the use case's, with the row. A route that declares nothing
  // stops the start.
  const declared = new Map<string, RouteAccess>()
  app.decorate('accessOf', (method: string, url: string) => declared.get(`${method.toUpperCase()} ${url}`))
  app.addHook('onRoute', (route: RouteOptions) => {
    const access = route.config?.access
    if (access === undefined) {
      // The documentation maps every route: logged-in people only (bearer, or the pages' cookie), unless published.
      if (route.url.startsWith(API_DOCS) && !apiDocsPublic(app.config)) {
        route.onRequest = [async (request: FastifyRequest, reply: FastifyReply) => {
          if (request.headers.authorization) return authenticate(request)
          if (!(await authenticatePage(request, reply))) return reply
        }, ...[route.onRequest ?? []].flat()]
        return
      }
      if (THIRD_PARTY_PREFIXES.some((prefix) => route.url.startsWith(prefix))) return
      throw new Error(`${String(route.method)} ${route.url}: no access declared (config.access: an action of packages/core/src/access.ts, or 'public')`)
    }
    if (access !== 'public' && !isAction(access)) throw new Error(`${String(route.method)} ${route.url}: unknown action « ${String(access)} »`)
    const afterLookup = route.config?.afterLookup === true
    for (const method of [route.method].flat()) declared.set(`${method} ${route.url}`, { access, afterLookup })
    if (access === 'public') return
    // People of an organisation still onboarding reach the onboarding pages only (issue 13), whatever their role.
    const gate = (request: FastifyRequest) => {
      authorizeOnboarding(request.principal!, access)
      if (!afterLookup) authorizeRole(request.principal!, access)
    }
    if (route.url.startsWith('/api/')) {
      route.onRequest = [async (request: FastifyRequest) => { await authenticate(request); gate(request) }, ...[route.onRequest ?? []].flat()]
    } else {
      route.preHandler = [async (request: FastifyRequest, reply: FastifyReply) => {
        if (!(await authenticatePage(request, reply))) return reply
        gate(request)
      }, ...[route.preHandler ?? []].flat()]
    }
  })
})
