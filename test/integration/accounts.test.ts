import t from 'tap'
import pg from 'pg'
import pino from 'pino'
import { buildApp } from '@relais/api/app'
import { MailSink, type ReceivedMail } from '@relais/mail/sink'
import { startWorker } from '@relais/worker/worker'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'

// Issue 13, accounts: an admin invites a person, who chooses her password from the mail's link (7 days, once, the
// previous link cancelled by a new invitation); « Mot de passe oublié ? » answers the same for any address, mails a
// link valid one hour that ends every session; « Mon compte » changes the password with the current one. The mails
// go through the outbox, the worker and a real SMTP server.

const sink = new MailSink({ httpPort: null, smtpPort: 0 })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl })
const clock = manualClock(new Date())
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
const worker = await startWorker(env.config, { clock: clock.now, relayIntervalMs: 50, log: pino({ level: 'silent' }) })
t.teardown(async () => { await worker.close(); await owner.end(); await app.close(); await sink.stop(); await env.drop() })

const STRONG = 'Cher-CAF-2026-sûr!'
const api = async (who: string | null, method: 'GET' | 'POST', url: string, payload?: object, ip?: string) =>
  app.inject({ method, url: `/api/v1${url}`, headers: who ? await bearer(app, who) : {}, ...(payload ? { payload } : {}), ...(ip ? { remoteAddress: ip } : {}) })
const orgId = async (name: string) => (await owner.query<{ id: string }>('select id from organisation where name = $1', [name])).rows[0].id
const tokenOf = (mail: ReceivedMail) => {
  const m = /jeton=([A-Za-z0-9_.-]+)/.exec(mail.text)
  if (!m) throw new Error(`no link in ${mail.text}`)
  return m[1]
}
const mailTo = (to: string, kind: string, after = 0) => sink.waitFor((m) => m.to.includes(to) && m.headers['x-relais-kind'] === kind && sink.messages.indexOf(m) >= after, 15_000)

const cafCher = await orgId('CAF du Cher')

t.test('the mission TIC invites the CAF du Cher’s admin: a mail with a link, nothing in clear in the database', async (t) => {
  const res = await api('tic@cher.demo', 'POST', `/organisations/${cafCher}/invitations`, { email: 'Directrice@CAF18.demo', name: 'Hélène Roy', role: 'org_admin' })
  t.equal(res.statusCode, 201, res.body)
  t.match(res.json(), { email: 'directrice@caf18.demo', name: 'Hélène Roy', role: 'org_admin', renewed: false })
  const days = (new Date(res.json().expiresAt).getTime() - clock.now().getTime()) / 86400_000
  t.equal(Math.round(days), 7, 'valid 7 days')
  const mail = await mailTo('directrice@caf18.demo', 'invitation')
  t.match(mail.subject, /Invitation à rejoindre Relais pour CAF du Cher/)
  t.match(mail.text, /Laurent Mercier vous invite/)
  const token = tokenOf(mail)
  const secret = token.split('.')[2]
  const stored = await owner.query('select token_hash, kind from account_link where person_id = $1', [res.json().personId])
  t.equal(stored.rows.length, 1)
  t.not(stored.rows[0].token_hash, secret, 'only a hash of the secret is stored')
  const outbox = await owner.query(`select payload::text as p from outbox where kind = 'invitation' and recipient_email = 'directrice@caf18.demo'`)
  t.notOk(outbox.rows[0].p.includes(secret), 'the pending mail holds the link’s id, not its secret')
  t.notOk((await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'directrice@caf18.demo', password: STRONG } })).statusCode === 200, 'no login before she chose a password')
  // The people list says she has not opened her account yet.
  const v = new Visitor(app)
  await v.login('tic@cher.demo')
  t.match((await v.get(`/annuaire/personnes?organisme=${cafCher}`)).body, /Hélène Roy[\s\S]*invitée, compte pas encore ouvert/)
})

