import t from 'tap'
import { Writable } from 'node:stream'
import { buildApp, loggerOptions } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'

// The app's own logger options (same redaction and serializers as in production), writing here.
const lines: string[] = []
const stream = new Writable({ write(chunk, _enc, cb) { lines.push(...String(chunk).split('\n').filter(Boolean)); cb() } })
const env = await createTestEnv({ LOG_LEVEL: 'info' })
const app = await buildApp(env.config, { logger: loggerOptions(env.config, stream) })
t.teardown(async () => { await app.close(); await env.drop() })

const logText = () => lines.join('\n')
const PASSWORD = 'relais-demo'

t.test('request ids: given ones are echoed and logged, otherwise one is made', async (t) => {
  const res = await app.inject({ url: '/health/live', headers: { 'x-request-id': 'req-logging-0001' } })
  t.equal(res.headers['x-request-id'], 'req-logging-0001', 'echoed in the response')
  const mine = lines.map((l) => JSON.parse(l)).filter((l) => l.reqId === 'req-logging-0001')
  t.ok(mine.some((l) => l.msg === 'incoming request'), 'request logged with its id')
  t.ok(mine.some((l) => l.msg === 'request completed' && l.res?.statusCode === 200), 'response logged with its id')

  const made = await app.inject({ url: '/health/live', headers: { 'x-request-id': 'bad id <script>' } })
  t.match(made.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'a malformed id is replaced')
  t.notMatch(logText(), /<script>/)
})

t.test('login, /me and refresh leave no password, token or cookie in the logs', async (t) => {
  lines.length = 0
  const failed = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'secretaire@ardentes.demo', password: 'Mauvais-Mot-De-Passe-42' }, remoteAddress: '10.9.0.1' })
  t.equal(failed.statusCode, 401)
  const login = await app.inject({
    method: 'POST', url: '/api/v1/auth/login', payload: { email: 'secretaire@ardentes.demo', password: PASSWORD },
    headers: { 'x-request-id': 'req-logging-login' }, remoteAddress: '10.9.0.2',
  })
  t.equal(login.statusCode, 200)
  const token: string = login.json().accessToken
  const cookie = login.cookies.find((c) => c.name === 'relais_refresh')!.value

  const me = await app.inject({
    url: '/api/v1/me',
    headers: { authorization: `Bearer ${token}`, cookie: `relais_refresh=${cookie}`, 'x-request-id': 'req-logging-me-0002' },
  })
  t.equal(me.statusCode, 200)
  t.equal(me.headers['x-request-id'], 'req-logging-me-0002')
  const refresh = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { relais_refresh: cookie } })
  t.equal(refresh.statusCode, 200)
  const rotated = refresh.cookies.find((c) => c.name === 'relais_refresh')!.value
  const newToken: string = refresh.json().accessToken

  const text = logText()
  t.match(text, /req-logging-me-0002/, 'the request id is in the logs')
  t.match(text, /req-logging-login/)
  t.ok(lines.length >= 8, `every request logged (${lines.length} lines)`)
  for (const [what, secret] of [
    ['the password', PASSWORD], ['the wrong password', 'Mauvais-Mot-De-Passe-42'],
    ['the access token', token], ['the token signature', token.split('.')[2]], ['the refreshed token', newToken],
    ['the refresh cookie', cookie], ['the cookie secret', cookie.split('.').at(-1)!], ['the rotated cookie', rotated],
  ] as const) {
    t.notOk(text.includes(secret), `${what} is not in the logs`)
  }
  t.notMatch(text, /Bearer/i, 'no authorization header')
})

t.test('query strings: keys are logged, values (names typed in a search) are not', async (t) => {
  lines.length = 0
  const res = await app.inject({ url: '/api/v1/nulle-part?q=Jeanne%20Dupont&naissance=1950-02-03', headers: { 'x-request-id': 'req-logging-query' } })
  t.equal(res.statusCode, 404)
  const text = logText()
  t.notMatch(text, /Dupont/)
  t.notMatch(text, /1950/)
  const incoming = lines.map((l) => JSON.parse(l)).find((l) => l.reqId === 'req-logging-query' && l.msg === 'incoming request')
  t.equal(incoming?.req.url, '/api/v1/nulle-part?q=[masqué]&naissance=[masqué]')
})

t.test('a referral-like body never reaches the logs, even on a validation error', async (t) => {
  lines.length = 0
  const token = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'tic@indre.demo', password: PASSWORD }, remoteAddress: '10.9.0.3' })).json().accessToken
  await app.inject({
    method: 'POST', url: '/api/v1/organisations', headers: { authorization: `Bearer ${token}` },
    payload: { citizen: { name: 'Marcel Citoyen', phone: '0601020304' }, question: 'Ma pension de Marcel Citoyen', kind: 42 },
  })
  const text = logText()
  t.notMatch(text, /Marcel Citoyen/)
  t.notMatch(text, /0601020304/)
})
