// The extranet through app.inject: forms, CSRF, field errors, 404 page, escaping. The browser test plays the journey.
import t from 'tap'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { manualClock } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'

const env = await createTestEnv()
// A Tuesday, 10:00 in Paris.
const clock = manualClock('2026-11-24T09:00:00Z')
const app = await buildApp(env.config, { logger: false, clock: clock.now })
t.teardown(async () => { await app.close(); await env.drop() })

const form = {
  themeCode: 'aides-caf', communeInsee: '36005', question: 'Madame Durand demande si elle peut bénéficier de l’allocation de soutien familial.',
  citizenName: 'Jeanne Durand', citizenEmail: 'jeanne.durand@example.org', citizenPhone: '', preferredChannel: 'email', internalNote: '',
}

/** The text of the field-error paragraph of a field, if any. */
const fieldError = (html: string, id: string) => new RegExp(`<p class="field-error" id="${id}-erreur"><span class="visually-hidden">Erreur : </span>([^<]*)</p>`).exec(html)?.[1]

async function file(v: Visitor, fields: Record<string, string> = {}) {
  await v.get('/saisines/nouvelle')
  const res = await v.post('/saisines/nouvelle', { ...form, ...fields })
  if (res.statusCode !== 303) throw new Error(`filing: ${res.statusCode} ${res.body.slice(0, 500)}`)
  return String(res.headers.location).match(/\/saisines\/([0-9a-f-]{36})/)![1]
}

t.test('login form: a French error on a wrong password, then in, with cookies httpOnly and SameSite', async (t) => {
  const v = new Visitor(app)
  const page = await v.get('/connexion')
  t.equal(page.statusCode, 200)
  t.match(page.body, /<html lang="fr">/)
  t.match(page.body, /<label for="email">Adresse électronique<\/label>/)
  const wrong = await v.post('/connexion', { email: 'secretaire@ardentes.demo', password: 'mauvais' })
  t.equal(wrong.statusCode, 401)
  t.match(wrong.body, /Adresse électronique ou mot de passe incorrect\./)
  t.match(wrong.body, /value="secretaire@ardentes.demo"/, 'the email typed is kept')
  t.notOk(v.cookies.relais_session)
  const ok = await v.post('/connexion', { email: 'secretaire@ardentes.demo', password: 'relais-demo' })
  t.equal(ok.statusCode, 303)
  t.equal(ok.headers.location, '/')
  const session = ok.cookies.find((c) => c.name === 'relais_session')!
  t.ok(session.httpOnly)
  t.equal(session.sameSite, 'Lax')
  t.equal((await v.get('/')).headers.location, '/saisines')
  const list = await v.get('/saisines')
  t.equal(list.statusCode, 200)
  t.match(list.body, /Saisines de la mairie/)
  t.match(list.body, /Sophie Bernard/)
})

t.test('empty fields on login: messages next to the fields', async (t) => {
  const v = new Visitor(app)
  await v.get('/connexion')
  const res = await v.post('/connexion', { email: '', password: '' })
  t.equal(res.statusCode, 400)
  t.equal(fieldError(res.body, 'email'), 'Saisissez votre adresse électronique.')
  t.equal(fieldError(res.body, 'password'), 'Saisissez votre mot de passe.')
})

t.test('a form without its CSRF token, or with another visitor’s, is refused with a French page', async (t) => {
  const v = new Visitor(app)
  await v.login('secretaire@ardentes.demo')
  await v.get('/saisines/nouvelle')
  const none = await v.post('/saisines/nouvelle', form, { csrf: null })
  t.equal(none.statusCode, 403)
  t.match(none.body, /Formulaire expiré/)
  const other = new Visitor(app)
  await other.get('/connexion')
  const forged = await v.post('/saisines/nouvelle', form, { csrf: other.csrf })
  t.equal(forged.statusCode, 403)
  const login = await new Visitor(app).post('/connexion', { email: 'secretaire@ardentes.demo', password: 'relais-demo' }, { csrf: 'x' })
  t.equal(login.statusCode, 403, 'the login form is protected too')
  const list = await v.get('/saisines')
  t.notMatch(list.body, /Jeanne Durand/, 'nothing was filed')
})

