import t from 'tap'
import pg from 'pg'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
t.teardown(async () => { await app.close(); await owner.end(); await env.drop() })

const login = (email: string, password = 'relais-demo', ip = '10.0.0.1') =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip })

t.test('health', async (t) => {
  const live = await app.inject('/health/live')
  t.equal(live.statusCode, 200)
  const ready = await app.inject('/health/ready')
  t.equal(ready.statusCode, 200)
  t.same(ready.json().checks, { postgres: 'ok', redis: 'ok' })
})

t.test('every demo account logs in and /me tells who it is', async (t) => {
  const accounts: [string, string, string][] = [
    ['tic@indre.demo', 'network_admin', '36'], ['tic@cher.demo', 'network_admin', '18'],
    ['secretaire@ardentes.demo', 'secretary', '36'], ['secretaire@issoudun.demo', 'secretary', '36'],
    ['referent@caf36.demo', 'referent', '36'], ['admin@caf36.demo', 'org_admin', '36'], ['referent@ddt36.demo', 'referent', '36'],
  ]
  for (const [email, role, tenant] of accounts) {
    const res = await login(email)
    t.equal(res.statusCode, 200, email)
    const { accessToken, expiresIn } = res.json()
    t.ok(expiresIn <= 15 * 60)
    const me = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${accessToken}` } })
    t.equal(me.statusCode, 200)
    t.equal(me.json().role, role)
    t.equal(me.json().tenant.code, tenant)
    t.equal(me.json().person.email, email)
  }
  const ardentes = (await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${(await login('secretaire@ardentes.demo')).json().accessToken}` } })).json()
  t.equal(ardentes.organisation.communeInsee, '36005')
})

t.test('wrong credentials: same 401 whether or not the email exists', async (t) => {
  const unknown = await login('personne@nulle-part.demo', 'relais-demo', '10.0.1.1')
  const wrong = await login('secretaire@issoudun.demo', 'mauvais-mot-de-passe', '10.0.1.2')
  t.equal(unknown.statusCode, 401)
  t.equal(wrong.statusCode, 401)
  t.same(unknown.json(), wrong.json())
  t.equal(wrong.json().error.code, 'invalid_credentials')
})

t.test('repeated failures are throttled with 429, even with the right password then', async (t) => {
  for (let i = 0; i < 5; i++) t.equal((await login('referent@ddt36.demo', 'nope', '10.0.2.1')).statusCode, 401)
  const blocked = await login('referent@ddt36.demo', 'relais-demo', '10.0.2.1')
  t.equal(blocked.statusCode, 429)
  t.equal(blocked.json().error.code, 'too_many_attempts')
  t.ok(Number(blocked.headers['retry-after']) > 0)
})

t.test('refresh rotates, a reused refresh token ends the family, logout revokes', async (t) => {
  const res = await login('secretaire@ardentes.demo', 'relais-demo', '10.0.3.1')
  const cookie = res.cookies.find((c) => c.name === 'relais_refresh')!
  t.ok(cookie.httpOnly)
  t.equal(cookie.sameSite, 'Strict')
  const first = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { relais_refresh: cookie.value } })
  t.equal(first.statusCode, 200)
  const rotated = first.cookies.find((c) => c.name === 'relais_refresh')!
  t.not(rotated.value, cookie.value)
  // Past the grace window that answers two tabs refreshing at once (10 s): time passes for that rotation.
  await owner.query(`update refresh_session set revoked_at = revoked_at - interval '11 seconds' where revoked_at is not null`)
  const reuse = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { relais_refresh: cookie.value } })
  t.equal(reuse.statusCode, 401)
  const afterReuse = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { relais_refresh: rotated.value } })
  t.equal(afterReuse.statusCode, 401, 'the whole family is revoked once a rotated token is replayed')

  const again = await login('secretaire@ardentes.demo', 'relais-demo', '10.0.3.1')
  const c2 = again.cookies.find((c) => c.name === 'relais_refresh')!
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies: { relais_refresh: c2.value } })).statusCode, 204)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { relais_refresh: c2.value } })).statusCode, 401)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { relais_refresh: 'garbage' } })).statusCode, 401)
})

t.test('tokens: missing, tampered, wrong algorithm are refused', async (t) => {
  t.equal((await app.inject('/api/v1/me')).statusCode, 401)
  const token = (await login('tic@indre.demo', 'relais-demo', '10.0.4.1')).json().accessToken as string
  const [h, p] = token.split('.')
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`
  t.equal((await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${none}` } })).statusCode, 401)
  t.equal((await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${h}.${p}.AAAA` } })).statusCode, 401)
  const body = (await app.inject({ url: '/api/v1/me', headers: { authorization: 'Bearer x' } })).json()
  t.equal(body.error.code, 'unauthenticated')
})

t.test('validation errors have field paths and French messages', async (t) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'a@b.c' } })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error.code, 'validation_failed')
  t.match(res.json().error.details, [{ path: 'password', message: 'Ce champ est obligatoire.' }])
  const bad = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email":' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.code, 'invalid_json')
})
