import Type, { type Static } from 'typebox'
import Value from 'typebox/value'

/** Demo-only defaults: accepted in development and tests, refused in production. */
export const DEMO_JWT_SECRET = 'relais-demo-secret-change-me-in-production-0123456789'
export const DEMO_TIMELINE_HMAC_KEY = 'relais-demo-timeline-key-change-me-in-production-0123'

const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://', default: 'postgres://postgres@127.0.0.1:5432/relais' }),
  /** The role the application connects as: owns nothing, cannot bypass RLS. Derived from DATABASE_URL when unset. */
  APP_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  /** Connections per process in the application's pool: Postgres needs processes × this (see docs/operations.md). */
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  /** Connections of each worker process (mail sending, SLA steps and the relay share them). */
  WORKER_POOL_MAX: Type.Integer({ minimum: 2, maximum: 200, default: 10 }),
  /** How long a mail's temporary failures are retried before it is failed (the mission TIC may send it again). */
  MAIL_RETRY_HOURS: Type.Number({ exclusiveMinimum: 0, maximum: 720, default: 48 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  REDIS_PREFIX: Type.String({ pattern: '^[a-zA-Z0-9_-]+$', default: 'relais' }),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  /** Replies by email: the domain of the reply addresses (r+…@domain) the inbound server takes. Unset: mails carry none (in production). */
  MAIL_REPLY_DOMAIN: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$' })),
  /** The inbound SMTP server's port (replies by email). */
  MAIL_IN_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 2525 }),
  MAIL_FROM: Type.String({ minLength: 3, default: 'Relais <ne-pas-repondre@relais.local>' }),
  PUBLIC_URL: Type.String({ pattern: '^https?://', default: 'http://localhost:3000' }),
  JWT_SECRET: Type.String({ minLength: 32, default: DEMO_JWT_SECRET }),
  /** Seals the referral timelines (HMAC-SHA-256). Held by the application only, never by the database. */
  TIMELINE_HMAC_KEY: Type.String({ minLength: 32, default: DEMO_TIMELINE_HMAC_KEY }),
  /** The current key's name, stored with each event it seals, so that events sealed before a rotation still verify. */
  TIMELINE_HMAC_KEY_ID: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', default: 'demo' }),
  /** Retired keys, verification only: `id:key,id:key` (see docs/operations.md, rotation). */
  TIMELINE_HMAC_OLD_KEYS: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}:[^,]{32,}(,[A-Za-z0-9_-]{1,32}:[^,]{32,})*$' })),
  /** Which proxies may set X-Forwarded-For: empty (none, the default), a hop count, or addresses/CIDRs separated by commas. */
  TRUST_PROXY: Type.String({ pattern: '^(|[0-9]{1,2}|[0-9A-Za-z.:/]+(, *[0-9A-Za-z.:/]+)*)$', default: '' }),
  /** The API's documentation (/api/docs) to anyone: unset, public outside production and for logged-in people in production. */
  API_DOCS_PUBLIC: Type.Optional(Type.Boolean()),
  /** Operators' bearer token for /metrics and the queues' board (/operations/files); unset, neither exists. */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, maxLength: 200, pattern: '^[A-Za-z0-9._~+/=-]+$' })),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info' }),
})

export type Config = Static<typeof ConfigSchema> & { APP_DATABASE_URL: string }

export const APP_DB_ROLE = 'relais_app'

/** The reply domain in use: the configured one, or outside production a local one so that `npm start` shows replies. */
export const replyDomain = (config: Pick<Config, 'MAIL_REPLY_DOMAIN' | 'NODE_ENV'>): string | null =>
  config.MAIL_REPLY_DOMAIN ?? (config.NODE_ENV === 'production' ? null : 'reponses.relais.local')

/** Whether /api/docs is served to anyone (API_DOCS_PUBLIC), or to logged-in people only. */
export const apiDocsPublic = (config: Pick<Config, 'API_DOCS_PUBLIC' | 'NODE_ENV'>): boolean => config.API_DOCS_PUBLIC ?? config.NODE_ENV !== 'production'

