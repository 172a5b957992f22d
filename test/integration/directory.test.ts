import t from 'tap'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })

let ip = 0
async function login(email: string, password = 'relais-demo') {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: `10.1.0.${++ip}` })
  return res
}
async function tokenOf(email: string, password?: string): Promise<string> {
  const res = await login(email, password)
  if (res.statusCode !== 200) throw new Error(`login ${email}: ${res.statusCode} ${res.body}`)
  return res.json().accessToken
}
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'
const call = (token: string, method: Method, url: string, payload?: unknown) =>
  app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) })

const tic = await tokenOf('tic@indre.demo')
const cafAdmin = await tokenOf('admin@caf36.demo')
const secretary = await tokenOf('secretaire@ardentes.demo')
const referent = await tokenOf('referent@caf36.demo')

async function orgByName(name: string) {
  const res = await call(tic, 'GET', `/organisations?q=${encodeURIComponent(name)}`)
  const found = res.json().items.find((o: { name: string }) => o.name === name)
  if (!found) throw new Error(`no organisation ${name}`)
  return found as { id: string; name: string; kind: string }
}
async function personByEmail(email: string) {
  const res = await call(tic, 'GET', `/people?q=${encodeURIComponent(email)}`)
  const found = res.json().items.find((p: { email: string }) => p.email === email)
  if (!found) throw new Error(`no person ${email}`)
  return found as { id: string; organisationId: string; role: string; backupPersonId: string | null }
}
const caf = await orgByName('CAF de l’Indre')
const ddt = await orgByName('DDT de l’Indre')
const tic36 = await orgByName('Mission TIC du Conseil départemental de l’Indre')
const ardentes = (await call(tic, 'GET', '/organisations?kind=mairie&communeInsee=36005')).json().items[0]
const ddtReferent = await personByEmail('referent@ddt36.demo')
const cafReferent = await personByEmail('referent@caf36.demo')
const cafReferent2 = await personByEmail('referent2@caf36.demo')
const STRONG = 'Correct-Cheval-Pile-42'

t.test('organisations: the mission TIC creates, reads, updates and suspends; everyone reads', async (t) => {
  const created = await call(tic, 'POST', '/organisations', { kind: 'partner', name: 'MSA Berry-Touraine', shortName: 'MSA', email: 'Contact@MSA.demo' })
  t.equal(created.statusCode, 201)
  const org = created.json()
  t.match(org, { kind: 'partner', name: 'MSA Berry-Touraine', shortName: 'MSA', email: 'contact@msa.demo', status: 'onboarding', communeInsee: null })
  t.equal((await call(secretary, 'GET', `/organisations/${org.id}`)).json().name, 'MSA Berry-Touraine', 'a secretary reads an organisation')

  const patched = await call(tic, 'PATCH', `/organisations/${org.id}`, { status: 'active', address: '19 rue de la Poste, 36000 Châteauroux' })
  t.equal(patched.statusCode, 200)
  t.match(patched.json(), { status: 'active', address: '19 rue de la Poste, 36000 Châteauroux', name: 'MSA Berry-Touraine' })

  const listed = await call(tic, 'GET', '/organisations?kind=partner&q=berry')
  t.same(listed.json().items.map((o: { id: string }) => o.id), [org.id], 'filters by kind and name, case-insensitively')
  t.same((await call(tic, 'GET', '/organisations?q=100%25')).json().items, [], 'a % typed by the user is literal')

  const msap = await call(tic, 'POST', '/organisations', {
    kind: 'msap', name: 'France services d’Éguzon', communeInsee: '36070', address: 'Place du Marché',
    openingHours: { mon: [{ opens: '09:00', closes: '12:00' }], thu: [{ opens: '14:00', closes: '17:30' }] },
  })
  t.equal(msap.statusCode, 201)
  t.same(msap.json().openingHours, { mon: [{ opens: '09:00', closes: '12:00' }], thu: [{ opens: '14:00', closes: '17:30' }] })

  const suspended = await call(tic, 'POST', `/organisations/${org.id}/deactivate`)
  t.equal(suspended.statusCode, 200)
  t.equal(suspended.json().status, 'suspended')
  t.equal((await call(tic, 'GET', `/organisations/${org.id}`)).json().status, 'suspended', 'nothing is deleted')
  t.same((await call(tic, 'GET', '/organisations?status=suspended')).json().items.map((o: { id: string }) => o.id), [org.id])
})

