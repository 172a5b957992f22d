import t from 'tap'
import { buildApp } from '@relais/api/app'
import { httpError } from '@relais/api/plugins/errors'
import { Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthenticated, Unavailable } from '@relais/core'
import { createTestEnv } from '../helpers/db.ts'
import { accessToken, auth } from '../helpers/security.ts'

// One mapping of failures: the API answers JSON, the pages a French page, with the same status; a database outage is 503 for both.

t.test('each kind of domain error has one HTTP status', async (t) => {
  const kinds: [Error, number][] = [
    [new InvalidInput('x', 'm'), 400], [new Unauthenticated('x', 'm'), 401], [new Forbidden('x', 'm'), 403], [new NotFound('x', 'm'), 404],
    [new Conflict('x', 'm'), 409], [new TooManyRequests('x', 'm'), 429], [new Unavailable('x', 'm'), 503], [new Error('boom'), 500],
  ]
  for (const [err, status] of kinds) t.equal(httpError(err).status, status, err.constructor.name)
  t.same(httpError(Object.assign(new Error('invalid input syntax'), { code: '22P02' })), { status: 400, code: 'invalid_value', message: 'Une valeur fournie est invalide.' })
  t.equal(httpError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).status, 503)
})

t.test('a database outage is a 503 on the API and on the pages', async (t) => {
  const env = await createTestEnv()
  const up = await buildApp(env.config, { logger: false })
  // The same configuration with a database nobody listens on: tokens signed by one are valid for the other.
  const down = await buildApp({ ...env.config, APP_DATABASE_URL: 'postgres://relais_app@127.0.0.1:1/none' }, { logger: false })
  t.teardown(async () => { await up.close(); await down.close(); await env.drop() })
  const token = await accessToken(up, 'secretaire@ardentes.demo')

  const api = await down.inject({ url: '/api/v1/me', headers: auth(token) })
  t.equal(api.statusCode, 503)
  t.equal(api.headers['retry-after'], '5')
  t.equal(api.json().error.code, 'service_unavailable')

  const page = await down.inject({ url: '/saisines', cookies: { relais_session: token } })
  t.equal(page.statusCode, 503, 'the page does not send a logged-in person to the login form when the database is down')
  t.match(page.headers['content-type'], /text\/html/)
  t.match(page.body, /Service momentanément indisponible/)
  t.match(page.body, /réessayez dans quelques instants/)

  const login = await down.inject({ url: '/connexion' })
  t.equal(login.statusCode, 200, 'the login form itself needs no database')
})
