// `npm start`: Relais on one machine, for a demo or for development.
// Checks Postgres and Redis, prepares the database (create, migrate, demo seed), starts a local
// mailbox when SMTP_URL is unset, then runs the API and the worker as child processes.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { Redis } from 'ioredis'
import { ConfigError, loadConfig, replyDomain, withDatabase, type Config } from '@relais/config'
import { DEMO_PASSWORD } from '@relais/core'
import { createOwnerKysely, createPool } from '@relais/db'
import { ensureDatabase, migrateToLatest } from '@relais/db/migrate'
import { DEMO_TENANTS, seedDemo } from '@relais/db/seed'
import { ONBOARDING_DEMO_ADMIN } from '@relais/db/seed-onboarding'
import { MailSink } from '@relais/mail/sink'

const root = fileURLToPath(new URL('..', import.meta.url))
const READY_TIMEOUT_MS = 90_000
const STOP_TIMEOUT_MS = 15_000

const say = (line = '') => process.stdout.write(`${line}\n`)
const fail = (message: string): never => {
  process.stderr.write(`${message}\n`)
  process.exit(1)
}

let config: Config
try {
  config = loadConfig()
} catch (err) {
  if (err instanceof ConfigError) fail(err.message)
  throw err
}

// --- signals: one shutdown path, whatever stage we are at ---------------------------------------
const children = new Map<string, ChildProcess>()
let sink: MailSink | null = null
let stopping = false

async function shutdown(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => undefined)
  stopping = true
  const exits = [...children.entries()].map(([name, child]) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => {
      process.stderr.write(`${name} ne s’est pas arrêté à temps : arrêt forcé.\n`)
      child.kill('SIGKILL')
    }, STOP_TIMEOUT_MS)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    child.kill('SIGTERM')
  }))
  await Promise.all(exits)
  await sink?.stop().catch(() => undefined)
  process.exit(code)
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      // A second Ctrl-C: do not wait any longer.
      for (const child of children.values()) child.kill('SIGKILL')
      process.exit(1)
    }
    say(`\n${signal} reçu : arrêt de l’API, du worker et du serveur des réponses…`)
    void shutdown(0)
  })
}
// If this process dies abruptly, do not leave the API and the worker behind.
process.on('exit', () => {
  for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
})

try {
  await main()
} catch (err) {
  process.stderr.write(`Démarrage impossible : ${(err as Error).message}\n`)
  await shutdown(1)
}

async function main() {
  // --- 1. Postgres and Redis must answer ---------------------------------------------------------
  const [pgError, redisError] = await Promise.all([checkPostgres(config.DATABASE_URL), checkRedis(config.REDIS_URL)])
  if (pgError || redisError) {
    const lines: string[] = []
    if (pgError) lines.push(`PostgreSQL injoignable (${redact(config.DATABASE_URL)}) : ${pgError}`, ...postgresHelp())
    if (redisError) lines.push(`Redis injoignable (${redact(config.REDIS_URL)}) : ${redisError}`, ...redisHelp())
    lines.push('', 'Ou, avec Docker : docker compose -f infra/compose.yaml up -d   (PostgreSQL, Redis et une boîte mail de test)')
    fail(lines.join('\n'))
  }

  // Otherwise /health/ready could be answered by whatever already holds the port.
  if (config.PORT === 0) fail('npm start a besoin d’un port fixe pour l’API : PORT=0 n’est pas pris en charge ici.')
  if (!(await portFree(config.PORT, config.HOST))) {
    fail(`Le port ${config.PORT} est déjà utilisé (un autre Relais tourne-t-il ?) : arrêtez-le ou choisissez un autre port, par exemple PORT=3001 npm start`)
  }
  const inboundDomain = replyDomain(config)
  if (inboundDomain && !(await portFree(config.MAIL_IN_PORT, config.HOST))) {
    fail(`Le port ${config.MAIL_IN_PORT} des réponses par courriel est déjà utilisé : choisissez-en un autre, par exemple MAIL_IN_PORT=2526 npm start`)
  }

  // --- 2. Database: create, migrate, seed the demo network once ---------------------------------
  if (await ensureDatabase(config.DATABASE_URL)) say(`Base de données créée : ${redact(config.DATABASE_URL)}`)
  const applied = await migrateToLatest(config.DATABASE_URL)
  say(applied.length ? `Migrations appliquées : ${applied.join(', ')}` : 'Base à jour : aucune migration en attente.')
  const db = createOwnerKysely(createPool(config.DATABASE_URL, 2))
  let demoAccounts: string[] = []
  try {
    if (config.NODE_ENV === 'production') {
      say('Production : le réseau de démonstration n’est pas chargé.')
    } else {
      const seeded = await seedDemo(db)
      if (seeded) say(`Réseau de démonstration chargé : ${seeded.tenants} départements, ${seeded.organisations} organisations, ${seeded.people} personnes.`)
      const wanted = [...DEMO_TENANTS.flatMap((t) => t.people.map((p) => p.email)), ONBOARDING_DEMO_ADMIN]
      const found = await db.selectFrom('person').select('email').where('email', 'in', wanted).where('active', '=', true).execute()
      const present = new Set(found.map((r) => r.email))
      demoAccounts = wanted.filter((e) => present.has(e))
    }
  } finally {
    await db.destroy()
  }

  // --- 3. Mail: the configured SMTP server, or a local mailbox ----------------------------------
  const childEnv: NodeJS.ProcessEnv = { ...process.env }
  let mailbox: string | null = null
  if (!config.SMTP_URL) {
    const started = await startSink()
    childEnv.SMTP_URL = started.smtpUrl
    mailbox = `http://localhost:${started.httpPort}`
    // Its pages answer a mail as its recipient would, through the inbound server: replies by email, seen working.
    if (inboundDomain && sink) sink.replyRelay = `smtp://127.0.0.1:${config.MAIL_IN_PORT}`
  }
  const appUrl = `http://${config.HOST === '0.0.0.0' || config.HOST === '::' || config.HOST === '127.0.0.1' ? 'localhost' : config.HOST}:${config.PORT}`
  // Links in mails point at this very server unless told otherwise.
  if (!process.env.PUBLIC_URL) childEnv.PUBLIC_URL = appUrl

  // --- 4. API and worker --------------------------------------------------------------------------
  startChild('API', 'apps/api/src/server.ts', childEnv)
  startChild('worker', 'apps/worker/src/main.ts', childEnv)
  // Replies by email: the inbound SMTP server takes mails to the reply addresses.
  if (inboundDomain) startChild('inbound', 'apps/worker/src/inbound-main.ts', childEnv)
  await waitReady(`http://${config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST}:${config.PORT}/health/ready`)

  say('')
  say('Relais est prêt.')
  say(`  Application      ${appUrl}`)
  say(`  Documentation    ${appUrl}/api/docs`)
  say(`  Boîte mail       ${mailbox ?? `aucune : les courriels partent par ${redact(config.SMTP_URL!)}`}`)
  if (inboundDomain) say(`  Réponses         smtp://${config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST}:${config.MAIL_IN_PORT} (adresses r+…@${inboundDomain})`)
  if (demoAccounts.length) {
    say(`  Comptes de démonstration (mot de passe ${DEMO_PASSWORD}) :`)
    for (const tenant of DEMO_TENANTS) {
      for (const p of tenant.people) if (demoAccounts.includes(p.email)) say(`    ${p.email.padEnd(30)} ${roleLabel(p.role)}, ${tenant.name}`)
    }
    if (demoAccounts.includes(ONBOARDING_DEMO_ADMIN)) say(`    ${ONBOARDING_DEMO_ADMIN.padEnd(30)} administratrice de la MSA Berry-Touraine, en cours d’adhésion (convention à signer), Cher`)
  }
  say('Ctrl-C pour tout arrêter.')
}

