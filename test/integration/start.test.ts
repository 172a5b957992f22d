// The processes as a person runs them: `npm start` on a fresh database, and SIGTERM to the API and the worker.
import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { connect, createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { withDatabase } from '@relais/config'
import { createTestEnv, OWNER_URL } from '../helpers/db.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const DEMO_LOGINS = ['tic@indre.demo', 'tic@cher.demo', 'secretaire@ardentes.demo', 'secretaire@issoudun.demo', 'referent@caf36.demo', 'admin@caf36.demo', 'referent@ddt36.demo']

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

interface Proc { child: ChildProcess; out: () => string; err: () => string; exited: Promise<{ code: number | null; signal: string | null; at: number }> }

function run(entry: string, env: Record<string, string>): Proc {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
  delete childEnv.NODE_OPTIONS
  delete childEnv.SMTP_URL
  if (env.SMTP_URL) childEnv.SMTP_URL = env.SMTP_URL
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d) => { out += d })
  child.stderr!.on('data', (d) => { err += d })
  const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, at: Date.now() }))
  })
  return { child, out: () => out, err: () => err, exited }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, proc?: Proc) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    if (proc && proc.child.exitCode !== null) throw new Error(`${what}: the process exited (${proc.child.exitCode})\n${proc.out()}\n${proc.err()}`)
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${what}: not within ${timeoutMs} ms\n${proc?.out() ?? ''}\n${proc?.err() ?? ''}`)
}

/** The first line an SMTP server says on connect ('' when nothing listens). */
function smtpBanner(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.setTimeout(2000, () => { socket.destroy(); resolve('') })
    socket.once('error', () => resolve(''))
    socket.once('data', (d) => { socket.end('QUIT\r\n'); resolve(String(d).split('\r\n')[0]!) })
  })
}

const status = (url: string) => fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, () => 0)

t.test('the API stops cleanly on SIGTERM: exit code 0 within a few seconds', async (t) => {
  const env = await createTestEnv()
  t.teardown(() => env.drop())
  const port = await freePort()
  const api = run('apps/api/src/server.ts', {
    NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: String(port), DATABASE_URL: env.config.DATABASE_URL,
    APP_DATABASE_URL: env.config.APP_DATABASE_URL, REDIS_PREFIX: env.config.REDIS_PREFIX,
  })
  t.teardown(() => { api.child.kill('SIGKILL') })
  await until('API ready', async () => (await status(`http://127.0.0.1:${port}/health/ready`)) === 200, 30_000, api)
  const sent = Date.now()
  api.child.kill('SIGTERM')
  const { code, at } = await api.exited
  t.equal(code, 0, 'exit code 0')
  t.ok(at - sent < 5000, `stopped in ${at - sent} ms`)
  t.match(api.out(), /"signal":"SIGTERM"/, 'the shutdown is logged')
  t.equal(await status(`http://127.0.0.1:${port}/health/live`), 0, 'the port is closed')
})

t.test('the worker stops cleanly on SIGTERM: exit code 0 within a few seconds', async (t) => {
  const env = await createTestEnv()
  t.teardown(() => env.drop())
  const worker = run('apps/worker/src/main.ts', {
    NODE_ENV: 'test', LOG_LEVEL: 'info', DATABASE_URL: env.config.DATABASE_URL,
    APP_DATABASE_URL: env.config.APP_DATABASE_URL, REDIS_PREFIX: env.config.REDIS_PREFIX, SMTP_URL: 'smtp://127.0.0.1:1',
  })
  t.teardown(() => { worker.child.kill('SIGKILL') })
  await until('worker started', () => /worker started/.test(worker.out()), 30_000, worker)
  const sent = Date.now()
  worker.child.kill('SIGTERM')
  const { code, at } = await worker.exited
  t.equal(code, 0, 'exit code 0')
  t.ok(at - sent < 5000, `stopped in ${at - sent} ms`)
})

t.test('npm start with Postgres and Redis unreachable says which and how to start them', async (t) => {
  const start = run('scripts/start.ts', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/relais', REDIS_URL: 'redis://127.0.0.1:1' })
  const { code } = await start.exited
  t.equal(code, 1)
  const err = start.err()
  t.match(err, /PostgreSQL injoignable \(postgres:\/\/postgres@127\.0\.0\.1:1\/relais\)/)
  t.match(err, /Redis injoignable \(redis:\/\/127\.0\.0\.1:1\)/)
  t.match(err, /pg_ctlcluster \d+ main start/)
  t.match(err, /redis-server --daemonize yes/)
  t.match(err, /docker compose -f infra\/compose\.yaml up -d/)
  t.notMatch(err, /\bat .+:\d+:\d+/, 'no stack trace')

  const onlyRedis = run('scripts/start.ts', { REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: withDatabase(OWNER_URL, 'relais_never_created') })
  t.equal((await onlyRedis.exited).code, 1)
  t.notMatch(onlyRedis.err(), /PostgreSQL injoignable/, 'Postgres answers: not mentioned')
  t.match(onlyRedis.err(), /Redis injoignable/)
})

t.test('npm start refuses a port already taken instead of trusting whoever answers there', async (t) => {
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => holder.close(() => resolve())))
  const port = (holder.address() as { port: number }).port
  const start = run('scripts/start.ts', { PORT: String(port), DATABASE_URL: withDatabase(OWNER_URL, 'relais_never_created') })
  t.equal((await start.exited).code, 1)
  t.match(start.err(), new RegExp(`^Le port ${port} est déjà utilisé`))
  t.notMatch(start.out(), /Base de données créée/, 'stopped before touching the database')
})

