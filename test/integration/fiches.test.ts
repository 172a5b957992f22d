import t from 'tap'
import pg from 'pg'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { accessToken } from '../helpers/security.ts'

// The knowledge base through the API: who writes, who reads, versions, search, deflections, hostile Markdown.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
t.teardown(async () => { await app.close(); await owner.end(); await env.drop() })

type Method = 'GET' | 'POST' | 'PATCH'
const call = (token: string, method: Method, url: string, payload?: unknown) =>
  app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) })

const tic = await accessToken(app, 'tic@indre.demo')
const cafReferent = await accessToken(app, 'referent@caf36.demo')
const cafAdmin = await accessToken(app, 'admin@caf36.demo')
const ddtReferent = await accessToken(app, 'referent@ddt36.demo')
const secretary = await accessToken(app, 'secretaire@ardentes.demo')
const cherSecretary = await accessToken(app, 'secretaire@bourges.demo')

const draft = { title: 'Aide au permis de conduire pour les jeunes', body: 'La CAF peut aider un jeune de **17 à 25 ans** à financer son *permis de conduire*.', themeCodes: ['aides-caf'] }

t.test('a referent writes a draft that only her organisation and the mission TIC see, then publishes it for everyone', async (t) => {
  const created = await call(cafReferent, 'POST', '/fiches', draft)
  t.equal(created.statusCode, 201, created.body)
  const f = created.json()
  t.match(f, { status: 'draft', version: 0, title: draft.title, canEdit: true, unpublishedChanges: true, organisation: { name: 'CAF de l’Indre' } })
  t.match(f.bodyHtml, /<strong>17 à 25 ans<\/strong>/)
  t.match(f.reviewBy, /^\d{4}-\d{2}-\d{2}$/, 'a review date by default')

  t.equal((await call(secretary, 'GET', `/fiches/${f.id}`)).statusCode, 404, 'a draft is not found by a secretary')
  t.equal((await call(ddtReferent, 'GET', `/fiches/${f.id}`)).statusCode, 404, 'nor by another partner')
  t.equal((await call(cafAdmin, 'GET', `/fiches/${f.id}`)).statusCode, 200, 'the organisation’s admin sees it')
  t.equal((await call(tic, 'GET', `/fiches/${f.id}`)).statusCode, 200, 'the mission TIC sees it')
  t.notOk((await call(secretary, 'GET', '/fiches/search?q=permis+jeunes+caf')).json().items.some((i: { id: string }) => i.id === f.id), 'not searchable')

  const published = await call(cafReferent, 'POST', `/fiches/${f.id}/publish`)
  t.equal(published.statusCode, 200, published.body)
  t.match(published.json(), { status: 'published', version: 1, unpublishedChanges: false })
  t.equal((await call(cafReferent, 'POST', `/fiches/${f.id}/publish`)).statusCode, 409, 'nothing new to publish')

  const read = await call(secretary, 'GET', `/fiches/${f.id}`)
  t.equal(read.statusCode, 200)
  t.match(read.json(), { title: draft.title, canEdit: false })
  const found = (await call(secretary, 'GET', '/fiches/search?q=permis+jeunes+caf')).json()
  t.equal(found.items[0].id, f.id, 'searchable at once')
  t.match(found.items[0].extract, /<mark>/)

  // An edit is a working copy: readers keep the published version until the next publication.
  const edited = await call(cafReferent, 'PATCH', `/fiches/${f.id}`, { title: 'Aide au permis de conduire (17-25 ans)' })
  t.equal(edited.statusCode, 200, edited.body)
  t.match(edited.json(), { unpublishedChanges: true, version: 1 })
  t.equal((await call(secretary, 'GET', `/fiches/${f.id}`)).json().title, draft.title, 'readers still see version 1')
  t.equal((await call(tic, 'POST', `/fiches/${f.id}/publish`)).json().version, 2, 'the mission TIC may publish it too')
  t.equal((await call(secretary, 'GET', `/fiches/${f.id}`)).json().title, 'Aide au permis de conduire (17-25 ans)')

  const history = (await call(secretary, 'GET', `/fiches/${f.id}/versions`)).json()
  t.same(history.versions.map((v: { version: number }) => v.version), [2, 1])
  t.same(history.versions.map((v: { publishedBy: string }) => v.publishedBy), ['Claire Martin', 'Nathalie Roux'], 'who published each version')
  t.equal((await call(secretary, 'GET', `/fiches/${f.id}/versions/1`)).json().title, draft.title, 'version 1 as it was')
  t.equal((await call(secretary, 'GET', `/fiches/${f.id}/versions/9`)).statusCode, 404)

  // A published version never changes, even for the database's application role.
  const tenant = (await owner.query('select tenant_id from fiche where id = $1', [f.id])).rows[0].tenant_id
  await owner.query('begin')
  await owner.query('set local role relais_app')
  await owner.query(`select set_config('app.tenant_id', $1, true)`, [tenant])
  const upd = await owner.query(`update fiche_version set title = 'x' where fiche_id = $1`, [f.id]).then(() => 'updated', (e: Error) => e.message)
  await owner.query('rollback')
  t.match(upd, /permission denied/)

  t.equal((await call(cafReferent, 'POST', `/fiches/${f.id}/archive`)).json().status, 'archived')
  t.notOk((await call(secretary, 'GET', '/fiches/search?q=permis+jeunes+caf')).json().items.some((i: { id: string }) => i.id === f.id), 'archived: out of search')
  t.equal((await call(cafReferent, 'PATCH', `/fiches/${f.id}`, { title: 'Encore' })).statusCode, 409)
})