export class ConfigError extends Error {
  constructor(public readonly variable: string, reason: string) {
    super(`Configuration invalide : la variable ${variable} ${reason}`)
    this.name = 'ConfigError'
  }
}

/** Reads and validates configuration from the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const converted = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, raw)) as Record<string, unknown>
  const firstError = [...Value.Errors(ConfigSchema, converted)][0]
  if (firstError) {
    const variable = firstError.instancePath.replace(/^\//, '') || String((firstError.params as { requiredProperties?: string[] }).requiredProperties?.[0] ?? '?')
    // Secrets and URLs that may carry a password are named, never echoed.
    const shown = /SECRET|PASSWORD|KEY|_URL$/.test(variable) ? '' : `${JSON.stringify(env[variable] ?? '')} : `
    throw new ConfigError(variable, `est invalide (${shown}${firstError.message})`)
  }
  const config = converted as Config
  if (config.NODE_ENV === 'production') {
    if (!env.JWT_SECRET || config.JWT_SECRET === DEMO_JWT_SECRET) {
      throw new ConfigError('JWT_SECRET', 'doit être définie en production (la valeur de démonstration est refusée)')
    }
    if (!env.TIMELINE_HMAC_KEY || config.TIMELINE_HMAC_KEY === DEMO_TIMELINE_HMAC_KEY) {
      throw new ConfigError('TIMELINE_HMAC_KEY', 'doit être définie en production (la valeur de démonstration est refusée)')
    }
    if (!env.SMTP_URL) throw new ConfigError('SMTP_URL', 'doit être définie en production')
    if (!env.PUBLIC_URL) throw new ConfigError('PUBLIC_URL', 'doit être définie en production')
  }
  if (!config.APP_DATABASE_URL) config.APP_DATABASE_URL = withUser(config.DATABASE_URL, APP_DB_ROLE)
  return config
}

/**
 * TRUST_PROXY as Fastify's trustProxy: false unless proxies are named, so that nobody can choose their own address
 * (and escape the per-address login limit) by sending X-Forwarded-For.
 */
export function trustedProxies(value: string): false | string[] | ((address: string, hop: number) => boolean) {
  if (!value.trim()) return false
  // A hop count: trust the n proxies nearest to us, whatever their address.
  if (/^[0-9]+$/.test(value)) return (_address, hop) => hop < Number(value)
  return value.split(',').map((v) => v.trim()).filter(Boolean)
}

export interface TimelineKeyring { currentId: string; keys: ReadonlyMap<string, string> }

/** The timeline's keys: the current one seals new events, the retired ones still verify old events. */
export function timelineKeyring(config: Pick<Config, 'TIMELINE_HMAC_KEY' | 'TIMELINE_HMAC_KEY_ID' | 'TIMELINE_HMAC_OLD_KEYS'>): TimelineKeyring {
  const keys = new Map<string, string>()
  for (const pair of (config.TIMELINE_HMAC_OLD_KEYS ?? '').split(',').filter(Boolean)) {
    const at = pair.indexOf(':')
    keys.set(pair.slice(0, at), pair.slice(at + 1))
  }
  keys.set(config.TIMELINE_HMAC_KEY_ID, config.TIMELINE_HMAC_KEY)
  return { currentId: config.TIMELINE_HMAC_KEY_ID, keys }
}

/** Same server and database, another role (trust or peer auth locally; set APP_DATABASE_URL with a password in production). */
export function withUser(url: string, user: string): string {
  const u = new URL(url)
  u.username = user
  u.password = ''
  return u.toString()
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''))
}

/** For process entry points: a bad configuration stops the process with its one French line, no stack. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
}

/** The installation's BullMQ queues: mails to send, SLA steps to run. */
export const QUEUE_NAMES = ['mail', 'sla'] as const

/** ioredis options for BullMQ from REDIS_URL (BullMQ wants options, not a URL). */
export function redisConnectionOptions(url: string) {
  const u = new URL(url)
  return {
    host: u.hostname, port: Number(u.port || 6379), username: u.username || undefined, password: u.password || undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0, tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  }
}
