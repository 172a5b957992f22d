import t from 'tap'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })

let ip = 0
async function tokenOf(email: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'relais-demo' }, remoteAddress: `10.3.0.${++ip}` })
  if (res.statusCode !== 200) throw new Error(`login ${email}: ${res.statusCode}`)
  return res.json().accessToken
}
const call = (token: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) })

/** Every item of a list, following nextCursor. */
async function walk(token: string, url: string, limit = 100): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const sep = url.includes('?') ? '&' : '?'
    const res = await call(token, 'GET', `${url}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
    items.push(...res.json().items)
    cursor = res.json().nextCursor
    pages++
  } while (cursor && pages < 100)
  return items
}

const indre = await tokenOf('tic@indre.demo')
const cher = await tokenOf('tic@cher.demo')
const cherSecretary = await tokenOf('secretaire@bourges.demo')
const indreSecretary = await tokenOf('secretaire@issoudun.demo')

const indreOrgs = await walk(indre, '/organisations', 500)
const indrePeople = await walk(indre, '/people', 500)
const indreThemes = await walk(indre, '/themes?active=false').then(async (inactive) => [...inactive, ...await walk(indre, '/themes?active=true')])
const indreRules = await walk(indre, '/routing-rules')
const indreCoverage = await walk(indre, '/coverage')
const indreCaf = indreOrgs.find((o) => o.name === 'CAF de l’Indre')!
const indreReferent = indrePeople.find((p) => p.email === 'referent@caf36.demo')!
const indreTheme = indreThemes.find((th) => th.code === 'aides-caf')!
const indreRule = indreRules.find((r) => r.themeCode === 'aides-caf')!
const indreCover = indreCoverage[0]
const indreIds = new Set([...indreOrgs, ...indrePeople, ...indreThemes, ...indreRules, ...indreCoverage].map((x) => x.id as string))

t.test('the Indre lists its 241 mairies, page after page, to a secretary too', async (t) => {
  for (const token of [indre, indreSecretary]) {
    const mairies = await walk(token, '/organisations?kind=mairie', 50)
    t.equal(mairies.length, 241)
    t.equal(new Set(mairies.map((m) => m.id)).size, 241, 'no mairie twice across pages')
    t.ok(mairies.every((m) => m.kind === 'mairie' && /^36\d{3}$/.test(m.communeInsee)))
    const oneGo = (await call(token, 'GET', '/organisations?kind=mairie&limit=500')).json()
    t.same(mairies.map((m) => m.id), oneGo.items.map((m: { id: string }) => m.id), 'pages follow the order of the whole list')
    t.equal(oneGo.nextCursor, null)
  }
  t.ok(indreOrgs.some((o) => o.communeInsee === '36005' && o.kind === 'mairie'), 'Ardentes is there')
  t.equal((await walk(cherSecretary, '/organisations?kind=mairie')).length, 3, 'the Cher has its own three')
})

t.test('the Cher sees nothing of the Indre in any list', async (t) => {
  const lists = {
    organisations: await walk(cher, '/organisations'),
    people: await walk(cher, '/people'),
    themes: [...await walk(cher, '/themes?active=true'), ...await walk(cher, '/themes?active=false')],
    routingRules: [...await walk(cher, '/routing-rules'), ...await walk(cher, '/routing-rules?active=false')],
    coverage: [...await walk(cher, '/coverage'), ...await walk(cher, '/coverage?active=false')],
  }
  for (const [name, items] of Object.entries(lists)) {
    t.ok(items.length > 0, `${name}: the Cher has its own`)
    t.notOk(items.some((x) => indreIds.has(x.id)), `${name}: no Indre row`)
    t.notOk(JSON.stringify(items).includes('Indre'), `${name}: not even a name of the Indre`)
  }
  t.ok(lists.organisations.every((o) => o.communeInsee === null || o.communeInsee.startsWith('18')))
  t.notOk(lists.routingRules.some((r) => r.territoryCode === '36' || r.territoryCode.startsWith('36')))
  t.same((await call(cher, 'GET', '/organisations?q=Indre')).json().items, [])
  t.same((await call(cher, 'GET', '/people?q=caf36')).json().items, [])
  t.same((await call(cher, 'GET', `/people?organisationId=${indreCaf.id}`)).json().items, [], 'filtering on an Indre organisation finds nothing')
  t.same((await call(cher, 'GET', `/routing-rules?organisationId=${indreCaf.id}`)).json().items, [])
  t.same((await call(cherSecretary, 'GET', '/themes')).json().items.map((th: { id: string }) => indreIds.has(th.id)).filter(Boolean), [])
})

t.test('an object of the Indre is 404 to the Cher: GET, PATCH, deactivate', async (t) => {
  const targets: [string, string, object][] = [
    ['organisation', `/organisations/${indreCaf.id}`, { name: 'CAF piratée' }],
    ['person', `/people/${indreReferent.id}`, { name: 'Personne piratée' }],
    ['theme', `/themes/${indreTheme.id}`, { label: 'Thème piraté' }],
    ['routing rule', `/routing-rules/${indreRule.id}`, { territoryCode: '18' }],
    ['coverage', `/coverage/${indreCover.id}`, { territoryCode: '18' }],
  ]
  for (const [what, url, patch] of targets) {
    for (const token of [cher, cherSecretary]) {
      const get = await call(token, 'GET', url)
      t.equal(get.statusCode, 404, `GET ${what}`)
      t.equal(get.json().error.code, 'not_found')
      t.notMatch(get.body, /Indre|caf36/, 'the answer reveals nothing')
      t.equal((await call(token, 'PATCH', url, patch)).statusCode, 404, `PATCH ${what}`)
      t.equal((await call(token, 'POST', `${url}/deactivate`)).statusCode, 404, `deactivate ${what}`)
    }
  }
  // Nothing changed on the Indre's side.
  t.match((await call(indre, 'GET', `/organisations/${indreCaf.id}`)).json(), { name: 'CAF de l’Indre', status: 'active' })
  t.match((await call(indre, 'GET', `/people/${indreReferent.id}`)).json(), { name: indreReferent.name, active: true })
  t.match((await call(indre, 'GET', `/themes/${indreTheme.id}`)).json(), { label: indreTheme.label, active: true })
  t.match((await call(indre, 'GET', `/routing-rules/${indreRule.id}`)).json(), { territoryCode: '36', active: true })
  t.match((await call(indre, 'GET', `/coverage/${indreCover.id}`)).json(), { active: true })
  t.equal((await tokenOf('referent@caf36.demo')).length > 0, true, 'the Indre referent still logs in')
})

t.test('the Cher cannot point at the Indre from its own objects', async (t) => {
  const cherCaf = (await call(cher, 'GET', '/organisations?q=CAF')).json().items[0]
  const cherPeople = await walk(cher, '/people')
  const cherReferent = cherPeople.find((p) => p.email === 'referent@caf18.demo')!

  const rule = await call(cher, 'POST', '/routing-rules', { themeCode: 'aides-caf', territoryKind: 'commune', territoryCode: '18033', organisationId: indreCaf.id })
  t.equal(rule.statusCode, 400)
  t.match(rule.json().error.details, [{ path: 'organisationId', message: /introuvable/ }])
  const referent = await call(cher, 'POST', '/routing-rules', { themeCode: 'aides-caf', territoryKind: 'commune', territoryCode: '18033', organisationId: cherCaf.id, personId: indreReferent.id })
  t.match(referent.json().error.details, [{ path: 'personId', message: /introuvable/ }])
  const territory = await call(cher, 'POST', '/routing-rules', { themeCode: 'aides-caf', territoryKind: 'commune', territoryCode: '36005', organisationId: cherCaf.id })
  t.match(territory.json().error.details, [{ path: 'territoryCode', message: /département 18/ }])

  const backup = await call(cher, 'PATCH', `/people/${cherReferent.id}`, { backupPersonId: indreReferent.id })
  t.equal(backup.statusCode, 400)
  t.match(backup.json().error.details, [{ path: 'backupPersonId' }])
  const move = await call(cher, 'PATCH', `/people/${cherReferent.id}`, { organisationId: indreCaf.id })
  t.equal(move.statusCode, 400)
  const create = await call(cher, 'POST', '/people', { organisationId: indreCaf.id, email: 'taupe@cher.demo', name: 'Taupe', role: 'referent' })
  t.equal(create.statusCode, 400)
  t.match(create.json().error.details, [{ path: 'organisationId' }])

  // The same email may exist in two tenants: uniqueness is per tenant.
  const cherTic = cherPeople.find((p) => p.role === 'network_admin')!
  const twin = await call(cher, 'POST', '/people', { organisationId: cherTic.organisationId, email: 'referent@caf36.demo', name: 'Homonyme', role: 'referent' })
  t.equal(twin.statusCode, 201)
  t.equal((await walk(indre, '/people?q=referent@caf36.demo')).length, 1, 'the Indre still has only its own')
})