t.test('an empty question: the message next to the field, values kept, nothing filed', async (t) => {
  const v = new Visitor(app)
  await v.login('secretaire@ardentes.demo')
  await v.get('/saisines/nouvelle')
  const res = await v.post('/saisines/nouvelle', { ...form, question: '', citizenName: 'Paul Lenoir' })
  t.equal(res.statusCode, 400)
  t.equal(fieldError(res.body, 'question'), 'Ce champ ne peut pas être vide.')
  t.match(res.body, /aria-describedby="question-aide question-erreur"/)
  t.match(res.body, /value="Paul Lenoir"/)
  t.match(res.body, /<option value="aides-caf" selected>/)
  const noEmail = await v.post('/saisines/nouvelle', { ...form, citizenEmail: '', citizenName: 'Paul Lenoir' })
  t.equal(noEmail.statusCode, 400)
  t.match(fieldError(noEmail.body, 'citizenEmail'), /obligatoire quand l’usager préfère être contacté par courriel/)
  const badPhone = await v.post('/saisines/nouvelle', { ...form, citizenPhone: 'abc', citizenName: 'Paul Lenoir' })
  t.equal(fieldError(badPhone.body, 'citizenPhone'), 'Format invalide.')
  t.notMatch((await v.get('/saisines')).body, /Paul Lenoir/)
})

t.test('filing, the referent answers, the secretary closes: all through forms (PRG)', async (t) => {
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  const id = await file(sec, { citizenName: 'Marie Curie' })
  const filed = await sec.get(`/saisines/${id}?fait=deposee`)
  t.equal(filed.statusCode, 200)
  t.match(filed.body, /La saisine a été déposée/)
  t.match(filed.body, /CAF de l’Indre/)
  t.match(filed.body, /reste \d+ h/)

  const ref = new Visitor(app)
  await ref.login('referent@caf36.demo')
  const inbox = await ref.get('/saisines')
  t.match(inbox.body, /Marie Curie/)
  const page = await ref.get(`/saisines/${id}`)
  t.match(page.body, />Répondre</)
  t.match(page.body, />Demander un complément</)
  t.match(page.body, />Transférer</)
  t.match(page.body, />Proposer un rendez-vous</)
  t.notMatch(page.body, />Clôturer</)
  const empty = await ref.post(`/saisines/${id}/answer`, { body: '' })
  t.equal(empty.statusCode, 400)
  t.ok(fieldError(empty.body, 'answer-body'), 'message next to the answer field')
  clock.advanceMinutes(60)
  const answered = await ref.post(`/saisines/${id}/answer`, { body: 'Oui, déposer le formulaire cerfa 12045.' })
  t.equal(answered.statusCode, 303)
  t.match(String(answered.headers.location), `/saisines/${id}?fait=answer`)

  const seen = await sec.get(`/saisines/${id}`)
  t.match(seen.body, /cerfa 12045/)
  t.match(seen.body, /réponse apportée/)
  t.match(seen.body, />Clôturer</)
  const closed = await sec.post(`/saisines/${id}/close`, {})
  t.equal(closed.statusCode, 303)
  const after = await sec.get(`/saisines/${id}`)
  t.match(after.body, /clôturée/)
  t.match(after.body, />Rouvrir</)
  const again = await sec.post(`/saisines/${id}/close`, {})
  t.equal(again.statusCode, 409)
  t.match(again.body, /Impossible de clôturer cette saisine : elle est clôturée/)
})

t.test('another organisation’s or tenant’s referral: the French 404 page', async (t) => {
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  const id = await file(sec, { citizenName: 'Secret Défense' })
  for (const email of ['referent@ddt36.demo', 'secretaire@issoudun.demo', 'tic@cher.demo']) {
    const v = new Visitor(app)
    await v.login(email)
    const res = await v.get(`/saisines/${id}`)
    t.equal(res.statusCode, 404, email)
    t.match(res.body, /Page introuvable/)
    t.notMatch(res.body, /Secret Défense/)
    const act = await v.post(`/saisines/${id}/answer`, { body: 'x' })
    t.equal(act.statusCode, 404, `${email} cannot act`)
  }
  const v = new Visitor(app)
  await v.login('referent@ddt36.demo')
  t.equal((await v.get('/saisines/pas-un-identifiant')).statusCode, 404)
})

