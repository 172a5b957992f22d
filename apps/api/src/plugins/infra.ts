import fp from 'fastify-plugin'
import fastifyPostgres from '@fastify/postgres'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Redis } from 'ioredis'
import type { Config } from '@relais/config'
import { createKysely, withTenant, type DB, type Tx } from '@relais/db'
import { InvalidInput, forbidden } from '@relais/core'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    /** Injected in tests to move time without sleeping. */
    clock(): Date
    db: DB
    redis: Redis
    /** One transaction scoped to the caller's tenant (RLS), for everything a request reads or writes. */
    tx<T>(request: FastifyRequest, fn: (trx: Tx) => Promise<T>): Promise<T>
  }
}

export const infraPlugin = fp(async (app: FastifyInstance, opts: { config: Config; clock?: () => Date }) => {
  app.decorate('config', opts.config)
  app.decorate('clock', opts.clock ?? (() => new Date()))
  // One pool, owned by @fastify/postgres; Kysely borrows it and is never destroyed.
  await app.register(fastifyPostgres, { connectionString: opts.config.APP_DATABASE_URL, max: opts.config.DB_POOL_MAX, connectionTimeoutMillis: 3000 })
  app.pg.pool.on('error', (err) => app.log.warn({ err: err.message }, 'idle database client error'))
  app.decorate('db', createKysely(app.pg.pool))
  // Fail fast: a request must never hang on a Redis outage.
  const redis = new Redis(opts.config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: 2000 })
  redis.on('error', (err) => app.log.warn({ err: err.message }, 'redis error'))
  redis.connect().catch(() => undefined)
  app.decorate('redis', redis)
  app.decorate('tx', function <T>(request: FastifyRequest, fn: (trx: Tx) => Promise<T>): Promise<T> {
    const p = request.principal
    if (!p) throw forbidden()
    return withTenant(app.db, { tenantId: p.tenantId, personId: p.personId, organisationId: p.organisationId }, fn)
  })
  app.addHook('onClose', async () => { redis.disconnect() })
  // A lone UTF-16 surrogate (valid in JSON, not in UTF-8) would be stored as U+FFFD: refuse it rather than
  // store something other than what was accepted. A NUL byte (valid in JSON and in a form) PostgreSQL refuses:
  // refuse it here, naming the field, before any transaction starts.
  app.addHook('preValidation', async (request) => {
    if (!wellFormed(request.body) || !wellFormed(request.query) || !wellFormed(request.params)) {
      throw new InvalidInput('invalid_text', 'Le texte contient des caractères invalides (encodage) : corrigez-le puis recommencez.')
    }
    const path = nulPath(request.body)
    if (path !== null) {
      const field = path || 'corps'
      throw new InvalidInput('invalid_text', `Le champ « ${field} » contient un caractère nul, refusé : retirez-le puis recommencez.`, [
        { path: field, message: 'Caractère nul (U+0000) refusé.' },
      ])
    }
  })
})

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
function wellFormed(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return !LONE_SURROGATE.test(value)
  if (value === null || typeof value !== 'object' || depth > 64) return true
  for (const [k, v] of Object.entries(value)) if (LONE_SURROGATE.test(k) || !wellFormed(v, depth + 1)) return false
  return true
}

/** The path (a.b.0) of the first key or text holding a NUL byte, '' for the body itself, null when there is none. */
function nulPath(value: unknown, path = '', depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null
  if (value === null || typeof value !== 'object' || depth > 64) return null
  for (const [k, v] of Object.entries(value)) {
    const here = path ? `${path}.${k}` : k
    if (k.includes('\u0000')) return here.replace(/\u0000/g, '\\0')
    const found = nulPath(v, here, depth + 1)
    if (found !== null) return found
  }
  return null
}
