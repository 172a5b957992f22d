import t from 'tap'
import { buildApp } from '@relais/api/app'
import { ConfigError, loadConfig } from '@relais/config'
import { createTestEnv } from '../helpers/db.ts'
import { accessToken } from '../helpers/security.ts'

// The API's documentation maps every route: in production only logged-in people read it, unless the
// configuration publishes it (API_DOCS_PUBLIC=true).

const env = await createTestEnv()
t.teardown(() => env.drop())

async function appWith(overrides: Record<string, unknown> = {}) {
  const app = await buildApp({ ...env.config, ...overrides } as typeof env.config, { logger: false })
  t.teardown(() => app.close())
  return app
}

// The demo password opens nothing in production: the token comes from a development app on the same database
// and secret, as a real login would give it.
const dev = await appWith({ NODE_ENV: 'development' })
const token = await accessToken(dev, 'secretaire@ardentes.demo')

t.test('production: the documentation is for logged-in people', async (t) => {
  const prod = await appWith({ NODE_ENV: 'production' })
  const seen: string[] = []
  for (const url of ['/api/docs', '/api/docs/', '/api/docs/json', '/api/docs/yaml', '/api/docs/static/index.html']) {
    const res = await prod.inject(url)
    seen.push(`${url}: ${res.statusCode}`)
    t.not(res.statusCode, 200, `${url}: not served to anyone`)
    t.notMatch(res.body, /"openapi"|\/api\/v1\/referrals/, `${url}: the route map does not leak`)
  }
  t.comment(`anonymous, in production: ${seen.join(', ')}`)
  const page = await prod.inject('/api/docs')
  t.equal(page.statusCode, 303, 'a browser is sent to the login page')
  t.equal(page.headers.location, '/connexion?retour=%2Fapi%2Fdocs', 'and comes back to the documentation')

  t.equal((await prod.inject({ url: '/api/docs', cookies: { relais_session: token } })).statusCode, 200, 'logged in (page cookie): served')
  const json = await prod.inject({ url: '/api/docs/json', headers: { authorization: `Bearer ${token}` } })
  t.equal(json.statusCode, 200, 'with a bearer token: served')
  t.ok(json.json().openapi)
  t.equal((await prod.inject({ url: '/api/docs/json', headers: { authorization: 'Bearer faux' } })).statusCode, 401, 'a bad bearer token: 401')
})

t.test('published by the configuration, or outside production: public', async (t) => {
  const published = await appWith({ NODE_ENV: 'production', API_DOCS_PUBLIC: true })
  t.equal((await published.inject('/api/docs/json')).statusCode, 200, 'API_DOCS_PUBLIC=true in production')
  t.equal((await dev.inject('/api/docs/json')).statusCode, 200, 'development')
  const closed = await appWith({ NODE_ENV: 'development', API_DOCS_PUBLIC: false })
  t.not((await closed.inject('/api/docs/json')).statusCode, 200, 'API_DOCS_PUBLIC=false in development')
})

t.test('API_DOCS_PUBLIC is read from the environment', async (t) => {
  t.equal(loadConfig({ API_DOCS_PUBLIC: 'true' }).API_DOCS_PUBLIC, true)
  t.equal(loadConfig({ API_DOCS_PUBLIC: 'false' }).API_DOCS_PUBLIC, false)
  t.equal(loadConfig({}).API_DOCS_PUBLIC, undefined, 'unset: public outside production only')
  t.throws(() => loadConfig({ API_DOCS_PUBLIC: 'peut-être' }), ConfigError)
})
