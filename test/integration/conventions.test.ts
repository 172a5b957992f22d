// Issue 13, convention versions: the mission TIC publishes a convention per kind of organisation in Markdown; each
// version has its number, its exact text, its HTML (sanitised like the knowledge base) and the SHA-256 of the text,
// and never changes. Org admins read them; nobody else of the tenant, and nothing of another tenant.
import t from 'tap'
import { createHash } from 'node:crypto'
import pg from 'pg'
import { startApp } from '../helpers/network.ts'
import { bearer } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'

const { app, db, env } = await startApp()
const api = async (who: string, method: 'GET' | 'POST', url: string, payload?: object) =>
  app.inject({ method, url: `/api/v1${url}`, headers: await bearer(app, who), ...(payload ? { payload } : {}) })

// Exact bytes: accents, a trailing space and no final newline are part of what is hashed.
const BODY = '# Convention de partenariat\n\nLa **CAF** s’engage à répondre sous 72 heures. \n\n<script>alert(1)</script>\n\n[Charte](https://www.modernisation.gouv.fr) · [piège](javascript:alert(1))'
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

t.test('the mission TIC publishes numbered versions; each keeps its exact text, HTML and hash', async (t) => {
  const first = await api('tic@indre.demo', 'POST', '/conventions', { kind: 'partner', title: 'Convention partenaire 2026', body: BODY, effectiveAt: '2026-01-01T00:00:00+01:00' })
  t.equal(first.statusCode, 201, first.body)
  const v1 = first.json()
  t.match(v1, { kind: 'partner', version: 1, title: 'Convention partenaire 2026', body: BODY, sha256: sha(BODY), publishedBy: 'Claire Martin' })
  t.match(v1.html, /<h1>Convention de partenariat<\/h1>/)
  t.notMatch(v1.html, /<script>/, 'raw HTML is escaped')
  t.notMatch(v1.html, /href="javascript:/, 'only http(s) and mail links')
  t.match(v1.html, /href="https:\/\/www\.modernisation\.gouv\.fr"/)
  const second = await api('tic@indre.demo', 'POST', '/conventions', { kind: 'partner', title: 'Convention partenaire 2027', body: `${BODY}\n`, effectiveAt: '2027-01-01T00:00:00+01:00' })
  t.equal(second.json().version, 2, 'the next number for the kind')
  t.not(second.json().sha256, v1.sha256, 'one more newline is another text')
  const mairie = await api('tic@indre.demo', 'POST', '/conventions', { kind: 'mairie', title: 'Convention mairie', body: 'Texte des mairies.', effectiveAt: '2026-01-01T00:00:00+01:00' })
  t.equal(mairie.json().version, 1, 'numbers count per kind')

  const list = (await api('admin@caf36.demo', 'GET', '/conventions?kind=partner')).json().items
  t.same(list.map((v: { version: number }) => v.version), [2, 1], 'an org admin reads them, latest first')
  const one = await api('admin@caf36.demo', 'GET', `/conventions/${v1.id}`)
  t.equal(one.statusCode, 200)
  t.equal(one.json().body, BODY)
  t.equal(one.json().sha256, sha(BODY))
})

t.test('a published version never changes, even for the tables’ owner', async (t) => {
  const appRole = new pg.Client({ connectionString: env.config.APP_DATABASE_URL })
  await appRole.connect()
  t.teardown(() => appRole.end())
  await t.rejects(appRole.query(`update convention_version set body = 'autre'`), /permission denied/)
  await t.rejects(appRole.query('delete from convention_version'), /permission denied/)
  await t.rejects(db.query(`update convention_version set body = 'autre'`), /ne change jamais/)
  await t.rejects(db.query('delete from convention_version'), /ne change jamais/)
  await t.rejects(db.query('truncate convention_version cascade'), /ne change jamais/)
})

t.test('who publishes and who reads', async (t) => {
  const byAdmin = await api('admin@caf36.demo', 'POST', '/conventions', { kind: 'partner', title: 'X', body: 'Y', effectiveAt: '2026-01-01T00:00:00Z' })
  t.equal(byAdmin.statusCode, 403)
  t.match(byAdmin.json().error.message, /Seule la mission TIC publie les conventions/)
  t.equal((await api('secretaire@ardentes.demo', 'GET', '/conventions')).statusCode, 403)
  t.equal((await api('referent@caf36.demo', 'GET', '/conventions')).statusCode, 403)
  const indre = (await api('tic@indre.demo', 'GET', '/conventions')).json().items[0]
  t.equal((await api('tic@cher.demo', 'GET', `/conventions/${indre.id}`)).statusCode, 404, 'another tenant’s version does not exist')
  t.notOk((await api('tic@cher.demo', 'GET', '/conventions')).json().items.some((v: { id: string }) => v.id === indre.id), 'nor in the list')
  const bad = await api('tic@indre.demo', 'POST', '/conventions', { kind: 'mission_tic', title: '', body: 'Y', effectiveAt: 'demain' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.code, 'validation_failed')
  const blank = await api('tic@indre.demo', 'POST', '/conventions', { kind: 'msap', title: 'Titre', body: '   ', effectiveAt: '2026-01-01T00:00:00Z' })
  t.equal(blank.statusCode, 400)
  t.match(blank.body, /Écrivez le texte de la convention/)
})

t.test('the pages: the mission TIC publishes from a form; an org admin reads the text and its fingerprint', async (t) => {
  const tic = new Visitor(app)
  await tic.login('tic@indre.demo')
  const list = await tic.get('/conventions')
  t.match(list.body, /Publier une nouvelle version/)
  await tic.get('/conventions/nouvelle')
  const empty = await tic.post('/conventions/nouvelle', { kind: 'msap', title: '', effectiveAt: '', body: '' })
  t.equal(empty.statusCode, 400)
  t.match(empty.body, /La convention n’a pas été publiée/)
  t.match(empty.body, /id="convention-titre-erreur"/)
  t.match(empty.body, /id="convention-texte-erreur"/)
  const text = '## Engagements\n\n- accueillir les usagers\n- orienter vers Relais'
  const done = await tic.post('/conventions/nouvelle', { kind: 'msap', title: 'Convention France services', effectiveAt: '2026-12-01', body: text })
  t.equal(done.statusCode, 303, done.body)
  const page = await tic.get(String(done.headers.location))
  t.match(page.body, /La version est publiée/)
  t.match(page.body, /mardi 1er décembre 2026 à 0 h 00/, 'in force from that day, in the tenant’s time zone')
  t.match(page.body, new RegExp(sha(text)))
  t.match(page.body, /<li>accueillir les usagers<\/li>/)

  const admin = new Visitor(app)
  await admin.login('admin@caf36.demo')
  const seen = await admin.get(String(done.headers.location).split('?')[0])
  t.equal(seen.statusCode, 200)
  t.notMatch((await admin.get('/conventions')).body, /Publier une nouvelle version/, 'no publishing for her')
  t.equal((await admin.get('/conventions/nouvelle')).statusCode, 403)
  const secretary = new Visitor(app)
  await secretary.login('secretaire@ardentes.demo')
  t.equal((await secretary.get('/conventions')).statusCode, 403)
})
