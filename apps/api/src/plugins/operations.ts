// For operators, not for the network's people: /metrics in Prometheus format and the queues' board
// (/operations/files), both behind METRICS_TOKEN. Without a token neither route exists.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyFormbody from '@fastify/formbody'
import { Queue } from 'bullmq'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { FastifyAdapter } from '@bull-board/fastify'
import { QUEUE_NAMES, redisConnectionOptions } from '@relais/config'
import { readOperationsGauges, WORKER_COUNTERS, workerCountersKey } from '@relais/referrals'

export const BOARD_PATH = '/operations/files'
const COOKIE = 'relais_ops'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** Called on the root instance (not registered), so that the latency hook sees every route. */
export async function operationsPlugin(app: FastifyInstance) {
  const token = app.config.METRICS_TOKEN
  if (!token) return
  const expected = digest(token)
  // The cookie holds a digest of the token, never the token itself.
  const cookieValue = createHash('sha256').update(`relais operations ${token}`).digest('base64url')
  const production = app.config.NODE_ENV === 'production'

  const authorised = (request: FastifyRequest): boolean => {
    const header = request.headers.authorization
    if (header?.startsWith('Bearer ')) return timingSafeEqual(digest(header.slice(7)), expected)
    const cookie = request.cookies?.[COOKIE]
    return typeof cookie === 'string' && cookie.length === cookieValue.length && timingSafeEqual(Buffer.from(cookie), Buffer.from(cookieValue))
  }
  const refuse = (reply: FastifyReply) =>
    reply.code(401).header('www-authenticate', 'Bearer realm="operations"')
      .send({ error: { code: 'operations_token_required', message: 'Jeton d’exploitation manquant ou invalide.' } })

  const queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: { ...redisConnectionOptions(app.config.REDIS_URL), enableOfflineQueue: false }, prefix: app.config.REDIS_PREFIX }))
  for (const q of queues) q.on('error', (err) => app.log.warn({ err: err.message, queue: q.name }, 'operations: queue error'))
  app.addHook('onClose', async () => { await Promise.allSettled(queues.map((q) => q.close())) })

  // ------------------------------------------------------------------ metrics
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'relais_api_' })
  const latency = new Histogram({
    name: 'relais_http_request_duration_seconds', help: 'HTTP request duration by route', registers: [registry],
    labelNames: ['method', 'route', 'status_code'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  })
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern (/api/v1/referrals/:id), never the address itself: ids are not labels.
    latency.observe({ method: request.method, route: request.routeOptions.url ?? 'inconnue', status_code: String(reply.statusCode) }, reply.elapsedTime / 1000)
  })

  // Set by each scrape from one read of the database.
  const backlog = new Gauge({ name: 'relais_outbox_backlog', help: 'Mails waiting to be sent (every tenant)', registers: [registry] })
  const oldest = new Gauge({ name: 'relais_outbox_oldest_age_seconds', help: 'Age of the oldest mail due and not sent', registers: [registry] })
  const overdue = new Gauge({ name: 'relais_referrals_overdue', help: 'Open referrals past their deadline (SLA breaches in progress)', registers: [registry] })
  new Gauge({
    name: 'relais_queue_jobs', help: 'BullMQ jobs by queue and state', labelNames: ['queue', 'state'], registers: [registry],
    async collect() {
      this.reset()
      for (const q of queues) {
        const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized')
        for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n)
      }
    },
  })
  // Kept by every worker process in one Redis hash: the installation's totals since Redis started.
  new Counter({
    name: 'relais_worker_events_total', help: 'What the workers did: mails sent, failed, retried, cancelled; SLA steps run',
    labelNames: ['event'], registers: [registry],
    async collect() {
      const values = await app.redis.hgetall(workerCountersKey(app.config.REDIS_PREFIX))
      this.reset()
      for (const event of WORKER_COUNTERS) this.inc({ event }, Number(values[event] ?? 0))
    },
  })

  app.get('/metrics', { config: { access: 'public' }, logLevel: 'warn' }, async (request, reply) => {
    if (!authorised(request)) return refuse(reply)
    const g = await readOperationsGauges(app.db, app.clock())
    backlog.set(g.outboxBacklog)
    oldest.set(g.outboxOldestSeconds)
    overdue.set(g.referralsOverdue)
    const body = await registry.metrics()
    return reply.header('content-type', registry.contentType).header('cache-control', 'no-store').send(body)
  })

  // ------------------------------------------------------------------ the queues' board
  // Job payloads hold ids only (outbox id, referral id, tenant id, step): nothing of a tenant's data shows here.
  await app.register(async (ops) => {
  await ops.register(fastifyFormbody)
  ops.get('/operations', { config: { access: 'public' } }, async (request, reply) => {
    if (authorised(request)) return reply.redirect(`${BOARD_PATH}/`, 303)
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(OPERATIONS_LOGIN)
  })
  ops.post<{ Body: { jeton?: string } }>('/operations', { config: { access: 'public' } }, async (request, reply) => {
    const given = typeof request.body?.jeton === 'string' ? request.body.jeton : ''
    if (!given || !timingSafeEqual(digest(given), expected)) {
      return reply.code(401).type('text/html; charset=utf-8').send(OPERATIONS_LOGIN.replace('<!--erreur-->', '<p role="alert" class="erreur">Jeton invalide.</p>'))
    }
    reply.setCookie(COOKIE, cookieValue, { path: '/operations', httpOnly: true, sameSite: 'strict', secure: production, maxAge: 8 * 3600 })
    return reply.redirect(`${BOARD_PATH}/`, 303)
  })
  })

  await app.register(async (board) => {
    board.addHook('onRequest', async (request, reply) => { if (!authorised(request)) return refuse(reply) })
    // The board is a third-party React page: it sets its base URI and applies inline styles. Operators only, no
    // other site's script: that much is loosened here, nowhere else.
    board.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'")
    })
    const adapter = new FastifyAdapter()
    createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter: adapter, options: { uiConfig: { boardTitle: 'Relais — files' } } })
    adapter.setBasePath(BOARD_PATH)
    await board.register(adapter.registerPlugin(), { prefix: BOARD_PATH })
  })
}

const OPERATIONS_LOGIN = `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Exploitation — Relais</title><link rel="stylesheet" href="/static/relais.css"></head>
<body><main id="contenu" class="wrap"><h1>Exploitation de Relais</h1>
<p>Les files de travail (courriels, délais) sont réservées à l’exploitation : saisissez le jeton d’exploitation (METRICS_TOKEN).</p>
<!--erreur-->
<form method="post" action="/operations" class="form"><div class="field"><label for="jeton">Jeton d’exploitation</label>
<input type="password" id="jeton" name="jeton" autocomplete="off" required></div>
<p><button type="submit">Ouvrir les files</button></p></form></main></body></html>`