t.test('re-inviting cancels the previous link; the new one opens the account, once', async (t) => {
  const first = tokenOf(await mailTo('directrice@caf18.demo', 'invitation'))
  const count = sink.messages.length
  const again = await api('tic@cher.demo', 'POST', `/organisations/${cafCher}/invitations`, { email: 'directrice@caf18.demo', name: 'Hélène Roy', role: 'org_admin' })
  t.equal(again.statusCode, 201, again.body)
  t.equal(again.json().renewed, true)
  const second = tokenOf(await mailTo('directrice@caf18.demo', 'invitation', count))
  t.not(second, first)

  const v = new Visitor(app)
  const old = await v.get(`/compte/invitation?jeton=${first}`)
  t.equal(old.statusCode, 400)
  t.match(old.body, /Ce lien n’est pas valable/)
  const oldApi = await api(null, 'POST', '/auth/invitations/accept', { token: first, password: STRONG })
  t.equal(oldApi.statusCode, 400)
  t.equal(oldApi.json().error.code, 'link_invalid')

  const page = await v.get(`/compte/invitation?jeton=${second}`)
  t.equal(page.statusCode, 200)
  t.match(page.body, /Bienvenue dans Relais/)
  t.match(page.body, /directrice@caf18\.demo/)
  t.match(page.body, /CAF du Cher/)
  const mismatch = await v.post('/compte/invitation', { jeton: second, password: STRONG, confirm: 'autre chose' })
  t.equal(mismatch.statusCode, 400)
  t.match(mismatch.body, /ne sont pas identiques/)
  const weak = await v.post('/compte/invitation', { jeton: second, password: 'court', confirm: 'court' })
  t.equal(weak.statusCode, 400)
  t.match(weak.body, /au moins 12 caractères/)
  // The same form open in another tab, sent again after the account was opened.
  const stranger = new Visitor(app)
  await stranger.get(`/compte/invitation?jeton=${second}`)
  const done = await v.post('/compte/invitation', { jeton: second, password: STRONG, confirm: STRONG })
  t.equal(done.statusCode, 303, done.body)
  t.equal(done.headers.location, '/')
  const account = await v.get('/compte')
  t.equal(account.statusCode, 200, 'logged in at once')
  t.match(account.body, /Hélène Roy/)

  const twice = await stranger.post('/compte/invitation', { jeton: second, password: STRONG, confirm: STRONG })
  t.equal(twice.statusCode, 400)
  t.match(twice.body, /Ce lien a déjà servi/)
  const twiceApi = await api(null, 'POST', '/auth/invitations/accept', { token: second, password: STRONG })
  t.equal(twiceApi.json().error.code, 'link_used')
  const invitedAgain = await api('tic@cher.demo', 'POST', `/organisations/${cafCher}/invitations`, { email: 'directrice@caf18.demo', name: 'Hélène Roy', role: 'org_admin' })
  t.equal(invitedAgain.statusCode, 409, 'someone with an account is not invited again')
  t.equal(invitedAgain.json().error.code, 'account_exists')
})

t.test('an expired link, a forged one and another tenant’s are refused', async (t) => {
  const count = sink.messages.length
  const res = await api('tic@cher.demo', 'POST', `/organisations/${cafCher}/invitations`, { email: 'agent@caf18.demo', name: 'Marc Petit', role: 'referent' })
  t.equal(res.statusCode, 201, res.body)
  const token = tokenOf(await mailTo('agent@caf18.demo', 'invitation', count))
  const [, linkId, secret] = token.split('.')
  const indre = (await owner.query<{ id: string }>(`select id from tenant where code = '36'`)).rows[0].id
  const crossed = await api(null, 'POST', '/auth/invitations/accept', { token: `${indre}.${linkId}.${secret}`, password: STRONG })
  t.equal(crossed.json().error.code, 'link_invalid', 'the same link under another tenant opens nothing')
  const forged = await api(null, 'POST', '/auth/invitations/accept', { token: `${token.split('.')[0]}.${linkId}.${'A'.repeat(43)}`, password: STRONG })
  t.equal(forged.json().error.code, 'link_invalid')
  const garbage = await api(null, 'POST', '/auth/invitations/accept', { token: 'pas-un-jeton', password: STRONG })
  t.equal(garbage.statusCode, 400)
  const asReset = await api(null, 'POST', '/auth/password-reset/confirm', { token, password: STRONG })
  t.equal(asReset.json().error.code, 'link_invalid', 'an invitation is not a reset link')
  clock.advanceMinutes(7 * 24 * 60 + 1)
  try {
    const late = await api(null, 'POST', '/auth/invitations/accept', { token, password: STRONG })
    t.equal(late.statusCode, 400)
    t.equal(late.json().error.code, 'link_expired')
    t.match(late.json().error.message, /expiré/)
  } finally {
    clock.advanceMinutes(-(7 * 24 * 60 + 1))
  }
})