t.test('who may write: the owning organisation’s referents and admins, and the mission TIC', async (t) => {
  const secretaryTry = await call(secretary, 'POST', '/fiches', draft)
  t.equal(secretaryTry.statusCode, 403)
  t.match(secretaryTry.json().error.message, /Seuls les référents/)
  const ddtForCaf = await call(ddtReferent, 'POST', '/fiches', { ...draft, organisationId: (await call(tic, 'GET', '/fiches?status=published')).json().items.find((i: { organisation: { name: string } }) => i.organisation.name === 'CAF de l’Indre').organisation.id })
  t.equal(ddtForCaf.statusCode, 403, 'not for another organisation')
  const list = (await call(secretary, 'GET', '/fiches?themeCode=aides-caf')).json().items
  const cafFiche = list.find((i: { organisation: { name: string } }) => i.organisation.name === 'CAF de l’Indre')
  t.ok(list.every((i: { status: string }) => i.status === 'published'), 'a secretary lists published fiches only')
  t.equal((await call(ddtReferent, 'PATCH', `/fiches/${cafFiche.id}`, { title: 'Détourné' })).statusCode, 403, 'a published fiche of another organisation is read-only')
  t.equal((await call(cafAdmin, 'PATCH', `/fiches/${cafFiche.id}`, { reviewBy: '2099-01-01' })).statusCode, 400, 'review within five years')
  const ticForCaf = await call(tic, 'POST', '/fiches', { ...draft, organisationId: cafFiche.organisation.id, territory: { kind: 'commune', codes: ['36005', '36088'] } })
  t.equal(ticForCaf.statusCode, 201, ticForCaf.body)
  t.match(ticForCaf.json(), { organisation: { id: cafFiche.organisation.id }, territory: { kind: 'commune', codes: ['36005', '36088'] } })
  t.ok((await call(cafReferent, 'GET', '/fiches?status=draft')).json().items.some((i: { id: string }) => i.id === ticForCaf.json().id), 'the CAF sees the draft written for it')
  t.equal((await call(cherSecretary, 'GET', `/fiches/${cafFiche.id}`)).statusCode, 404, 'nothing crosses départements')
})