function startChild(name: string, entry: string, env: NodeJS.ProcessEnv) {
  // Own process group: a Ctrl-C reaches only this script, which then stops each child once, cleanly
  // (a second signal would make close-with-grace exit at once).
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env, stdio: 'inherit', detached: true })
  children.set(name, child)
  child.on('exit', (code, signal) => {
    if (stopping) return
    process.stderr.write(`${name} s’est arrêté (${signal ?? `code ${code}`}) : arrêt de Relais.\n`)
    void shutdown(code || 1)
  })
}

async function waitReady(url: string) {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let last = 'pas de réponse'
  while (Date.now() < deadline) {
    if (stopping) return new Promise<never>(() => undefined)
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) })
      if (res.status === 200) return
      last = `${res.status} ${await res.text()}`
    } catch (err) {
      last = (err as Error).message
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`${url} ne répond pas 200 après ${READY_TIMEOUT_MS / 1000} s (dernière réponse : ${last})`)
}

/** SMTP 1025 and web 1080 like maildev; any free port for whichever is taken. */
async function startSink() {
  for (const [smtpPort, httpPort] of [[1025, 1080], [0, 1080], [1025, 0], [0, 0]]) {
    const candidate = new MailSink({ smtpPort, httpPort })
    try {
      const started = await candidate.start()
      sink = candidate
      say(`Boîte mail locale : SMTP ${started.smtpUrl}, page http://localhost:${started.httpPort}`)
      return started
    } catch (err) {
      await candidate.stop()
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    }
  }
  throw new Error('aucun port libre pour la boîte mail locale')
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, host, () => probe.close(() => resolve(true)))
  })
}

async function checkPostgres(url: string): Promise<string | null> {
  // The maintenance database: the application's one may not exist yet.
  const client = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 3000 })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.query('select 1')
    return null
  } catch (err) {
    return describe(err)
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function checkRedis(url: string): Promise<string | null> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null })
  redis.on('error', () => undefined)
  try {
    await redis.connect()
    await redis.ping()
    return null
  } catch (err) {
    return describe(err)
  } finally {
    redis.disconnect()
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { errors?: Error[] }
  if (e.code === 'ECONNREFUSED' || e.errors?.some((x) => (x as NodeJS.ErrnoException).code === 'ECONNREFUSED')) return 'connexion refusée (le serveur ne tourne pas ?)'
  return e.message || e.code || String(err)
}

function postgresHelp(): string[] {
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort() : []
  const version = versions.at(-1) ?? '15'
  return [
    '  Pour le démarrer sur cette machine (Debian) :',
    `    sudo pg_ctlcluster ${version} main start   (ou : sudo service postgresql start)`,
  ]
}

function redisHelp(): string[] {
  return [
    '  Pour le démarrer sur cette machine (Debian) :',
    '    redis-server --daemonize yes   (ou : sudo service redis-server start)',
  ]
}

/** A URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url
  }
}

function roleLabel(role: string): string {
  return ({ network_admin: 'administration du réseau', org_admin: 'administration de l’organisation', referent: 'référent', secretary: 'secrétaire de mairie' } as Record<string, string>)[role] ?? role
}