t.test('who may invite whom', async (t) => {
  const cafIndre = await orgId('CAF de l’Indre')
  const other = await api('admin@caf36.demo', 'POST', `/organisations/${cafCher}/invitations`, { email: 'x@caf18.demo', name: 'X', role: 'referent' })
  t.equal(other.statusCode, 404, 'another tenant’s organisation does not exist for her')
  const secretary = await api('secretaire@ardentes.demo', 'POST', `/organisations/${cafIndre}/invitations`, { email: 'y@caf36.demo', name: 'Y', role: 'referent' })
  t.equal(secretary.statusCode, 403)
  const tic = await orgId('Mission TIC du Conseil départemental de l’Indre')
  const elsewhere = await api('admin@caf36.demo', 'POST', `/organisations/${tic}/invitations`, { email: 'z@indre.demo', name: 'Z', role: 'referent' })
  t.equal(elsewhere.statusCode, 404, 'an org admin invites into her organisation only')
  const self = await api('admin@caf36.demo', 'POST', `/organisations/${cafIndre}/invitations`, { email: 'nouvelle@caf36.demo', name: 'Nouvelle Référente', role: 'network_admin' })
  t.equal(self.statusCode, 403, 'an org admin names no network admin')
})

t.test('an org admin invites her people from her page, no password typed for them', async (t) => {
  const count = sink.messages.length
  const v = new Visitor(app)
  await v.login('admin@caf36.demo')
  const page = await v.get('/organisation/personnes')
  t.notMatch(page.body, /Mot de passe provisoire/)
  const bad = await v.post('/organisation/personnes', { name: '', email: 'pas une adresse', role: 'referent' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /L’invitation n’a pas été envoyée/)
  const ok = await v.post('/organisation/personnes', { name: 'Julie Blanc', email: 'julie.blanc@caf36.demo', role: 'referent' })
  t.equal(ok.statusCode, 303, ok.body)
  t.match((await v.get(ok.headers.location as string)).body, /L’invitation est envoyée/)
  const mail = await mailTo('julie.blanc@caf36.demo', 'invitation', count)
  t.match(mail.text, /CAF de l’Indre/)
})

t.test('forgotten password: the same answer for any address, a link valid one hour that ends every session', async (t) => {
  const login = await bearer(app, 'directrice@caf18.demo', STRONG)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/me', headers: login })).statusCode, 200)
  const count = sink.messages.length
  const known = await api(null, 'POST', '/auth/password-reset', { email: 'directrice@caf18.demo' }, '10.77.0.1')
  const unknown = await api(null, 'POST', '/auth/password-reset', { email: 'personne@nulle-part.demo' }, '10.77.0.1')
  t.equal(known.statusCode, 202)
  t.equal(unknown.statusCode, 202)
  t.same(unknown.json(), known.json(), 'nothing tells an address with an account from one without')
  const mail = await mailTo('directrice@caf18.demo', 'password_reset', count)
  t.match(mail.text, /nouveau mot de passe/)
  const token = tokenOf(mail)
  const rows = await owner.query(`select count(*)::int as n from outbox where kind = 'password_reset' and recipient_email = 'personne@nulle-part.demo'`)
  t.equal(rows.rows[0].n, 0, 'no mail for an unknown address')

  // The page: the login page links to it, and it says the same whatever the address.
  const v = new Visitor(app)
  t.match((await v.get('/connexion')).body, /href="\/mot-de-passe-oublie">Mot de passe oublié/)
  await v.get('/mot-de-passe-oublie')
  const pageAnswer = await v.post('/mot-de-passe-oublie', { email: 'inconnue@nulle-part.demo' })
  t.equal(pageAnswer.statusCode, 200)
  t.match(pageAnswer.body, /Si un compte existe à cette adresse/)

  const NEW = 'Nouveau-Mot-2026-passe!'
  const reset = await v.get(`/compte/nouveau-mot-de-passe?jeton=${token}`)
  t.equal(reset.statusCode, 200)
  const done = await v.post('/compte/nouveau-mot-de-passe', { jeton: token, password: NEW, confirm: NEW })
  t.equal(done.statusCode, 303, done.body)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/me', headers: login })).statusCode, 401, 'the session opened before ends')
  t.match((await v.get('/compte?fait=nouveau')).body, /Votre nouveau mot de passe est enregistré/)
  const old = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'directrice@caf18.demo', password: STRONG }, remoteAddress: '10.77.0.9' })
  t.equal(old.statusCode, 401, 'the old password no longer opens')
  t.ok(await bearer(app, 'directrice@caf18.demo', NEW), 'the new one does')
  const twice = await api(null, 'POST', '/auth/password-reset/confirm', { token, password: 'Encore-Un-Autre-2026!' })
  t.equal(twice.json().error.code, 'link_used')

  // A later link expires after an hour.
  const count2 = sink.messages.length
  await api(null, 'POST', '/auth/password-reset', { email: 'directrice@caf18.demo' }, '10.77.0.2')
  const later = tokenOf(await mailTo('directrice@caf18.demo', 'password_reset', count2))
  clock.advanceMinutes(61)
  try {
    const expired = await api(null, 'POST', '/auth/password-reset/confirm', { token: later, password: 'Encore-Un-Autre-2026!' })
    t.equal(expired.json().error.code, 'link_expired')
  } finally {
    clock.advanceMinutes(-61)
  }
})

