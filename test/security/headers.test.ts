import t from 'tap'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'

// Browser protections on every answer, and X-Forwarded-For believed only from the proxies the configuration names.

const env = await createTestEnv()
t.teardown(() => env.drop())

async function appWith(overrides: Record<string, string> = {}) {
  const app = await buildApp({ ...env.config, ...overrides } as typeof env.config, { logger: false })
  // The address the app believes the request came from, as the login limits see it.
  app.get('/test/adresse', { config: { access: 'public' } }, async (request) => ({ ip: request.ip }))
  t.teardown(() => app.close())
  return app
}

t.test('pages and the API carry a strict Content-Security-Policy and the usual headers', async (t) => {
  const app = await appWith()
  for (const url of ['/connexion', '/api/v1/me', '/health/live']) {
    const res = await app.inject(url)
    const csp = String(res.headers['content-security-policy'])
    t.match(csp, /script-src 'self'(;|$)/, `${url}: scripts from our own files only, no inline script`)
    t.notMatch(csp, /unsafe-inline|unsafe-eval/, url)
    t.match(csp, /frame-ancestors 'none'/, `${url}: no other site may frame it`)
    t.equal(res.headers['x-content-type-options'], 'nosniff', url)
    t.equal(res.headers['referrer-policy'], 'same-origin', url)
    t.equal(res.headers['strict-transport-security'], undefined, `${url}: no HSTS outside production`)
  }
  const docs = await app.inject('/api/docs')
  t.equal(docs.statusCode, 200, 'the API documentation still renders under its own policy')
})

t.test('HSTS in production', async (t) => {
  const app = await appWith({ NODE_ENV: 'production' })
  const res = await app.inject('/health/live')
  t.match(String(res.headers['strict-transport-security']), /max-age=31536000/)
})

t.test('X-Forwarded-For is ignored unless TRUST_PROXY names the proxy', async (t) => {
  const forged = { 'x-forwarded-for': '203.0.113.9' }
  const none = await appWith()
  t.equal((await none.inject({ url: '/test/adresse', headers: forged, remoteAddress: '198.51.100.7' })).json().ip, '198.51.100.7', 'by default, the connection’s address')
  const prod = await appWith({ NODE_ENV: 'production' })
  t.equal((await prod.inject({ url: '/test/adresse', headers: forged, remoteAddress: '198.51.100.7' })).json().ip, '198.51.100.7', 'production trusts nobody by default either')
  const named = await appWith({ TRUST_PROXY: '10.0.0.1' })
  t.equal((await named.inject({ url: '/test/adresse', headers: forged, remoteAddress: '10.0.0.1' })).json().ip, '203.0.113.9', 'the named proxy is believed')
  t.equal((await named.inject({ url: '/test/adresse', headers: forged, remoteAddress: '198.51.100.7' })).json().ip, '198.51.100.7', 'anyone else is not')
  const hops = await appWith({ TRUST_PROXY: '1' })
  t.equal((await hops.inject({ url: '/test/adresse', headers: { 'x-forwarded-for': '203.0.113.9, 10.0.0.2' }, remoteAddress: '10.0.0.1' })).json().ip, '10.0.0.2', 'one hop: the address the nearest proxy saw')
})