t.test('changing a draft one cannot see answers 404 like a missing fiche, whatever the role; a visible one 403', async (t) => {
  const f = (await call(cafReferent, 'POST', '/fiches', draft)).json()
  for (const [who, token] of [['secretary', secretary], ['another partner', ddtReferent], ['another département', cherSecretary]] as const) {
    t.equal((await call(token, 'PATCH', `/fiches/${f.id}`, { title: 'Détourné' })).statusCode, 404, `${who}: PATCH`)
    t.equal((await call(token, 'POST', `/fiches/${f.id}/publish`)).statusCode, 404, `${who}: publish`)
    t.equal((await call(token, 'POST', `/fiches/${f.id}/archive`)).statusCode, 404, `${who}: archive`)
  }
  t.equal((await call(cafReferent, 'POST', `/fiches/${f.id}/publish`)).statusCode, 200)
  const refused = await call(secretary, 'PATCH', `/fiches/${f.id}`, { title: 'Détourné' })
  t.equal(refused.statusCode, 403, 'published: seen, so refused')
  t.match(refused.json().error.message, /Seuls les référents/)
  t.equal((await call(ddtReferent, 'POST', `/fiches/${f.id}/archive`)).statusCode, 403)
  t.equal((await call(cherSecretary, 'POST', `/fiches/${f.id}/archive`)).statusCode, 404, 'another tenant: never seen')
  t.equal((await call(secretary, 'PATCH', '/fiches/00000000-0000-4000-8000-000000000000', { title: 'x' })).statusCode, 404)
})

t.test('a theme filter follows the fiche’s themes as they change (fiche.theme_ids kept in step with fiche_theme)', async (t) => {
  const f = (await call(cafReferent, 'POST', '/fiches', { title: 'Quotient familial et cantine', body: 'Le quotient familial de la CAF fixe le tarif de la cantine.', themeCodes: ['aides-caf'] })).json()
  await call(cafReferent, 'POST', `/fiches/${f.id}/publish`)
  const found = async (theme: string) => (await call(secretary, 'GET', `/fiches/search?q=quotient+cantine&theme=${theme}`)).json().items.some((i: { id: string }) => i.id === f.id)
  t.ok(await found('aides-caf'))
  t.notOk(await found('logement-social'))
  t.equal((await call(cafReferent, 'PATCH', `/fiches/${f.id}`, { themeCodes: ['logement-social', 'rsa-insertion'] })).statusCode, 200)
  await call(cafReferent, 'POST', `/fiches/${f.id}/publish`)
  t.ok(await found('logement-social'), 'found under its new theme')
  t.ok(await found('rsa-insertion'))
  t.notOk(await found('aides-caf'), 'no longer under the old one')
  const ids = (await owner.query(`select (select array_agg(t.code order by t.code) from theme t where t.id = any(f.theme_ids)) as codes from fiche f where f.id = $1`, [f.id])).rows[0].codes
  t.same(ids, ['logement-social', 'rsa-insertion'])
})

t.test('bad input is a French 400, never a 500', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown theme', { ...draft, themeCodes: ['inconnu'] }, /Thème inconnu/],
    ['commune of another département', { ...draft, territory: { kind: 'commune', codes: ['18033'] } }, /Commune inconnue/],
    ['unknown EPCI', { ...draft, territory: { kind: 'epci', codes: ['999999999'] } }, /EPCI inconnu/],
    ['no commune', { ...draft, territory: { kind: 'commune', codes: [] } }, /au moins une commune/],
    ['blank title', { ...draft, title: '   ' }, /titre/],
    ['past review date', { ...draft, reviewBy: '2001-01-01' }, /futur/],
    ['impossible date', { ...draft, reviewBy: '2031-02-30' }, /reviewBy/],
    ['no theme', { ...draft, themeCodes: [] }, /./],
    ['extra field', { ...draft, status: 'published' }, /./],
    ['NUL byte', { ...draft, body: 'a\u0000b' }, /./],
  ]
  for (const [what, payload, message] of cases) {
    const res = await call(cafReferent, 'POST', '/fiches', payload)
    t.equal(res.statusCode, 400, `${what}: ${res.body}`)
    t.match(JSON.stringify(res.json().error), message, what)
  }
  for (const url of ['/fiches/search?q=carte&communeInsee=99999', '/fiches/search?q=x&communeInsee=abc', '/fiches/search', '/fiches/pas-un-id', '/fiches/search?q=x&limit=0']) {
    t.equal((await call(secretary, 'GET', url)).statusCode, 400, url)
  }
  t.equal((await call(secretary, 'GET', '/fiches/00000000-0000-4000-8000-000000000000')).statusCode, 404)
  t.equal((await call(secretary, 'GET', `/fiches/search?q=${encodeURIComponent('%00 \' ; drop table fiche; -- & | ! <-> :*')}`)).statusCode, 200)
})

