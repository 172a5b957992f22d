import t from 'tap'
import { buildApp } from '@relais/api/app'
import { httpError } from '@relais/api/plugins/errors'
import { createTestEnv } from '../helpers/db.ts'
import { accessToken, auth, listRoutes } from '../helpers/security.ts'
import { Visitor } from '../helpers/visitor.ts'

// A NUL byte (valid in JSON and in a form, refused by PostgreSQL) is bad input naming its field: a 400, never a
// 500, in every text of the referral actions and in every page form.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })
await app.ready()

const NUL = 'avant\u0000après'
const tokens = { secretary: await accessToken(app, 'secretaire@ardentes.demo'), referent: await accessToken(app, 'referent@caf36.demo'), tic: await accessToken(app, 'tic@indre.demo') }
const call = (who: keyof typeof tokens, method: string, url: string, payload?: object) => app.inject({ method: method as 'POST', url, headers: auth(tokens[who]), ...(payload ? { payload } : {}) })
const file = async () => (await call('secretary', 'POST', '/api/v1/referrals', { themeCode: 'aides-caf', question: 'Une question sans piège.', citizen: { name: 'Jeanne Durand', preferredChannel: 'post' } })).json().id as string

t.test('the API: answer, information request, transfer reason, cancel reason', async (t) => {
  const id = await file()
  const cases: [keyof typeof tokens, string, object, string][] = [
    ['referent', 'answer', { body: NUL }, 'body'],
    ['referent', 'request-info', { body: NUL }, 'body'],
    ['referent', 'transfer', { reason: NUL, toRouting: true }, 'reason'],
    ['secretary', 'cancel', { body: NUL }, 'body'],
    ['secretary', 'close', { body: NUL }, 'body'],
  ]
  const seen: string[] = []
  for (const [who, action, payload, field] of cases) {
    const res = await call(who, 'POST', `/api/v1/referrals/${id}/${action}`, payload)
    seen.push(`${action}: ${res.statusCode}`)
    t.equal(res.statusCode, 400, `${action}: bad input`)
    t.match(res.json().error?.details, [{ path: field }], `${action}: names the field « ${field} »`)
  }
  const filing = await call('secretary', 'POST', '/api/v1/referrals', { themeCode: 'aides-caf', question: 'Q', citizen: { name: NUL, preferredChannel: 'post' } })
  seen.push(`filing: ${filing.statusCode}`)
  t.equal(filing.statusCode, 400)
  t.match(filing.json().error.details, [{ path: 'citizen.name' }], 'a nested field is named by its path')
  const key = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'a@b.fr', password: 'x', ['cl\u0000é']: 1 } })
  t.equal(key.statusCode, 400, 'a NUL byte in a key too')
  t.comment(`NUL byte in the API: ${seen.join(', ')}`)
  const detail = (await call('secretary', 'GET', `/api/v1/referrals/${id}`)).json()
  t.equal(detail.status, 'assigned', 'nothing was done with the refused requests')
})

t.test('every page form', async (t) => {
  const id = await file()
  const fiche = (await call('referent', 'POST', '/api/v1/fiches', {
    title: 'Fiche à abîmer', body: 'Texte.', themeCodes: ['aides-caf'],
  })).json().id as string
  t.ok(fiche, 'a fiche to post to')
  // Each page form with its own fields, each text field carrying a NUL byte; a form without text gets a stray one.
  const forms: Record<string, [who: 'secretaire@ardentes.demo' | 'referent@caf36.demo' | 'tic@indre.demo' | null, fields: Record<string, string>]> = {
    'POST /connexion': [null, { email: NUL, password: NUL }],
    'POST /deconnexion': ['secretaire@ardentes.demo', { x: NUL }],
    'POST /saisines/nouvelle': ['secretaire@ardentes.demo', { themeCode: 'aides-caf', communeInsee: '36005', question: NUL, citizenName: NUL, citizenEmail: '', citizenPhone: NUL, preferredChannel: 'post', internalNote: NUL }],
    'POST /saisines/:id/answer': ['referent@caf36.demo', { body: NUL }],
    'POST /saisines/:id/request-info': ['referent@caf36.demo', { body: NUL }],
    'POST /saisines/:id/provide-info': ['secretaire@ardentes.demo', { body: NUL }],
    'POST /saisines/:id/close': ['secretaire@ardentes.demo', { body: NUL }],
    'POST /saisines/:id/reopen': ['secretaire@ardentes.demo', { body: NUL }],
    'POST /saisines/:id/cancel': ['secretaire@ardentes.demo', { body: NUL }],
    'POST /saisines/:id/transfer': ['referent@caf36.demo', { reason: NUL, toRouting: '1' }],
    'POST /saisines/:id/appointment': ['referent@caf36.demo', { slot: 'autre', placeId: '00000000-0000-4000-8000-000000000000', at: '2030-01-08T10:00', note: NUL }],
    'POST /saisines/:id/assign': ['tic@indre.demo', { organisationId: '00000000-0000-4000-8000-000000000000', x: NUL }],
    'POST /fiches/nouvelle': ['referent@caf36.demo', { title: NUL, body: NUL, themeCodes: 'aides-caf', territoryKind: 'departement' }],
    'POST /fiches/:id/modifier': ['referent@caf36.demo', { title: NUL, body: NUL, themeCodes: 'aides-caf', territoryKind: 'departement' }],
    'POST /fiches/:id/repond': ['secretaire@ardentes.demo', { question: NUL }],
    'POST /lieux': ['tic@indre.demo', { name: NUL, address: NUL, phone: NUL, communes: NUL, whatToBring: NUL }],
    'POST /permanences': ['tic@indre.demo', { placeId: NUL, weekday: '1', start: NUL, end: '12:00', slotMinutes: '30', validFrom: NUL }],
  }
  const pageRoutes = listRoutes(app).filter((r) => r.method === 'POST' && !r.url.startsWith('/api/'))
  const seen: string[] = []
  for (const route of pageRoutes) {
    const key = `${route.method} ${route.url}`
    const [who, fields] = forms[key] ?? ['referent@caf36.demo', { x: NUL }]
    const v = new Visitor(app)
    if (who) await v.login(who)
    await v.get(route.url.startsWith('/fiches') ? `/fiches/${fiche}` : route.url.includes(':id') ? `/saisines/${id}` : '/connexion')
    const res = await v.post(route.url.replace(':id', route.url.startsWith('/fiches') ? fiche : id), fields)
    seen.push(`${key}: ${res.statusCode}`)
    t.equal(res.statusCode, 400, `${key}: bad input, not ${res.statusCode}`)
    t.match(res.body, /caractère nul/, `${key}: the page says what is wrong`)
    t.match(res.body, new RegExp(`« (${Object.keys(fields).join('|')}) »`), `${key}: and in which field`)
  }
  t.comment(`NUL byte in the page forms: ${seen.join(', ')}`)
  t.ok(pageRoutes.length >= Object.keys(forms).length, `${pageRoutes.length} page forms tried`)
})

t.test('PostgreSQL refusing a value is bad input in the one mapping, not a 500', async (t) => {
  for (const [code, what] of [['22P05', 'a NUL byte in jsonb'], ['22021', 'a NUL byte in text'], ['22001', 'too long'], ['22003', 'number out of range'], ['22P02', 'not a uuid']]) {
    t.equal(httpError(Object.assign(new Error(what), { code })).status, 400, `${code}: ${what}`)
  }
})
