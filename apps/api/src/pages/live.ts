// A new referral shows up on the partner's open inbox without a reload: server-sent events fed by Redis pub/sub,
// so that the API process that filed it and the one holding the browser's stream need not be the same.
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'

const channelOf = (prefix: string, tenantId: string, organisationId: string) => `${prefix}:live:${tenantId}:${organisationId}`

export interface LiveReferral { tenantId: string; organisationId: string; id: string; reference: string }

/** Best effort, after the commit: Redis down or slow must never fail (nor hold) what was already saved. */
export async function publishReferral(app: FastifyInstance, r: LiveReferral): Promise<void> {
  const message = JSON.stringify({ id: r.id, reference: r.reference })
  try {
    await Promise.race([
      app.redis.publish(channelOf(app.config.REDIS_PREFIX, r.tenantId, r.organisationId), message),
      new Promise((_, reject) => setTimeout(() => reject(new Error('publish timeout')), 500).unref()),
    ])
  } catch (err) {
    app.log.warn({ err: (err as Error).message }, 'live publish failed')
  }
}

export async function livePages(app: FastifyInstance) {
  const kit = app.pages
  // Open streams: each wants the messages of the channels it matches.
  const listeners = new Set<{ wants(channel: string): boolean; send(message: string): void }>()
  let subscriber: Redis | null = null
  const open = new Set<() => void>()

  let ready: Promise<void> | null = null

  // One subscriber connection per process, made on the first stream, for every tenant and organisation.
  function subscribe(): Promise<void> {
    if (ready) return ready
    const sub = new Redis(app.config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: 2000 })
    sub.on('error', (err) => app.log.warn({ err: err.message }, 'live subscriber error'))
    sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
      for (const l of listeners) if (l.wants(channel)) l.send(message)
    })
    subscriber = sub
    ready = sub.connect().then(() => sub.psubscribe(`${app.config.REDIS_PREFIX}:live:*`)).then(() => undefined)
      .catch((err) => { app.log.warn({ err: err.message }, 'live subscribe failed') })
    return ready
  }

  app.addHook('preClose', async () => { for (const end of open) end() })
  app.addHook('onClose', async () => { subscriber?.disconnect() })

  app.get('/saisines/flux', { preHandler: kit.guard }, async (request, reply) => {
    const p = request.principal!
    if (p.role === 'secretary') return reply.code(204).send()
    // Wait (briefly) for the subscription, so that a stream that says "open" does not miss the next message.
    await Promise.race([subscribe(), new Promise((resolve) => setTimeout(resolve, 2000).unref())])
    // The mission TIC watches its whole network; a partner its own organisation.
    const own = channelOf(app.config.REDIS_PREFIX, p.tenantId, p.organisationId)
    const tenantPrefix = `${app.config.REDIS_PREFIX}:live:${p.tenantId}:`
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' })
    res.write('retry: 5000\n\n')
    const listener = {
      wants: (channel: string) => (p.role === 'network_admin' ? channel.startsWith(tenantPrefix) : channel === own),
      send: (message: string) => { res.write(`event: saisine\ndata: ${message}\n\n`) },
    }
    listeners.add(listener)
    const heartbeat = setInterval(() => res.write(': ok\n\n'), 25_000)
    const end = () => {
      clearInterval(heartbeat)
      listeners.delete(listener)
      open.delete(end)
      res.end()
    }
    open.add(end)
    request.raw.on('close', end)
  })
}
