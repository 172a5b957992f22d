import t from 'tap'
import pg from 'pg'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { auth } from '../helpers/security.ts'
import { Visitor } from '../helpers/visitor.ts'

// A session ends when it should, and only then: two tabs refreshing at once keep the person logged in; logging
// out ends the access token (bearer and page cookie) at once, not 15 minutes later.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
t.teardown(async () => { await app.close(); await owner.end(); await env.drop() })

let ip = 0
const login = (email: string) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'relais-demo' }, remoteAddress: `10.98.0.${++ip}` })
const refresh = (value: string) => app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { relais_refresh: value } })
const cookieOf = (res: { cookies: { name: string; value: string }[] }) => res.cookies.find((c) => c.name === 'relais_refresh')?.value
const me = (token: string) => app.inject({ url: '/api/v1/me', headers: auth(token) })
/** Time passes for the rotations already made (the grace window is measured from the rotation). */
const ageRotations = (ms: number) => owner.query(`update refresh_session set revoked_at = revoked_at - make_interval(secs => $1::float / 1000) where revoked_at is not null`, [ms])

t.test('two tabs refresh with the same cookie at once: both stay logged in, with the same new pair', async (t) => {
  const first = cookieOf(await login('secretaire@ardentes.demo'))!
  const both = await Promise.all([refresh(first), refresh(first)])
  t.comment(`two concurrent refreshes of one cookie: ${both.map((r) => r.statusCode).join(' and ')}`)
  t.same(both.map((r) => r.statusCode), [200, 200], 'neither tab is logged out')
  const [a, b] = both.map(cookieOf)
  t.ok(a && a === b, 'the loser got the winner’s refresh cookie')
  for (const r of both) t.equal((await me(r.json().accessToken)).statusCode, 200, 'and a working access token')

  t.equal((await refresh(first)).statusCode, 200, 'the old cookie again within the window: the same answer')
  await ageRotations(11_000)
  t.equal((await refresh(first)).statusCode, 401, 'after the window, the rotated cookie is a leak')
  t.equal((await refresh(a!)).statusCode, 401, 'which ended the whole family')
  t.equal((await me(both[0].json().accessToken)).statusCode, 401, 'its access tokens too')
})

t.test('logging out through the API ends the bearer token at once', async (t) => {
  const res = await login('referent@caf36.demo')
  const token = res.json().accessToken as string
  t.equal((await me(token)).statusCode, 200)
  const other = await login('referent@caf36.demo')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies: { relais_refresh: cookieOf(res)! } })).statusCode, 204)
  const after = await me(token)
  t.comment(`bearer token after logout: ${after.statusCode}`)
  t.equal(after.statusCode, 401, 'the access token of the ended session is refused')
  t.equal((await me(other.json().accessToken)).statusCode, 200, 'another session of the same person (another device) goes on')

  // A client that holds only the bearer token can end its session too.
  const bearerOnly = (await login('referent@caf36.demo')).json().accessToken as string
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: auth(bearerOnly) })).statusCode, 204)
  t.equal((await me(bearerOnly)).statusCode, 401, 'logout with the bearer token alone ends it')
})

t.test('« Se déconnecter » ends the page’s access cookie at once', async (t) => {
  const v = new Visitor(app)
  t.equal((await v.login('secretaire@issoudun.demo')).statusCode, 303)
  const access = v.cookies.relais_session
  t.ok(access, 'logged in with an access cookie')
  await v.get('/deconnexion')
  t.equal((await v.post('/deconnexion', {})).statusCode, 303)
  // Someone who kept the cookies (a shared computer, a copied cookie) tries again.
  const replay = await app.inject({ url: '/saisines', cookies: { relais_session: access } })
  t.comment(`page with the access cookie after logout: ${replay.statusCode} ${replay.headers.location ?? ''}`)
  t.equal(replay.statusCode, 303, 'the page sends to the login page')
  t.match(String(replay.headers.location), /^\/connexion/)
  t.equal((await me(access)).statusCode, 401, 'the same token as a bearer is refused too')
})
