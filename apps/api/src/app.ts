import Fastify, { type FastifyRequest, type FastifyServerOptions } from 'fastify'
import pino, { type DestinationStream } from 'pino'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import fastifyHelmet from '@fastify/helmet'
import { AjvCompiler } from '@fastify/ajv-compiler'
import { randomUUID } from 'node:crypto'
import { timelineKeyring, trustedProxies, type Config } from '@relais/config'
import { useTimelineKeys } from '@relais/referrals'
import { errorsPlugin } from './plugins/errors.ts'
import { infraPlugin } from './plugins/infra.ts'
import { authPlugin } from './plugins/auth.ts'
import { livePlugin } from './plugins/live.ts'
import { operationsPlugin } from './plugins/operations.ts'
import { healthRoutes } from './routes/health.ts'
import { authRoutes } from './routes/auth.ts'
import { meRoutes } from './routes/me.ts'
import { directoryRoutes } from './routes/directory.ts'
import { referralRoutes } from './routes/referrals.ts'
import { attachmentRoutes } from './routes/attachments.ts'
import { slaPolicyRoutes } from './routes/sla-policy.ts'
import { mailRoutes } from './routes/mails.ts'
import { ficheRoutes } from './routes/fiches.ts'
import { accountRoutes } from './routes/accounts.ts'
import { citizenRoutes } from './routes/citizen.ts'
import { conventionRoutes } from './routes/conventions.ts'
import { appointmentRoutes } from './routes/appointments.ts'
import { pagesPlugin } from './pages/index.ts'
import { statsRoutes } from './routes/stats.ts'

/** Never log secrets or citizens' data: headers that carry credentials are censored, bodies are not logged. */
export const LOG_REDACT = [
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
  '*.password', '*.accessToken', '*.citizen', '*.question',
]

const CENSOR = '[masqué]'

/** Query strings can carry names typed in a search box: their keys are logged, never their values. */
export function maskQuery(url: string): string {
  const i = url.indexOf('?')
  if (i < 0) return url
  return `${url.slice(0, i)}?${[...new URLSearchParams(url.slice(i + 1)).keys()].map((k) => `${k}=${CENSOR}`).join('&')}`
}

/** The API's pino options; a test may pass the stream the logs go to (stdout otherwise). */
export function loggerOptions(config: Config, stream?: DestinationStream): FastifyServerOptions['logger'] {
  return {
    level: config.LOG_LEVEL,
    redact: { paths: LOG_REDACT, censor: CENSOR },
    serializers: {
      req: (raw) => {
        const req = raw as unknown as FastifyRequest
        return { method: req.method, url: maskQuery(req.url), host: req.host, remoteAddress: req.ip }
      },
      // Postgres puts the offending values in detail and where (e.g. "Key (email)=(…) already exists").
      err: (err) => {
        const { detail: _detail, where: _where, parameters: _parameters, ...rest } = pino.stdSerializers.err(err) as ReturnType<typeof pino.stdSerializers.err> & Record<string, unknown>
        return rest
      },
    },
    ...(stream ? { stream } : {}),
  }
}

const AJV = { allErrors: true, removeAdditional: false } as const
const strictBodies = AjvCompiler()({}, { customOptions: { ...AJV, coerceTypes: false } })
const coercingParts = AjvCompiler()({}, { customOptions: { ...AJV, coerceTypes: 'array' } })

/** liveRecheckMs: how often an open inbox stream checks that its session still holds (tests shorten it). */
export async function buildApp(config: Config, opts: { logger?: FastifyServerOptions['logger']; clock?: () => Date; liveRecheckMs?: number } = {}) {
  useTimelineKeys(timelineKeyring(config))
  const app = Fastify({
    logger: opts.logger ?? loggerOptions(config),
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && /^[\w-]{8,64}$/.test(given) ? given : randomUUID()
    },
    bodyLimit: 1024 * 1024,
    // Errors the router raises before any route runs get the same shape as every other error.
    frameworkErrors: (_error, _request, reply) => {
      ;(reply as unknown as { code(n: number): { send(b: unknown): void } }).code(400).send({ error: { code: 'bad_url', message: 'L’adresse demandée est invalide.' } })
    },
    routerOptions: {
      maxParamLength: 200,
      onMaxParamLength: (_path, _req, res) => {
        res.writeHead(414, { 'content-type': 'application/json; charset=utf-8' })
        res.end(JSON.stringify({ error: { code: 'uri_too_long', message: 'L’adresse demandée est trop longue.' } }))
      },
    },
    trustProxy: trustedProxies(config.TRUST_PROXY),
  }).withTypeProvider<TypeBoxTypeProvider>()
  // A JSON body keeps its types ({"question": 42} is refused, not filed as "42"); query strings and path
  // parameters are text by nature and may still convert (?limit=10).
  app.setValidatorCompiler((route) => (route.httpPart === 'body' ? strictBodies : coercingParts)(route))

  app.addHook('onSend', async (request, reply) => { reply.header('x-request-id', request.id) })
  await app.register(errorsPlugin)
  // Every script and style is a file of ours: no inline script can run, no other site may frame a page.
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], fontSrc: ["'self'"],
        connectSrc: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: config.NODE_ENV === 'production' ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  })
  await app.register(infraPlugin, { config, clock: opts.clock })
  await app.register(authPlugin)
  await operationsPlugin(app)
  await app.register(livePlugin, { recheckMs: opts.liveRecheckMs })
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Relais — API', description: 'Saisines entre les mairies et les organismes partenaires.', version: '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  })
  // The documentation page brings its own inline bootstrap: its plugin states the hashes it needs.
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true })
  await app.register(healthRoutes)
  await app.register(async (api) => {
    await api.register(authRoutes, { prefix: '/auth' })
    await api.register(meRoutes)
    await api.register(directoryRoutes)
    await api.register(referralRoutes)
    await api.register(attachmentRoutes)
    await api.register(slaPolicyRoutes)
    await api.register(mailRoutes)
    await api.register(ficheRoutes)
    await api.register(accountRoutes)
    await api.register(statsRoutes)
    await api.register(citizenRoutes)
    await api.register(conventionRoutes)
    await api.register(appointmentRoutes)
  }, { prefix: '/api/v1' })
  await app.register(pagesPlugin)
  return app
}
