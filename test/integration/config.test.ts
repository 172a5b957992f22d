import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ConfigError, DEMO_JWT_SECRET, loadConfig } from '@relais/config'

const root = fileURLToPath(new URL('../..', import.meta.url))
const PROD = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(48), SMTP_URL: 'smtp://mail.example.fr:587', PUBLIC_URL: 'https://relais.example.fr', TIMELINE_HMAC_KEY: 'k'.repeat(40) }

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error(`no ConfigError for ${JSON.stringify(env)}`)
}

t.test('defaults: nothing set gives a working development configuration', async (t) => {
  const config = loadConfig({})
  t.equal(config.PORT, 3000)
  t.equal(config.DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/relais')
  t.equal(config.REDIS_URL, 'redis://127.0.0.1:6379')
  t.equal(config.NODE_ENV, 'development')
  t.match(config.APP_DATABASE_URL, /^postgres:\/\/relais_app@127\.0\.0\.1:5432\/relais$/)
  t.equal(loadConfig({ PORT: '8080' }).PORT, 8080, 'numbers are read from strings')
  t.equal(loadConfig({ PORT: '' }).PORT, 3000, 'an empty variable counts as unset')
  t.ok(loadConfig(PROD), 'a complete production configuration is accepted')
})

t.test('a bad value names its variable, in one French line', async (t) => {
  const cases: [Record<string, string>, string][] = [
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://root@127.0.0.1/relais' }, 'DATABASE_URL'],
    [{ APP_DATABASE_URL: 'relais_app@localhost' }, 'APP_DATABASE_URL'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ SMTP_URL: 'mail.example.fr' }, 'SMTP_URL'],
    [{ PUBLIC_URL: 'relais.example.fr' }, 'PUBLIC_URL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ JWT_SECRET: 'trop-court' }, 'JWT_SECRET'],
  ]
  for (const [env, variable] of cases) {
    const err = configError(env)
    t.equal(err.variable, variable, JSON.stringify(env))
    t.match(err.message, new RegExp(`^Configuration invalide : la variable ${variable} `))
    t.notMatch(err.message, /\n/, 'one line')
  }
})

t.test('production accepts no demo default for secrets', async (t) => {
  const { JWT_SECRET: _omit, ...withoutSecret } = PROD
  t.equal(configError(withoutSecret).variable, 'JWT_SECRET', 'JWT_SECRET missing')
  const demo = configError({ ...PROD, JWT_SECRET: DEMO_JWT_SECRET })
  t.equal(demo.variable, 'JWT_SECRET', 'the demo secret is refused')
  t.match(demo.message, /production/)
  t.equal(configError({ ...PROD, JWT_SECRET: 'court' }).variable, 'JWT_SECRET', 'too short in production too')
  const { SMTP_URL: _s, ...withoutSmtp } = PROD
  t.equal(configError(withoutSmtp).variable, 'SMTP_URL', 'no local mailbox in production')
  const { PUBLIC_URL: _p, ...withoutPublic } = PROD
  t.equal(configError(withoutPublic).variable, 'PUBLIC_URL')
  t.ok(loadConfig({ NODE_ENV: 'development', JWT_SECRET: DEMO_JWT_SECRET }), 'the demo secret is fine outside production')
})

function run(entry: string, env: Record<string, string>) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
  delete childEnv.NODE_OPTIONS
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr += d })
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

// Each spawn pays tsx's start-up: start them all at once, then look at each.
const ENTRIES = ['apps/api/src/server.ts', 'apps/worker/src/main.ts', 'scripts/start.ts']
const badPort = ENTRIES.map((entry) => run(entry, { PORT: 'abc' }))
const demoSecretInProduction = run('apps/api/src/server.ts', { ...PROD, JWT_SECRET: DEMO_JWT_SECRET })

ENTRIES.forEach((entry, i) => {
  t.test(`${entry} with PORT=abc stops at once with one line naming PORT`, async (t) => {
    const { code, stdout, stderr } = await badPort[i]
    t.not(code, 0, 'exits non-zero')
    t.equal(code, 1)
    const lines = stderr.trim().split('\n')
    t.equal(lines.length, 1, `exactly one line on stderr: ${stderr}`)
    t.match(lines[0], /^Configuration invalide : la variable PORT /)
    t.notMatch(stderr, /\bat .+:\d+:\d+/, 'no stack trace')
    t.equal(stdout, '', 'nothing else printed')
  })
})

t.test('production with the demo secret: the API refuses to start, naming JWT_SECRET', async (t) => {
  const { code, stderr } = await demoSecretInProduction
  t.equal(code, 1)
  t.match(stderr.trim(), /^Configuration invalide : la variable JWT_SECRET [^\n]*$/)
})