t.test('organisations: validation errors name their field, duplicates are 409', async (t) => {
  const noCommune = await call(tic, 'POST', '/organisations', { kind: 'mairie', name: 'Mairie sans commune' })
  t.equal(noCommune.statusCode, 400)
  t.match(noCommune.json().error, { code: 'validation_failed', details: [{ path: 'communeInsee', message: /obligatoire/ }] })

  const bad = await call(tic, 'POST', '/organisations', { kind: 'ministère', name: '', email: 'pas-une-adresse' })
  t.equal(bad.statusCode, 400)
  const paths = bad.json().error.details.map((d: { path: string }) => d.path).sort()
  t.same(paths, ['email', 'kind', 'name'])
  t.ok(bad.json().error.details.every((d: { message: string }) => /[a-zàéè]/i.test(d.message)))

  // Spaces only: a name the schema lets through (it counts characters) but no name at all; it was a 500.
  const blank = await call(tic, 'POST', '/organisations', { kind: 'partner', name: '   ', status: 'onboarding' })
  t.equal(blank.statusCode, 400, blank.body)
  t.match(blank.json().error.details, [{ path: 'name', message: /obligatoire/ }])
  const created = (await call(tic, 'POST', '/organisations', { kind: 'partner', name: 'Organisme au nom vide ensuite' })).json()
  t.equal((await call(tic, 'PATCH', `/organisations/${created.id}`, { name: ' ' })).statusCode, 400, 'nor when renamed')

  const otherDept = await call(tic, 'POST', '/organisations', { kind: 'mairie', name: 'Mairie de Bourges', communeInsee: '18033' })
  t.equal(otherDept.statusCode, 400)
  t.match(otherDept.json().error.details, [{ path: 'communeInsee', message: /n’est pas une commune du département/ }])

  const dup = await call(tic, 'POST', '/organisations', { kind: 'mairie', name: 'Mairie d’Ardentes (bis)', communeInsee: '36005' })
  t.equal(dup.statusCode, 409)
  t.equal(dup.json().error.code, 'mairie_exists')

  const unknownField = await call(tic, 'PATCH', `/organisations/${caf.id}`, { colour: 'bleu' })
  t.equal(unknownField.statusCode, 400)
  t.match(unknownField.json().error.details, [{ message: 'Champ inconnu : colour.' }])
  t.equal((await call(tic, 'PATCH', `/organisations/${ardentes.id}`, { communeInsee: null })).statusCode, 400, 'a mairie keeps its commune')
  t.equal((await call(tic, 'GET', '/organisations/not-a-uuid')).statusCode, 400)
  t.equal((await call(tic, 'GET', '/organisations/00000000-0000-4000-8000-000000000000')).statusCode, 404)
})

t.test('only the mission TIC writes organisations, themes and routing', async (t) => {
  for (const token of [secretary, referent, cafAdmin]) {
    t.equal((await call(token, 'POST', '/organisations', { kind: 'partner', name: 'Intrus' })).statusCode, 403)
    t.equal((await call(token, 'PATCH', `/organisations/${caf.id}`, { name: 'Renommée' })).statusCode, 403)
    t.equal((await call(token, 'POST', `/organisations/${ddt.id}/deactivate`)).statusCode, 403)
    t.equal((await call(token, 'POST', '/themes', { code: 'intrus', label: 'Intrus' })).statusCode, 403)
    t.equal((await call(token, 'GET', '/routing-rules')).statusCode, 403)
    t.equal((await call(token, 'POST', '/routing-rules', { themeCode: 'urbanisme', territoryKind: 'commune', territoryCode: '36005', organisationId: ddt.id })).statusCode, 403)
    t.equal((await call(token, 'GET', '/coverage')).statusCode, 403)
  }
  const forbidden = await call(secretary, 'POST', '/themes', { code: 'intrus', label: 'Intrus' })
  t.match(forbidden.json().error, { code: 'forbidden', message: /mission TIC/ })
  t.equal((await call(tic, 'GET', `/organisations/${caf.id}`)).json().name, 'CAF de l’Indre', 'nothing changed')
})