t.test('npm start on a fresh database: ready within a minute, demo logins work, mailbox open, SIGTERM stops all', async (t) => {
  const name = `relais_start_${process.pid}_${randomBytes(3).toString('hex')}`
  const databaseUrl = withDatabase(OWNER_URL, name)
  const admin = async (q: string) => {
    const c = new pg.Client({ connectionString: withDatabase(OWNER_URL, 'postgres') })
    await c.connect()
    try { return await c.query(q) } finally { await c.end() }
  }
  t.teardown(() => admin(`drop database if exists ${name} with (force)`))
  const port = await freePort()
  const mailIn = String(await freePort())
  const began = Date.now()
  const start = run('scripts/start.ts', { NODE_ENV: 'development', LOG_LEVEL: 'warn', PORT: String(port), MAIL_IN_PORT: mailIn, DATABASE_URL: databaseUrl, REDIS_PREFIX: `test-${name}` })
  t.teardown(() => { start.child.kill('SIGKILL') })

  await until('Relais est prêt', () => /Relais est prêt\./.test(start.out()), 60_000, start)
  const tookMs = Date.now() - began
  t.ok(tookMs < 60_000, `ready in ${Math.round(tookMs / 1000)} s on a fresh database`)
  const out = start.out()
  t.match(out, /Base de données créée/)
  t.match(out, /Réseau de démonstration chargé : 2 départements/)
  t.match(out, new RegExp(`Application\\s+http://localhost:${port}`))
  t.match(out, new RegExp(`Documentation\\s+http://localhost:${port}/api/docs`))
  t.match(out, /mot de passe relais-demo/)
  for (const email of DEMO_LOGINS) t.match(out, email, `${email} printed`)

  t.equal(await status(`http://127.0.0.1:${port}/health/ready`), 200)
  t.equal(await status(`http://127.0.0.1:${port}/api/docs`), 200, 'the API documentation is served')
  for (const email of DEMO_LOGINS) {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'relais-demo' }),
    })
    t.equal(res.status, 200, `${email} logs in`)
  }

  const mailbox = /Boîte mail\s+(http:\/\/localhost:\d+)/.exec(out)?.[1]
  t.ok(mailbox, 'the mailbox URL is printed')
  const page = await fetch(mailbox!.replace('localhost', '127.0.0.1'))
  t.equal(page.status, 200)
  t.match(await page.text(), /Boîte de réception de test/)
  t.match(out, new RegExp(`Réponses\\s+smtp://127\\.0\\.0\\.1:${mailIn}`), 'the inbound SMTP server of replies is printed')
  await until('the inbound SMTP server greets', () => smtpBanner(Number(mailIn)).then((b) => /^220 .*Relais, réponses par courriel/.test(b)), 20_000, start)

  const sent = Date.now()
  start.child.kill('SIGTERM')
  const { code, at } = await start.exited
  t.equal(code, 0, 'npm start exits 0 once the API and the worker have stopped')
  t.ok(at - sent < 15_000, `stopped in ${at - sent} ms`)
  t.equal(await status(`http://127.0.0.1:${port}/health/live`), 0, 'the API is gone too')
  t.equal(await status(mailbox!.replace('localhost', '127.0.0.1')), 0, 'the mailbox is gone too')
  t.equal(await smtpBanner(Number(mailIn)), '', 'the inbound SMTP server is gone too')

  // A second start on the same database: nothing to create, migrate or seed, still ready.
  const again = run('scripts/start.ts', { NODE_ENV: 'development', LOG_LEVEL: 'warn', PORT: String(port), MAIL_IN_PORT: mailIn, DATABASE_URL: databaseUrl, REDIS_PREFIX: `test-${name}` })
  t.teardown(() => { again.child.kill('SIGKILL') })
  await until('ready again', () => /Relais est prêt\./.test(again.out()), 60_000, again)
  t.notMatch(again.out(), /Base de données créée|Réseau de démonstration chargé/)
  t.match(again.out(), /aucune migration en attente/)
  again.child.kill('SIGINT')
  t.equal((await again.exited).code, 0, 'Ctrl-C stops it too')
})
