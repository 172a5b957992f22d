import t from 'tap'
import pg from 'pg'
import { buildApp } from '@relais/api/app'
import { bundleZip, ficheMarkdown, readBundle } from '@relais/core/fiche-bundle'
import { createTestEnv } from '../helpers/db.ts'
import { bearer } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'

// Fiches leave and enter as a bundle (JSON, or a zip of Markdown files with YAML front matter), from the API and the
// pages: the mission TIC for any organisation, an org admin for hers. An import is checked whole: one refused entry and
// nothing is imported, each refusal named with its place.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
t.teardown(async () => { await app.close(); await owner.end(); await env.drop() })

const fichesCount = async () => Number((await owner.query(`select count(*) from fiche f join tenant t on t.id = f.tenant_id where t.code = '36'`)).rows[0].count)
const orgId = async (name: string) => (await owner.query(`select id from organisation where name = $1`, [name])).rows[0].id as string
const caf = await orgId('CAF de l’Indre')
const ddt = await orgId('DDT de l’Indre')
const headers = async (email: string, type?: string) => ({ ...(await bearer(app, email)), ...(type ? { 'content-type': type } : {}) })
const importAs = async (email: string, body: string | Buffer, type: string, query = '') =>
  app.inject({ method: 'POST', url: `/api/v1/fiches/import${query}`, headers: await headers(email, type), payload: body })

t.test('export: JSON or a zip of Markdown files; the mission TIC for the network, an org admin for hers', async (t) => {
  const all = await app.inject({ method: 'GET', url: '/api/v1/fiches/export', headers: await headers('tic@indre.demo') })
  t.equal(all.statusCode, 200, all.body.slice(0, 200))
  t.match(all.headers['content-disposition'], /attachment; filename="fiches-\d{4}-\d{2}-\d{2}\.json"/)
  const doc = all.json()
  t.equal(doc.format, 'relais-fiches')
  const live = Number((await owner.query(`select count(*) from fiche f join tenant t on t.id = f.tenant_id where t.code = '36' and f.status <> 'archived'`)).rows[0].count)
  t.equal(doc.fiches.length, live, 'every fiche of the network but the archived ones')
  t.ok(doc.fiches.every((f: { title: string; body: string; themeCodes: string[] }) => f.title && f.body && f.themeCodes.length), 'title, body, themes')

  const zip = await app.inject({ method: 'GET', url: `/api/v1/fiches/export?format=zip&organisationId=${caf}`, headers: await headers('admin@caf36.demo') })
  t.equal(zip.statusCode, 200)
  t.equal(zip.headers['content-type'], 'application/zip')
  const read = readBundle(zip.rawPayload)
  t.equal(read.format, 'zip')
  t.same(read.problems, [])
  t.ok(read.entries.length >= 5, `${read.entries.length} CAF fiches`)
  t.ok(read.entries.every((e) => (e.data as { organisation: string }).organisation === 'CAF de l’Indre'), 'only the CAF’s')
  t.match(read.entries[0].file, /^fiches\/001-[a-z0-9-]+\.md$/)

  t.equal((await app.inject({ method: 'GET', url: `/api/v1/fiches/export?organisationId=${ddt}`, headers: await headers('admin@caf36.demo') })).statusCode, 403, 'not another organisation’s')
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/fiches/export', headers: await headers('referent@caf36.demo') })).statusCode, 403, 'not a referent')
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/fiches/export', headers: await headers('secretaire@ardentes.demo') })).statusCode, 403)
})

t.test('an import with one refused entry imports nothing, and names every refusal with its place', async (t) => {
  const before = await fichesCount()
  const bundle = { format: 'relais-fiches', fiches: [
    { title: 'Transport scolaire : l’inscription', body: 'L’inscription se fait en ligne avant le 15 juillet.', themeCodes: ['autre'] },
    { title: 'Fiche au thème inconnu', body: 'Texte.', themeCodes: ['inexistant'] },
    { body: 'Sans titre.', themeCodes: ['autre'] },
    { title: 'Commune d’ailleurs', body: 'Texte.', themeCodes: ['autre'], territory: { kind: 'commune', codes: ['18033'] } },
  ] }
  const res = await importAs('tic@indre.demo', JSON.stringify(bundle), 'application/json')
  t.equal(res.statusCode, 400, res.body)
  const err = res.json().error
  t.equal(err.code, 'bundle_refused')
  t.match(err.message, /Aucune fiche n’a été importée : 3 entrées refusées sur 4/)
  t.same(err.details.map((d: { position: number }) => d.position), [2, 3, 4], 'each refused entry by its place')
  t.match(err.details[0].message, /^Fiche 2 : Thème inconnu : inexistant/)
  t.match(err.details[1], { path: 'fiches[3].title', message: /^Fiche 3 : Le titre manque/ })
  t.match(err.details[2].message, /^Fiche 4 : Commune inconnue/)
  t.equal(await fichesCount(), before, 'not even the good first entry was kept')

  const zip = Buffer.from(bundleZip([
    { title: 'Bonne fiche', body: 'Texte.', themeCodes: ['autre'] },
    { title: 'Date impossible', body: 'Texte.', themeCodes: ['autre'], reviewBy: '2031-02-30' },
  ]))
  const zipRes = await importAs('tic@indre.demo', zip, 'application/zip')
  t.equal(zipRes.statusCode, 400)
  t.match(zipRes.json().error.details[0], { position: 2, file: 'fiches/002-date-impossible.md', message: /^Fiche 2 \(fiches\/002-date-impossible\.md\) : Indiquez une date valide/ })
  t.equal(await fichesCount(), before)

  for (const [what, body, type] of [['not a bundle', 'bonjour', 'text/plain'], ['broken JSON', '{"fiches": [', 'application/json'], ['broken zip', Buffer.from('PK\u0003\u0004garbage'), 'application/zip'], ['empty', '[]', 'application/json'], ['no front matter', '# Titre', 'text/markdown']] as const) {
    const r = await importAs('tic@indre.demo', body, type)
    t.equal(r.statusCode, 400, `${what}: ${r.body}`)
    t.match(r.json().error.message, /Aucune fiche n’a été importée/, what)
  }
  t.equal(await fichesCount(), before)
})