t.test('secretaries read the mairies and the active themes, not the people', async (t) => {
  const mairies = await call(secretary, 'GET', '/organisations?kind=mairie&limit=5')
  t.equal(mairies.statusCode, 200)
  t.equal(mairies.json().items.length, 5)
  t.ok(mairies.json().items.every((o: { kind: string }) => o.kind === 'mairie'))
  const themes = await call(secretary, 'GET', '/themes')
  t.equal(themes.statusCode, 200)
  t.equal(themes.json().items.length, 10)
  t.match(themes.json().items[0], { id: String, code: String, label: String })
  t.equal((await call(secretary, 'GET', '/people')).statusCode, 403)
  t.equal((await call(secretary, 'POST', '/people', { organisationId: ardentes.id, email: 'x@ardentes.demo', name: 'X', role: 'secretary' })).statusCode, 403)
  t.equal((await call(secretary, 'GET', `/people/${ddtReferent.id}`)).statusCode, 403)
  t.equal((await call(referent, 'GET', `/people/${cafReferent.id}`)).statusCode, 200, 'a person reads their own entry')
})

t.test('people: creation with a password that follows the policy, then login', async (t) => {
  const weak = await call(tic, 'POST', '/people', { organisationId: ddt.id, email: 'nouveau@ddt36.demo', name: 'Paul Nouveau', role: 'referent', password: 'court' })
  t.equal(weak.statusCode, 400)
  t.match(weak.json().error, { code: 'weak_password', message: /au moins 12 caractères/, details: [{ path: 'password' }] })

  const created = await call(tic, 'POST', '/people', { organisationId: ddt.id, email: 'Nouveau@DDT36.demo', name: 'Paul Nouveau', role: 'referent', password: STRONG })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { email: 'nouveau@ddt36.demo', role: 'referent', active: true, hasPassword: true, organisationId: ddt.id, organisationName: 'DDT de l’Indre' })
  t.notOk('passwordHash' in created.json() || 'password_hash' in created.json(), 'the hash never leaves the server')
  t.equal((await login('nouveau@ddt36.demo', STRONG)).statusCode, 200)

  const noPassword = await call(tic, 'POST', '/people', { organisationId: ddt.id, email: 'sans-mdp@ddt36.demo', name: 'Sans Mot de passe', role: 'referent' })
  t.equal(noPassword.statusCode, 201)
  t.equal(noPassword.json().hasPassword, false)

  const dup = await call(tic, 'POST', '/people', { organisationId: caf.id, email: 'NOUVEAU@ddt36.demo', name: 'Doublon', role: 'referent' })
  t.equal(dup.statusCode, 409)
  t.match(dup.json().error, { code: 'email_taken', message: /déjà/, details: [{ path: 'email' }] })
  const dupPatch = await call(tic, 'PATCH', `/people/${noPassword.json().id}`, { email: 'referent@ddt36.demo' })
  t.equal(dupPatch.statusCode, 409, 'changing to an address in use is a conflict too')

  const invalid = await call(tic, 'POST', '/people', { organisationId: 'x', email: 'pas-une-adresse', name: 'A', role: 'chef' })
  t.equal(invalid.statusCode, 400)
  t.same(invalid.json().error.details.map((d: { path: string }) => d.path).sort(), ['email', 'organisationId', 'role'])
  const missing = await call(tic, 'POST', '/people', { email: 'a@b.demo' })
  t.match(missing.json().error.details, [{ path: 'organisationId', message: 'Ce champ est obligatoire.' }])

  const unknownOrg = await call(tic, 'POST', '/people', { organisationId: '00000000-0000-4000-8000-000000000000', email: 'a@b.demo', name: 'A', role: 'referent' })
  t.equal(unknownOrg.statusCode, 400)
  t.match(unknownOrg.json().error.details, [{ path: 'organisationId', message: /introuvable/ }])

  const adminInPartner = await call(tic, 'POST', '/people', { organisationId: caf.id, email: 'chef@caf36.demo', name: 'Chef', role: 'network_admin' })
  t.equal(adminInPartner.statusCode, 400)
  t.match(adminInPartner.json().error.details, [{ path: 'role', message: /mission TIC/ }])
  t.equal((await call(tic, 'POST', '/people', { organisationId: tic36.id, email: 'adjoint@indre.demo', name: 'Adjoint TIC', role: 'network_admin' })).statusCode, 201)
})