t.test('a question with <script> is shown as text, never run', async (t) => {
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  const id = await file(sec, { question: 'Bonjour <script>alert("x")</script> & merci', citizenName: '<img src=x onerror=alert(1)>' })
  const page = await sec.get(`/saisines/${id}`)
  t.notMatch(page.body, /<script>alert/)
  t.notMatch(page.body, /<img src=x/)
  t.match(page.body, /Bonjour &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; &amp; merci/)
  t.notMatch((await sec.get('/saisines')).body, /<img src=x/)
})

t.test('the link of a mail lands on the referral after login; other sites are never a return address', async (t) => {
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  const id = await file(sec, { citizenName: 'Lien Courriel' })
  const ref = new Visitor(app)
  const first = await ref.get(`/saisines/${id}`)
  t.equal(first.statusCode, 303)
  t.equal(first.headers.location, `/connexion?retour=${encodeURIComponent(`/saisines/${id}`)}`)
  const login = await ref.login('referent@caf36.demo', 'relais-demo', `/saisines/${id}`)
  t.equal(login.headers.location, `/saisines/${id}`)
  t.match((await ref.get(`/saisines/${id}`)).body, /Lien Courriel/)
  const evil = new Visitor(app)
  const res = await evil.login('referent@caf36.demo', 'relais-demo', '//evil.example/x')
  t.equal(res.headers.location, '/')
})

t.test('an expired access cookie is renewed from the refresh cookie; logout ends both', async (t) => {
  const v = new Visitor(app)
  await v.login('referent@caf36.demo')
  const oldRefresh = v.cookies.relais_refresh
  v.cookies.relais_session = 'expired.or.garbage'
  const res = await v.get('/saisines')
  t.equal(res.statusCode, 200)
  t.not(v.cookies.relais_refresh, oldRefresh, 'the refresh cookie rotated')
  t.ok(v.cookies.relais_session && v.cookies.relais_session !== 'expired.or.garbage')
  await v.post('/deconnexion', {})
  t.notOk(v.cookies.relais_session)
  t.equal((await v.get('/saisines')).statusCode, 303, 'logged out')
})

t.test('deadlines as people read them; the inbox sorted by deadline', async (t) => {
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  const a = await file(sec, { citizenName: 'Premier Déposé' })
  clock.advanceMinutes(120)
  const b = await file(sec, { citizenName: 'Second Déposé' })
  const ref = new Visitor(app)
  await ref.login('referent@caf36.demo')
  const inbox = (await ref.get('/saisines')).body
  t.ok(inbox.indexOf('Premier Déposé') < inbox.indexOf('Second Déposé'), 'soonest deadline first')
  await ref.post(`/saisines/${b}/request-info`, { body: 'Quelle est la date de la séparation ?' })
  t.match((await ref.get(`/saisines/${b}`)).body, /en pause \(complément demandé\)/)
  clock.advanceMinutes(7 * 24 * 60)
  t.match((await ref.get(`/saisines/${a}`)).body, /en retard de \d+ h/)
  const secList = (await sec.get('/saisines')).body
  // Issue 12: what waits on the mairie (its complement) comes before what is overdue at the partner's.
  t.ok(secList.indexOf('Second Déposé') < secList.indexOf('Premier Déposé'), 'the one awaiting the mairie’s complement comes first, then the overdue one')
})

