// A new referral shows up on the partner's open inbox without a reload: Redis pub/sub, so that the API process
// that filed it and the one holding the browser's stream need not be the same. Routes and pages both publish.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'

export interface LiveReferral { tenantId: string; organisationId: string; id: string; reference: string }
export interface LiveListener { wants(channel: string): boolean; send(message: string): void }

export interface Live {
  /** Best effort, after the commit: Redis down or slow must never fail (nor hold) what was already saved. */
  publish(r: LiveReferral): Promise<void>
  /** The channel of one organisation's inbox; a tenant's channels share the prefix of channel(tenantId, ''). */
  channel(tenantId: string, organisationId: string): string
  /** Resolves once the process's subscription is up (at most 2 s): a stream that says "open" then misses nothing. */
  ready(): Promise<void>
  /** Adds a listener; returns its removal. */
  listen(listener: LiveListener): () => void
  /** How often an open stream checks that its session still holds. */
  recheckMs: number
}

/** Open streams per person and process: a tab each, within reason (browsers allow 6 connections per site). */
export const MAX_STREAMS_PER_PERSON = 5
const SUBSCRIBE_RETRY_MS = 2000

declare module 'fastify' {
  interface FastifyInstance {
    live: Live
  }
}

export const livePlugin = fp(async (app: FastifyInstance, opts: { recheckMs?: number }) => {
  const channel = (tenantId: string, organisationId: string) => `${app.config.REDIS_PREFIX}:live:${tenantId}:${organisationId}`
  const listeners = new Set<LiveListener>()
  let subscriber: Redis | null = null
  let ready: Promise<void> | null = null

  let retry: NodeJS.Timeout | null = null
  let closing = false

  // One subscriber connection per process, made on the first stream, for every tenant and organisation. A failed
  // subscription is forgotten and tried again (the next stream, or a timer while streams wait), never kept.
  function subscribe(): Promise<void> {
    if (ready) return ready
    // Until subscribed, a failed connection ends (and is tried again from here); once subscribed, ioredis
    // reconnects by itself and subscribes again.
    let subscribed = false
    const sub = new Redis(app.config.REDIS_URL, {
      lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: 2000,
      retryStrategy: (times) => (subscribed ? Math.min(times * 200, 2000) : null),
    })
    sub.on('error', (err) => app.log.warn({ err: err.message }, 'live subscriber error'))
    sub.on('pmessage', (_pattern: string, ch: string, message: string) => {
      for (const l of listeners) if (l.wants(ch)) l.send(message)
    })
    subscriber = sub
    ready = sub.connect().then(() => sub.psubscribe(`${app.config.REDIS_PREFIX}:live:*`)).then(() => { subscribed = true })
      .catch((err) => {
        app.log.warn({ err: err.message, retry: listeners.size > 0 }, 'live subscribe failed')
        sub.disconnect()
        if (subscriber === sub) { subscriber = null; ready = null }
        if (!closing && !retry && listeners.size > 0) {
          retry = setTimeout(() => { retry = null; if (listeners.size > 0) void subscribe() }, SUBSCRIBE_RETRY_MS)
          retry.unref()
        }
      })
    return ready
  }
  app.addHook('onClose', async () => {
    closing = true
    if (retry) clearTimeout(retry)
    subscriber?.disconnect()
  })

  app.decorate('live', {
    channel,
    async publish(r: LiveReferral) {
      const message = JSON.stringify({ id: r.id, reference: r.reference })
      try {
        await Promise.race([
          app.redis.publish(channel(r.tenantId, r.organisationId), message),
          new Promise((_, reject) => setTimeout(() => reject(new Error('publish timeout')), 500).unref()),
        ])
      } catch (err) {
        app.log.warn({ err: (err as Error).message }, 'live publish failed')
      }
    },
    async ready() {
      await Promise.race([subscribe(), new Promise((resolve) => setTimeout(resolve, 2000).unref())])
    },
    listen(listener: LiveListener) {
      listeners.add(listener)
      if (!ready) void subscribe()
      return () => { listeners.delete(listener) }
    },
    recheckMs: opts.recheckMs ?? 15_000,
  } satisfies Live)
}, { name: 'live', dependencies: [] })