t.test('hostile Markdown is rendered harmless: no script, no inline handler, links only http(s) and mailto', async (t) => {
  const body = [
    '<script>alert(1)</script>',
    '<img src=x onerror="alert(2)">',
    '[clic](javascript:alert(3)) [data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox) [fichier](file:///etc/passwd)',
    '[ok](https://www.service-public.fr) [courriel](mailto:contact@caf36.demo) <https://ants.gouv.fr>',
    '![image](https://evil.example/x.png)',
    '<a href="https://x" onclick="alert(4)">a</a> <svg onload=alert(5)>',
    '[js encodé](jav&#x61;script:alert(6)) [espaces]( javascript:alert(7))',
  ].join('\n\n')
  const res = await call(cafReferent, 'POST', '/fiches', { ...draft, body })
  t.equal(res.statusCode, 201)
  const html: string = res.json().bodyHtml
  t.notMatch(html, /<script/i, 'no script element')
  t.notMatch(html, /<(img|svg|a)[^>]*\son\w+=/i, 'no inline event handler on an element')
  t.notMatch(html, /<img/i, 'no image')
  const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1])
  t.ok(hrefs.length >= 3 && hrefs.every((h) => /^(https?:\/\/|mailto:)/.test(h)), 'only http(s) and mailto links', { hrefs })
  t.ok(['https://www.service-public.fr', 'mailto:contact@caf36.demo', 'https://ants.gouv.fr'].every((h) => hrefs.includes(h)), 'the good ones kept')
  t.notMatch(html, /href="\s*(javascript|data|vbscript|file):/i)
  t.match(html, /&lt;script&gt;/, 'raw HTML shows as text')
})

t.test('a secretary records that a fiche answered the question; others may not; no citizen data', async (t) => {
  const found = (await call(secretary, 'GET', '/fiches/search?q=carte+grise+demenagement')).json().items[0]
  const ok = await call(secretary, 'POST', '/deflections', { ficheId: found.id, themeCode: 'carte-grise-permis', communeInsee: '36005' })
  t.equal(ok.statusCode, 201, ok.body)
  t.match(ok.json(), { ficheId: found.id, themeCode: 'carte-grise-permis', communeInsee: '36005' })
  t.equal((await call(cafReferent, 'POST', '/deflections', { ficheId: found.id, themeCode: 'carte-grise-permis', communeInsee: '36005' })).statusCode, 403)
  t.equal((await call(secretary, 'POST', '/deflections', { ficheId: '00000000-0000-4000-8000-000000000000', themeCode: 'carte-grise-permis', communeInsee: '36005' })).statusCode, 404)
  t.equal((await call(secretary, 'POST', '/deflections', { ficheId: found.id, themeCode: 'inconnu', communeInsee: '36005' })).statusCode, 400)
  t.equal((await call(secretary, 'POST', '/deflections', { ficheId: found.id, themeCode: 'carte-grise-permis', communeInsee: '18033' })).statusCode, 400)
  t.equal((await call(cherSecretary, 'POST', '/deflections', { ficheId: found.id, themeCode: 'carte-grise-permis', communeInsee: '18033' })).statusCode, 404, 'another département’s fiche')
  const cols = (await owner.query(`select column_name from information_schema.columns where table_name = 'deflection'`)).rows.map((r) => r.column_name).sort()
  t.same(cols, ['at', 'commune_insee', 'fiche_id', 'id', 'mairie_organisation_id', 'tenant_id', 'theme_id'], 'what a deflection keeps')
})

t.test('a search that finds nothing is counted for the mission TIC, without its words', async (t) => {
  const before = Number((await owner.query('select count(*) from search_miss')).rows[0].count)
  const res = await call(secretary, 'GET', '/fiches/search?q=zzzqqq+wwwkkk&theme=urbanisme')
  t.same(res.json().items, [])
  t.equal(Number((await owner.query('select count(*) from search_miss')).rows[0].count), before + 1)
})