t.test('people: absence period and backup person', async (t) => {
  const set = await call(tic, 'PATCH', `/people/${ddtReferent.id}`, {
    absentFrom: '2026-08-01T00:00:00.000Z', absentUntil: '2026-08-22T00:00:00.000Z',
  })
  t.equal(set.statusCode, 200)
  t.match(set.json(), { absentFrom: '2026-08-01T00:00:00.000Z', absentUntil: '2026-08-22T00:00:00.000Z' })

  const backwards = await call(tic, 'PATCH', `/people/${ddtReferent.id}`, { absentUntil: '2026-07-01T00:00:00.000Z' })
  t.equal(backwards.statusCode, 400)
  t.match(backwards.json().error.details, [{ path: 'absentUntil', message: /postérieure/ }])
  t.equal((await call(tic, 'PATCH', `/people/${ddtReferent.id}`, { absentFrom: 'demain' })).json().error.details[0].path, 'absentFrom')

  const otherOrg = await call(tic, 'PATCH', `/people/${ddtReferent.id}`, { backupPersonId: cafReferent2.id })
  t.equal(otherOrg.statusCode, 400)
  t.match(otherOrg.json().error.details, [{ path: 'backupPersonId', message: /même organisation/ }])
  const self = await call(tic, 'PATCH', `/people/${ddtReferent.id}`, { backupPersonId: ddtReferent.id })
  t.match(self.json().error.details, [{ path: 'backupPersonId', message: /propre suppléante/ }])

  const colleague = await personByEmail('nouveau@ddt36.demo')
  const ok = await call(tic, 'PATCH', `/people/${ddtReferent.id}`, { backupPersonId: colleague.id })
  t.equal(ok.statusCode, 200)
  t.equal(ok.json().backupPersonId, colleague.id)
  const cleared = await call(tic, 'PATCH', `/people/${ddtReferent.id}`, { absentFrom: null, absentUntil: null, backupPersonId: null })
  t.match(cleared.json(), { absentFrom: null, absentUntil: null, backupPersonId: null })

  const inactive = await call(tic, 'POST', '/people', { organisationId: ddt.id, email: 'parti@ddt36.demo', name: 'Parti', role: 'referent' })
  await call(tic, 'POST', `/people/${inactive.json().id}/deactivate`)
  const toInactive = await call(tic, 'PATCH', `/people/${ddtReferent.id}`, { backupPersonId: inactive.json().id })
  t.match(toInactive.json().error.details, [{ path: 'backupPersonId', message: /active/ }])
})