t.test('a valid bundle is imported for the chosen organisation, as drafts or published', async (t) => {
  const before = await fichesCount()
  const zip = Buffer.from(bundleZip([
    { title: 'Bourse au permis : les étapes', body: 'La mairie **aide** à financer le permis contre des heures de bénévolat.', themeCodes: ['carte-grise-permis'], reviewBy: '2030-01-01' },
    { title: 'Ramassage des encombrants', body: '---\n\nSur rendez-vous, une fois par mois.', themeCodes: ['autre'], territory: { kind: 'commune', codes: ['36005'] } },
  ]))
  const res = await importAs('tic@indre.demo', zip, 'application/zip', `?organisationId=${caf}&publish=true`)
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { imported: 2, published: 2 })
  t.equal(await fichesCount(), before + 2)
  const rows = (await owner.query(`select f.title, f.body, f.status, f.review_by::text as review_by, f.territory_codes, o.name from fiche f join organisation o on o.id = f.organisation_id where f.id = any($1) order by f.title`, [res.json().ids])).rows
  t.match(rows[0], { title: 'Bourse au permis : les étapes', status: 'published', review_by: '2030-01-01', name: 'CAF de l’Indre' })
  t.match(rows[1], { title: 'Ramassage des encombrants', body: '---\n\nSur rendez-vous, une fois par mois.', territory_codes: ['36005'] }, 'a body with a rule line survives its front matter')
  const found = await app.inject({ method: 'GET', url: '/api/v1/fiches/search?q=bourse+permis+benevolat', headers: await headers('secretaire@ardentes.demo') })
  t.equal(found.json().items[0].title, 'Bourse au permis : les étapes', 'published: searchable at once')

  const md = ficheMarkdown({ title: 'Une seule fiche en Markdown', body: 'Texte **gras**.', themeCodes: ['aides-caf'] })
  const one = await importAs('admin@caf36.demo', md, 'text/markdown')
  t.equal(one.statusCode, 200, one.body)
  t.match(one.json(), { imported: 1, published: 0 }, 'a draft by default')
  t.equal((await importAs('admin@caf36.demo', md, 'text/markdown', `?organisationId=${ddt}`)).statusCode, 403, 'an org admin imports for hers only')
  t.equal((await importAs('referent@caf36.demo', md, 'text/markdown')).statusCode, 403)
})

t.test('the page: export links and an import form that lists refusals; nothing imported', async (t) => {
  const tic = new Visitor(app)
  t.equal((await tic.login('tic@indre.demo')).statusCode, 303)
  t.match((await tic.get('/fiches')).body, /href="\/fiches\/echange"/)
  const page = await tic.get('/fiches/echange')
  t.equal(page.statusCode, 200)
  t.match(page.body, /enctype="multipart\/form-data"/)
  const download = await tic.get(`/fiches/echange/export?format=zip&organisme=${caf}`)
  t.equal(download.statusCode, 200)
  t.equal(download.headers['content-type'], 'application/zip')

  const post = async (file: Buffer | null, fields: Record<string, string> = {}) => {
    const form = new FormData()
    form.append('_csrf', tic.csrf)
    for (const [k, v] of Object.entries(fields)) form.append(k, v)
    if (file) form.append('fichier', new Blob([file]), 'fiches.json')
    const req = new Request('http://relais.test/fiches/echange', { method: 'POST', body: form })
    return app.inject({ method: 'POST', url: '/fiches/echange', cookies: tic.cookies, remoteAddress: tic.ip, headers: { 'content-type': req.headers.get('content-type')! }, payload: Buffer.from(await req.arrayBuffer()) })
  }
  const before = await fichesCount()
  const bad = await post(Buffer.from(JSON.stringify([{ title: 'A', body: 'B', themeCodes: ['autre'] }, { title: 'C', body: 'D', themeCodes: ['nope'] }])), { organisme: caf })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /Aucune fiche n’a été importée : 1 entrée refusée sur 2/)
  t.match(bad.body, /<li>Fiche 2 : Thème inconnu : nope\.<\/li>/)
  t.equal(await fichesCount(), before)
  t.equal((await post(null)).statusCode, 400, 'no file')
  await tic.get('/fiches/echange')
  const ok = await post(Buffer.from(JSON.stringify([{ title: 'Importée par la page', body: 'Texte.', themeCodes: ['autre'] }])), { organisme: caf })
  t.equal(ok.statusCode, 303, ok.body.slice(0, 300))
  t.match((await tic.get(String(ok.headers.location))).body, /1 fiche\(s\) importée\(s\) en brouillon/)
  t.equal(await fichesCount(), before + 1)
  const forged = new Visitor(app)
  await forged.login('referent@caf36.demo')
  t.equal((await forged.get('/fiches/echange')).statusCode, 403, 'not for a referent')
})