t.test('mission TIC: the network at a glance, the triage queue, the directory and the SLA policy', async (t) => {
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  await file(sec, { citizenName: 'Compte Tableau' })
  const admin = new Visitor(app)
  const login = await admin.login('tic@indre.demo')
  t.equal(login.headers.location, '/')
  t.equal((await admin.get('/')).headers.location, '/tableau-de-bord')
  const board = await admin.get('/tableau-de-bord')
  t.equal(board.statusCode, 200)
  t.match(board.body, /saisines ouvertes/)
  t.match(board.body, /en retard/)
  t.match(board.body, /CAF de l’Indre/)
  const triage = await admin.get('/triage')
  t.equal(triage.statusCode, 200)
  t.match(triage.body, /File de tri/)
  const orgs = await admin.get('/annuaire/organisations?type=msap')
  t.match(orgs.body, /France services de Valençay/)
  t.notMatch(orgs.body, /CAF de l’Indre<\/th>/)
  const people = await admin.get('/annuaire/personnes?q=caf36')
  t.match(people.body, /Nathalie Roux/)
  t.match(people.body, /Karim Haddad/, 'the backup is listed')
  t.notMatch(people.body, /Isabelle Fournier/)
  t.match((await admin.get('/annuaire/themes')).body, /Aides de la CAF/)
  t.match((await admin.get('/annuaire/regles?theme=urbanisme')).body, /36088/)
  const sla = await admin.get('/annuaire/delais')
  t.equal(sla.statusCode, 200)
  t.match(sla.body, /Délai de réponse/)
  const all = await admin.get('/saisines?vue=toutes')
  t.match(all.body, /Compte Tableau/, 'the mission TIC sees the whole network')
  const cher = new Visitor(app)
  await cher.login('tic@cher.demo')
  t.notMatch((await cher.get('/saisines?vue=toutes')).body, /Compte Tableau/, 'never another tenant')
})

t.test('directory and dashboard pages are the mission TIC’s; the organisation page its admin’s', async (t) => {
  const ref = new Visitor(app)
  await ref.login('referent@caf36.demo')
  for (const url of ['/tableau-de-bord', '/triage', '/annuaire/organisations', '/annuaire/delais', '/organisation/personnes']) {
    const res = await ref.get(url)
    t.equal(res.statusCode, 403, url)
    t.match(res.body, /réservée/)
  }
  const orgAdmin = new Visitor(app)
  await orgAdmin.login('admin@caf36.demo')
  const page = await orgAdmin.get('/organisation/personnes')
  t.equal(page.statusCode, 200)
  t.match(page.body, /Nathalie Roux/)
  t.match(page.body, /Karim Haddad/)
  t.notMatch(page.body, /Isabelle Fournier/, 'only its own organisation')
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  t.equal((await sec.get('/saisines/nouvelle')).statusCode, 200)
  const refNew = await ref.get('/saisines/nouvelle')
  t.equal(refNew.statusCode, 403, 'only a mairie files')
})

t.test('a filing, by page or by API, is published to the partner’s channel after the commit', async (t) => {
  const { Redis } = await import('ioredis')
  const sub = new Redis(env.config.REDIS_URL)
  t.teardown(() => sub.disconnect())
  const received: { channel: string; message: string }[] = []
  sub.on('pmessage', (_p: string, channel: string, message: string) => received.push({ channel, message }))
  await sub.psubscribe(`${env.config.REDIS_PREFIX}:live:*`)
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  const id = await file(sec, { citizenName: 'Flux Page' })
  const token = sec.cookies.relais_session
  const api = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: { authorization: `Bearer ${token}` }, payload: { themeCode: 'aides-caf', question: 'Par l’API', citizen: { name: 'Flux API', preferredChannel: 'counter' } } })
  t.equal(api.statusCode, 201)
  const end = Date.now() + 3000
  while (received.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20))
  t.equal(received.length, 2)
  t.match(received[0].message, id)
  t.match(received[1].message, api.json().id)
  t.ok(received.every((m) => m.channel.endsWith(`:${api.json().assignedOrganisation.id}`)), 'the CAF’s channel')
})

t.test('Redis down: filing through the page still works (the live update is best effort)', async (t) => {
  const down = await buildApp({ ...env.config, REDIS_URL: 'redis://127.0.0.1:1' }, { logger: false, clock: clock.now })
  t.teardown(() => down.close())
  const v = new Visitor(down)
  const login = await v.login('secretaire@ardentes.demo')
  t.equal(login.statusCode, 303)
  const started = Date.now()
  const id = await file(v, { citizenName: 'Sans Redis' })
  t.ok(Date.now() - started < 5000, 'not held by Redis')
  t.match((await v.get(`/saisines/${id}`)).body, /Sans Redis/)
})
