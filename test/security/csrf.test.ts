import t from 'tap'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { Visitor } from '../helpers/visitor.ts'

// A form's CSRF token is bound to the session that received it: an attacker who plants his own CSRF cookie in
// the victim's browser (cookie tossing from a sibling subdomain) cannot use his own matching token with her session.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })

const form = {
  themeCode: 'aides-caf', communeInsee: '36005', question: 'Saisine déposée à l’insu de la secrétaire.', citizenName: 'Victime Involontaire',
  citizenEmail: '', citizenPhone: '', preferredChannel: 'post', internalNote: '',
}

t.test('an attacker’s own cookie-and-token pair is refused with the victim’s session', async (t) => {
  const victim = new Visitor(app)
  t.equal((await victim.login('secretaire@ardentes.demo')).statusCode, 303)

  const anonymous = new Visitor(app)
  await anonymous.get('/connexion')
  const own = new Visitor(app)
  await own.login('secretaire@issoudun.demo')
  await own.get('/saisines/nouvelle')
  const seen: string[] = []
  for (const [what, attacker] of [['a pair taken anonymously', anonymous], ['a pair from the attacker’s own session', own]] as const) {
    const tossed = { ...victim.cookies, relais_csrf: attacker.cookies.relais_csrf }
    const res = await app.inject({
      method: 'POST', url: '/saisines/nouvelle', cookies: tossed, remoteAddress: victim.ip,
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ ...form, _csrf: attacker.csrf }).toString(),
    })
    seen.push(`${what}: ${res.statusCode}`)
    t.equal(res.statusCode, 403, `${what}: refused`)
    t.match(res.body, /Formulaire expiré/)
  }
  t.comment(`tossed CSRF cookie with the attacker’s token: ${seen.join(', ')}`)

  // The victim's own form still works.
  await victim.get('/saisines/nouvelle')
  t.equal((await victim.post('/saisines/nouvelle', form)).statusCode, 303, 'her own form is accepted')
})

t.test('a form outlives the access token’s renewal but not the session', async (t) => {
  const v = new Visitor(app)
  await v.login('secretaire@ardentes.demo')
  await v.get('/saisines/nouvelle')
  const token = v.csrf
  // The access cookie expires: the next request renews it from the refresh cookie (same session).
  delete v.cookies.relais_session
  t.equal((await v.post('/saisines/nouvelle', form, { csrf: token })).statusCode, 303, 'same session, renewed access token: accepted')

  const other = new Visitor(app)
  await other.login('secretaire@ardentes.demo')
  other.cookies.relais_csrf = v.cookies.relais_csrf
  t.equal((await other.post('/saisines/nouvelle', form, { csrf: token })).statusCode, 403, 'another session of the same person: refused')
})