t.test('forgotten-password requests are throttled like logins', async (t) => {
  const ask = () => api(null, 'POST', '/auth/password-reset', { email: 'tic@cher.demo' }, '10.78.0.1')
  const answers = []
  for (let i = 0; i < 6; i++) answers.push((await ask()).statusCode)
  t.same(answers, [202, 202, 202, 202, 202, 429])
  const last = await ask()
  t.ok(Number(last.headers['retry-after']) > 0)
  t.match(last.json().error.message, /Trop de demandes/)
})

t.test('« Mon compte »: the current password, then the new one', async (t) => {
  const who = 'tic@cher.demo'
  const me = new Visitor(app)
  await me.login(who)
  const page = await me.get('/compte')
  t.equal(page.statusCode, 200)
  t.match(page.body, /Changer mon mot de passe/)
  const wrong = await me.post('/compte/mot-de-passe', { currentPassword: 'faux', newPassword: 'Changement-2026-ok!', confirm: 'Changement-2026-ok!' })
  t.equal(wrong.statusCode, 400)
  t.match(wrong.body, /Le mot de passe actuel est incorrect/)
  const other = new Visitor(app)
  await other.login(who)
  t.equal((await other.get('/compte')).statusCode, 200)
  const ok = await me.post('/compte/mot-de-passe', { currentPassword: 'relais-demo', newPassword: 'Changement-2026-ok!', confirm: 'Changement-2026-ok!' })
  t.equal(ok.statusCode, 303, ok.body)
  const after = await me.get(ok.headers.location as string)
  t.equal(after.statusCode, 200, 'she stays logged in')
  t.match(after.body, /Votre mot de passe est changé/)
  const elsewhere = await other.get('/compte')
  t.equal(elsewhere.statusCode, 303, 'her other session ended')
  const viaApi = await api(null, 'POST', '/me/password', { currentPassword: 'x', newPassword: 'y' })
  t.equal(viaApi.statusCode, 401)
  const h = await bearer(app, who, 'Changement-2026-ok!')
  const back = await app.inject({ method: 'POST', url: '/api/v1/me/password', headers: h, payload: { currentPassword: 'Changement-2026-ok!', newPassword: 'relais-demo-Retour-2026!' } })
  t.equal(back.statusCode, 204, back.body)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/me', headers: h })).statusCode, 401, 'the API token of before ends too')
})

t.test('in production nobody types another person’s password through the API', async (t) => {
  const prod = await buildApp({ ...env.config, NODE_ENV: 'production' } as typeof env.config, { logger: false })
  t.teardown(() => prod.close())
  // A token from the development app (same database and secret): the demo password opens nothing in production.
  const headers = await bearer(app, 'tic@indre.demo')
  const caf = await orgId('CAF de l’Indre')
  const created = await prod.inject({ method: 'POST', url: '/api/v1/people', headers, payload: { organisationId: caf, email: 'tapee@caf36.demo', name: 'Tapée', role: 'referent', password: 'Caf36-Tape-2026-mdp!' } })
  t.equal(created.statusCode, 400)
  t.equal(created.json().error.code, 'password_by_invitation')
  const karim = (await owner.query<{ id: string }>(`select id from person where name = 'Karim Haddad'`)).rows[0].id
  const patched = await prod.inject({ method: 'PATCH', url: `/api/v1/people/${karim}`, headers, payload: { password: 'Caf36-Tape-2026-mdp!' } })
  t.equal(patched.statusCode, 400)
  t.equal(patched.json().error.code, 'password_by_invitation')
  const invited = await prod.inject({ method: 'POST', url: `/api/v1/organisations/${caf}/invitations`, headers, payload: { email: 'invitee@caf36.demo', name: 'Invitée', role: 'referent' } })
  t.equal(invited.statusCode, 201, invited.body)
})