t.test('an organisation admin manages the people of its own organisation only', async (t) => {
  const list = await call(cafAdmin, 'GET', '/people')
  t.equal(list.statusCode, 200)
  t.ok(list.json().items.length >= 3)
  t.ok(list.json().items.every((p: { organisationId: string }) => p.organisationId === caf.id), 'only CAF people')
  t.equal((await call(cafAdmin, 'GET', `/people?organisationId=${ddt.id}`)).statusCode, 403)
  t.equal((await call(cafAdmin, 'GET', `/people/${ddtReferent.id}`)).statusCode, 403)
  t.equal((await call(cafAdmin, 'GET', `/people/${cafReferent.id}`)).statusCode, 200)

  const created = await call(cafAdmin, 'POST', '/people', { organisationId: caf.id, email: 'stagiaire@caf36.demo', name: 'Léa Stagiaire', role: 'referent' })
  t.equal(created.statusCode, 201)
  t.equal((await call(cafAdmin, 'POST', '/people', { organisationId: ddt.id, email: 'x@ddt36.demo', name: 'X', role: 'referent' })).statusCode, 403)
  const promote = await call(cafAdmin, 'POST', '/people', { organisationId: caf.id, email: 'y@caf36.demo', name: 'Y', role: 'network_admin' })
  t.equal(promote.statusCode, 403)
  t.match(promote.json().error.message, /mission TIC/)

  const absence = await call(cafAdmin, 'PATCH', `/people/${cafReferent.id}`, { absentFrom: '2026-12-20T08:00:00Z', absentUntil: '2027-01-04T08:00:00Z', backupPersonId: created.json().id })
  t.equal(absence.statusCode, 200)
  t.equal(absence.json().backupPersonId, created.json().id)
  t.equal((await call(cafAdmin, 'PATCH', `/people/${cafReferent.id}`, { role: 'network_admin' })).statusCode, 403)
  t.equal((await call(cafAdmin, 'PATCH', `/people/${cafReferent.id}`, { organisationId: ddt.id })).statusCode, 403, 'cannot hand a person to another organisation')
  t.equal((await call(cafAdmin, 'PATCH', `/people/${ddtReferent.id}`, { name: 'Piraté' })).statusCode, 403)
  t.equal((await call(cafAdmin, 'POST', `/people/${ddtReferent.id}/deactivate`)).statusCode, 403)
  t.equal((await call(tic, 'GET', `/people/${ddtReferent.id}`)).json().name, 'Isabelle Fournier', 'the DDT referent is untouched')

  const gone = await call(cafAdmin, 'POST', `/people/${created.json().id}/deactivate`)
  t.equal(gone.statusCode, 200)
  t.equal(gone.json().active, false)
  const me = await personByEmail('admin@caf36.demo')
  t.equal((await call(cafAdmin, 'POST', `/people/${me.id}/deactivate`)).statusCode, 403, 'nobody deactivates their own account')
})

t.test('deactivating a person ends their sessions at once', async (t) => {
  const created = await call(tic, 'POST', '/people', { organisationId: caf.id, email: 'sortant@caf36.demo', name: 'Sortant', role: 'referent', password: STRONG })
  const session = await login('sortant@caf36.demo', STRONG)
  t.equal(session.statusCode, 200)
  const token = session.json().accessToken
  const cookie = session.cookies.find((c) => c.name === 'relais_refresh')!.value
  t.equal((await call(token, 'GET', '/me')).statusCode, 200)

  const off = await call(cafAdmin, 'POST', `/people/${created.json().id}/deactivate`)
  t.equal(off.statusCode, 200)
  t.equal(off.json().active, false)
  const after = await call(token, 'GET', '/me')
  t.equal(after.statusCode, 401, 'the access token stops working before it expires')
  t.equal(after.json().error.code, 'unauthenticated')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { relais_refresh: cookie } })).statusCode, 401, 'the refresh session is revoked')
  t.equal((await login('sortant@caf36.demo', STRONG)).statusCode, 401, 'and the person cannot log in again')

  const back = await call(tic, 'PATCH', `/people/${created.json().id}`, { active: true })
  t.equal(back.json().active, true)
  t.equal((await login('sortant@caf36.demo', STRONG)).statusCode, 200, 'reactivation lets them in again')
})

t.test('a new password set by an admin ends the old sessions', async (t) => {
  const created = await call(tic, 'POST', '/people', { organisationId: caf.id, email: 'oubli@caf36.demo', name: 'Oubli', role: 'referent', password: STRONG })
  const token = (await login('oubli@caf36.demo', STRONG)).json().accessToken
  t.equal((await call(cafAdmin, 'PATCH', `/people/${created.json().id}`, { password: 'Nouveau-Mot-De-Passe-2026' })).statusCode, 200)
  t.equal((await call(token, 'GET', '/me')).statusCode, 401)
  t.equal((await login('oubli@caf36.demo', 'Nouveau-Mot-De-Passe-2026')).statusCode, 200)
})

t.test('pagination: limit, nextCursor, invalid cursors', async (t) => {
  const first = await call(tic, 'GET', '/organisations?kind=partner&limit=2')
  t.equal(first.statusCode, 200)
  t.equal(first.json().items.length, 2)
  t.type(first.json().nextCursor, 'string')
  const second = await call(tic, 'GET', `/organisations?kind=partner&limit=2&cursor=${first.json().nextCursor}`)
  t.equal(second.json().items.length, 2)
  const names = [...first.json().items, ...second.json().items].map((o: { name: string }) => o.name)
  t.equal(new Set(names).size, 4, 'pages do not overlap')
  const all = await call(tic, 'GET', '/organisations?kind=partner&limit=500')
  t.same(all.json().items.slice(0, 4).map((o: { name: string }) => o.name), names, 'pages follow the full order')
  t.equal(all.json().nextCursor, null)

  for (const cursor of ['abc', Buffer.from('["x"]').toString('base64url'), Buffer.from('["x","not-a-uuid"]').toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
    const res = await call(tic, 'GET', `/organisations?cursor=${cursor}`)
    t.equal(res.statusCode, 400, cursor)
    t.equal(res.json().error.code, 'invalid_cursor')
  }
  t.equal((await call(tic, 'GET', '/people?cursor=abc')).json().error.code, 'invalid_cursor')
  t.equal((await call(tic, 'GET', '/routing-rules?cursor=abc')).json().error.code, 'invalid_cursor')
  for (const limit of ['0', '501', 'dix']) {
    const res = await call(tic, 'GET', `/organisations?limit=${limit}`)
    t.equal(res.statusCode, 400)
    t.match(res.json().error.details, [{ path: 'querystring.limit' }])
  }

  const rules: string[] = []
  let cursor: string | null = null
  do {
    const res = await call(tic, 'GET', `/routing-rules?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
    rules.push(...res.json().items.map((r: { id: string }) => r.id))
    cursor = res.json().nextCursor
  } while (cursor)
  t.equal(new Set(rules).size, rules.length)
  t.same(rules, (await call(tic, 'GET', '/routing-rules?limit=500')).json().items.map((r: { id: string }) => r.id), 'routing rules page through in one order')
})

t.test('themes: create, rename, duplicate code, deactivate', async (t) => {
  const created = await call(tic, 'POST', '/themes', { code: 'energie', label: 'Énergie et chèque énergie', slaResponseMinutes: 2880 })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { code: 'energie', label: 'Énergie et chèque énergie', slaResponseMinutes: 2880, active: true })
  const dup = await call(tic, 'POST', '/themes', { code: 'energie', label: 'Autre' })
  t.equal(dup.statusCode, 409)
  t.equal(dup.json().error.code, 'theme_code_taken')
  const badCode = await call(tic, 'POST', '/themes', { code: 'Énergie !', label: 'x', slaResponseMinutes: 0 })
  t.same(badCode.json().error.details.map((d: { path: string }) => d.path).sort(), ['code', 'slaResponseMinutes'])

  const renamed = await call(tic, 'PATCH', `/themes/${created.json().id}`, { label: 'Énergie', slaResponseMinutes: null })
  t.match(renamed.json(), { label: 'Énergie', slaResponseMinutes: null })
  t.ok((await call(secretary, 'GET', '/themes?q=nergie')).json().items.some((th: { code: string }) => th.code === 'energie'))

  t.equal((await call(tic, 'POST', `/themes/${created.json().id}/deactivate`)).json().active, false)
  t.notOk((await call(secretary, 'GET', '/themes')).json().items.some((th: { code: string }) => th.code === 'energie'), 'secretaries no longer see it')
  t.notOk((await call(secretary, 'GET', '/themes?active=false')).json().items.some((th: { code: string }) => th.code === 'energie'))
  t.equal((await call(secretary, 'GET', `/themes/${created.json().id}`)).statusCode, 404)
  t.ok((await call(tic, 'GET', '/themes?active=false')).json().items.some((th: { code: string }) => th.code === 'energie'), 'the mission TIC still does')
  const rule = await call(tic, 'POST', '/routing-rules', { themeCode: 'energie', territoryKind: 'departement', territoryCode: '36', organisationId: caf.id })
  t.match(rule.json().error.details, [{ path: 'themeCode', message: /désactivé/ }], 'an inactive theme cannot be routed')
})

t.test('routing rules: territory checks, referent checks, duplicates, filters', async (t) => {
  const created = await call(tic, 'POST', '/routing-rules', { themeCode: 'logement-social', territoryKind: 'commune', territoryCode: '36005', organisationId: ddt.id, personId: ddtReferent.id })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { themeCode: 'logement-social', territoryKind: 'commune', territoryCode: '36005', organisationId: ddt.id, organisationName: 'DDT de l’Indre', personId: ddtReferent.id, personEmail: 'referent@ddt36.demo', active: true })
  const dup = await call(tic, 'POST', '/routing-rules', { themeCode: 'logement-social', territoryKind: 'commune', territoryCode: '36005', organisationId: caf.id })
  t.equal(dup.statusCode, 409)
  t.equal(dup.json().error.code, 'routing_rule_exists')

  const epci = await call(tic, 'POST', '/routing-rules', { themeCode: 'logement-social', territoryKind: 'epci', territoryCode: '243600327', organisationId: caf.id })
  t.equal(epci.statusCode, 201, 'an EPCI with communes in the Indre')

  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ territoryKind: 'commune', territoryCode: '18033' }, 'territoryCode', /commune du département 36/],
    [{ territoryKind: 'commune', territoryCode: '99999' }, 'territoryCode', /code INSEE/],
    [{ territoryKind: 'epci', territoryCode: '241800507' }, 'territoryCode', /EPCI/],
    [{ territoryKind: 'departement', territoryCode: '18' }, 'territoryCode', /doit être 36/],
    [{ organisationId: ardentes.id }, 'organisationId', /mairie/],
    [{ personId: cafReferent.id }, 'personId', /n’appartient pas/],
    [{ personId: (await personByEmail('admin@caf36.demo')).id, organisationId: caf.id }, 'personId', /pas un référent/],
    [{ themeCode: 'inconnu' }, 'themeCode', /inconnu/],
    [{ organisationId: '00000000-0000-4000-8000-000000000000' }, 'organisationId', /introuvable/],
  ]
  for (const [change, path, message] of cases) {
    const res = await call(tic, 'POST', '/routing-rules', { themeCode: 'autre', territoryKind: 'commune', territoryCode: '36088', organisationId: ddt.id, ...change })
    t.equal(res.statusCode, 400, JSON.stringify(change))
    t.match(res.json().error, { code: 'validation_failed', details: [{ path, message }] }, JSON.stringify(change))
  }
  const schema = await call(tic, 'POST', '/routing-rules', { themeCode: 'autre', territoryKind: 'canton', territoryCode: '36005' })
  t.same(schema.json().error.details.map((d: { path: string }) => d.path).sort(), ['organisationId', 'territoryKind'])

  const byTheme = await call(tic, 'GET', '/routing-rules?themeCode=logement-social')
  t.same(byTheme.json().items.map((r: { territoryKind: string }) => r.territoryKind).sort(), ['commune', 'departement', 'epci'])
  const byKind = await call(tic, 'GET', '/routing-rules?territoryKind=commune')
  t.ok(byKind.json().items.every((r: { territoryKind: string }) => r.territoryKind === 'commune'))
  t.ok(byKind.json().items.length >= 2)
  const byOrg = await call(tic, 'GET', `/routing-rules?organisationId=${ddt.id}`)
  t.ok(byOrg.json().items.every((r: { organisationId: string }) => r.organisationId === ddt.id))
  t.ok(byOrg.json().items.length >= 3)

  const moved = await call(tic, 'PATCH', `/routing-rules/${created.json().id}`, { organisationId: caf.id })
  t.equal(moved.statusCode, 400, 'the referent would no longer belong to the organisation')
  const moved2 = await call(tic, 'PATCH', `/routing-rules/${created.json().id}`, { organisationId: caf.id, personId: cafReferent.id })
  t.equal(moved2.statusCode, 200)
  t.match(moved2.json(), { organisationId: caf.id, personEmail: 'referent@caf36.demo' })

  const off = await call(tic, 'POST', `/routing-rules/${created.json().id}/deactivate`)
  t.equal(off.json().active, false)
  t.notOk((await call(tic, 'GET', '/routing-rules?territoryKind=commune')).json().items.some((r: { id: string }) => r.id === created.json().id))
  t.ok((await call(tic, 'GET', '/routing-rules?territoryKind=commune&active=false')).json().items.some((r: { id: string }) => r.id === created.json().id), 'history stays')
  t.equal((await call(tic, 'PATCH', `/routing-rules/${created.json().id}`, { organisationId: ddt.id })).statusCode, 409)
  t.equal((await call(tic, 'POST', '/routing-rules', { themeCode: 'logement-social', territoryKind: 'commune', territoryCode: '36005', organisationId: ddt.id })).statusCode, 201, 'a retired rule frees its place')
  t.equal((await call(secretary, 'GET', `/routing-rules/${created.json().id}`)).statusCode, 403)
})

t.test('coverage: organisation and optional referent × theme × territory', async (t) => {
  const created = await call(tic, 'POST', '/coverage', { themeCode: 'urbanisme', territoryKind: 'epci', territoryCode: '243600236', organisationId: ddt.id, personId: ddtReferent.id })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { themeCode: 'urbanisme', territoryKind: 'epci', territoryCode: '243600236', personEmail: 'referent@ddt36.demo' })
  const orgWide = await call(tic, 'POST', '/coverage', { themeCode: 'urbanisme', territoryKind: 'epci', territoryCode: '243600236', organisationId: ddt.id })
  t.equal(orgWide.statusCode, 201, 'the organisation as a whole is another entry')
  t.equal((await call(tic, 'POST', '/coverage', { themeCode: 'urbanisme', territoryKind: 'epci', territoryCode: '243600236', organisationId: ddt.id })).json().error.code, 'coverage_exists')
  const list = await call(tic, 'GET', `/coverage?personId=${ddtReferent.id}`)
  t.ok(list.json().items.length >= 3, 'seeded coverage plus the new one')
  t.ok(list.json().items.every((c: { personId: string }) => c.personId === ddtReferent.id))
  t.equal((await call(tic, 'GET', `/coverage/${created.json().id}`)).json().id, created.json().id)
  t.equal((await call(tic, 'POST', `/coverage/${orgWide.json().id}/deactivate`)).json().active, false)
  t.equal((await call(cafAdmin, 'GET', `/coverage/${created.json().id}`)).statusCode, 403)
})

t.test('the OpenAPI document describes the directory', async (t) => {
  const doc = (await app.inject('/api/docs/json')).json()
  for (const p of ['/api/v1/organisations', '/api/v1/organisations/{id}', '/api/v1/people/{id}/deactivate', '/api/v1/themes', '/api/v1/routing-rules', '/api/v1/routing-rules.csv', '/api/v1/routing-rules/import', '/api/v1/coverage/import']) {
    t.ok(doc.paths[p], p)
  }
  t.ok(doc.paths['/api/v1/people'].post.responses['201'], 'response schemas are documented')
  t.ok(doc.paths['/api/v1/routing-rules/import'].post.requestBody.content['text/csv'])
})
