// The knowledge-base pages through app.inject, as a browser without JavaScript: search, a fiche, writing and
// publishing, the filing form's « Fiches qui peuvent répondre » and « Cette fiche répond à la question ».
import t from 'tap'
import pg from 'pg'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { Visitor } from '../helpers/visitor.ts'

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
t.teardown(async () => { await app.close(); await owner.end(); await env.drop() })

const secretary = await Visitor.as(app, 'secretaire@ardentes.demo')
const referent = await Visitor.as(app, 'referent@caf36.demo')
const ddt = await Visitor.as(app, 'referent@ddt36.demo')
const tic = await Visitor.as(app, 'tic@indre.demo')

t.test('every role finds « Base de connaissance » in the navigation', async (t) => {
  for (const v of [secretary, referent, tic, await Visitor.as(app, 'admin@caf36.demo')]) {
    const res = await v.get('/fiches')
    t.equal(res.statusCode, 200)
    t.match(res.body, /<a href="\/fiches" aria-current="page">Base de connaissance<\/a>/)
  }
})

t.test('search shows ranked results with escaped, highlighted extracts', async (t) => {
  const res = await secretary.get('/fiches?q=carte+grise+d%C3%A9m%C3%A9nagement')
  t.equal(res.statusCode, 200)
  const first = /<ol class="results">\s*<li><h3><a href="\/fiches\/([0-9a-f-]{36})">([^<]+)<\/a>/.exec(res.body)
  t.equal(first?.[2], 'Carte grise : changer l’adresse après un déménagement')
  t.match(res.body, /<p class="extract">[^]*?<mark>[^<]+<\/mark>/)
  t.notMatch(res.body, /Rédiger une fiche/, 'a secretary does not write fiches')
  const hostile = await secretary.get(`/fiches?q=${encodeURIComponent('<script>alert(1)</script> carte')}`)
  t.equal(hostile.statusCode, 200)
  t.notMatch(hostile.body, /<script>alert/, 'the query is escaped')
  const nothing = await secretary.get('/fiches?q=zzqqxx')
  t.match(nothing.body, /Aucune fiche ne répond à ces mots/)
  const typo = await secretary.get('/fiches?q=cartte+grise')
  t.match(typo.body, /Recherche aussi : « carte » pour « cartte »/)
})

t.test('a fiche page renders the sanitised Markdown; the stale flag shows past the review date', async (t) => {
  const id = (await owner.query(`select id from fiche where title like 'Carte grise : changer%'`)).rows[0].id
  const res = await secretary.get(`/fiches/${id}`)
  t.equal(res.statusCode, 200)
  t.match(res.body, /<a href="https:\/\/immatriculation.ants.gouv.fr" rel="noopener noreferrer nofollow">/)
  t.notMatch(res.body, /href="\/fiches\/[^"]+\/modifier"/, 'no edit link for a reader')
  const stale = (await owner.query(`select id from fiche where title like 'Chèque énergie%'`)).rows[0].id
  t.match((await secretary.get(`/fiches/${stale}`)).body, /date de relecture dépassée/)
  t.equal((await secretary.get('/fiches/00000000-0000-4000-8000-000000000000')).statusCode, 404)
  t.equal((await secretary.get('/fiches/nimporte-quoi')).statusCode, 404)
})

t.test('a referent writes a draft, corrects a field error, publishes; the history shows who and when', async (t) => {
  t.equal((await secretary.get('/fiches/nouvelle')).statusCode, 403)
  t.match((await referent.get('/fiches')).body, /Rédiger une fiche/)
  await referent.get('/fiches/nouvelle')
  const bad = await referent.post('/fiches/nouvelle', [['title', 'Aide au BAFA'], ['body', ''], ['territoryKind', 'departement']])
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /La fiche n’a pas été enregistrée/)
  t.match(bad.body, /id="body-erreur"/)
  t.match(bad.body, /id="themeCodes-erreur"/)
  const ok = await referent.post('/fiches/nouvelle', [
    ['title', 'Aide au BAFA pour les jeunes'], ['body', 'La CAF aide les jeunes qui passent le **BAFA** <script>x</script>.'],
    ['themeCodes', 'aides-caf'], ['themeCodes', 'rsa-insertion'], ['territoryKind', 'commune'], ['territoryCodes', '36005, 36088'],
  ])
  t.equal(ok.statusCode, 303, ok.body.slice(0, 300))
  const url = String(ok.headers.location).split('?')[0]
  const draft = await referent.get(`${url}?fait=creee`)
  t.match(draft.body, /Le brouillon est enregistré/)
  t.match(draft.body, /<strong>BAFA<\/strong> &lt;script&gt;x&lt;\/script&gt;/)
  t.match(draft.body, /Des communes : 36005, 36088/)
  t.equal((await secretary.get(url)).statusCode, 404, 'a draft is hidden from readers')
  t.equal((await ddt.get(`${url}/modifier`)).statusCode, 404, 'and from other partners')

  const published = await referent.post(`${url}/publier`, {})
  t.equal(published.statusCode, 303)
  t.match((await secretary.get(url)).body, /Aide au BAFA pour les jeunes/)
  t.match((await secretary.get('/fiches?q=bafa')).body, /Aide au BAFA pour les jeunes/)

  await referent.get(`${url}/modifier`)
  const edit = await referent.post(`${url}/modifier`, [['title', 'Aide au BAFA (17-25 ans)'], ['body', 'Nouveau texte.'], ['themeCodes', 'aides-caf'], ['territoryKind', 'departement'], ['territoryCodes', '']])
  t.equal(edit.statusCode, 303, edit.body.slice(0, 300))
  t.match((await secretary.get(url)).body, /Aide au BAFA pour les jeunes/, 'readers keep version 1 until it is published')
  await referent.get(url)
  await referent.post(`${url}/publier`, {})
  const history = await secretary.get(`${url}/historique`)
  t.match(history.body, /Version 2[^]*Nathalie Roux[^]*Version 1[^]*Nathalie Roux/)
  t.match((await secretary.get(`${url}/versions/1`)).body, /Aide au BAFA pour les jeunes/)
  t.equal((await ddt.post(`${url}/archiver`, {})).statusCode, 403, 'another partner may not archive it')
})

t.test('the filing form shows the fiches for the chosen theme, without JavaScript, and records a deflection instead of filing', async (t) => {
  const blank = await secretary.get('/saisines/nouvelle')
  t.match(blank.body, /Fiches qui peuvent répondre/)
  t.match(blank.body, /<script src="\/static\/fiches-suggest.js" defer><\/script>/)
  const fields = {
    themeCode: 'carte-grise-permis', communeInsee: '36005', question: 'M. Martin a déménagé, comment changer l’adresse de sa carte grise ?',
    citizenName: 'Paul Martin', citizenEmail: '', citizenPhone: '', preferredChannel: 'counter', internalNote: '',
  }
  const referralsBefore = Number((await owner.query('select count(*) from referral')).rows[0].count)
  const found = await secretary.post('/saisines/nouvelle', { ...fields, chercher: '1' })
  t.equal(found.statusCode, 200)
  t.match(found.body, /value="Paul Martin"/, 'what was typed stays')
  const block = found.body.slice(found.body.indexOf('id="fiches-suggestions"'))
  const m = /<a href="\/fiches\/([0-9a-f-]{36})"[^>]*>Carte grise : changer l’adresse/.exec(block)
  t.ok(m, 'the fiche that answers comes first')
  t.match(block, /formaction="\/fiches\/[0-9a-f-]{36}\/repond"/)
  const deflected = await secretary.post(`/fiches/${m![1]}/repond`, fields)
  t.equal(deflected.statusCode, 303)
  t.match((await secretary.get(String(deflected.headers.location))).body, /la question est résolue par cette fiche, sans saisine/)
  t.equal(Number((await owner.query('select count(*) from referral')).rows[0].count), referralsBefore, 'no referral filed')
  const row = (await owner.query('select d.*, t.code from deflection d join theme t on t.id = d.theme_id order by d.id desc limit 1')).rows[0]
  t.match(row, { fiche_id: m![1], code: 'carte-grise-permis', commune_insee: '36005' })
  t.notMatch(JSON.stringify(row), /Martin/, 'nothing of the citizen')

  const otherTheme = await secretary.post('/saisines/nouvelle', { ...fields, themeCode: 'urbanisme', chercher: '1' })
  t.notMatch(otherTheme.body, /Carte grise : changer l’adresse/, 'only fiches of the chosen theme')

  const stats = await tic.get('/fiches/statistiques')
  t.equal(stats.statusCode, 200)
  t.match(stats.body, /Carte et permis de conduire|Carte grise et permis de conduire/)
  t.equal((await secretary.get('/fiches/statistiques')).statusCode, 403)
  const dashboard = await tic.get('/tableau-de-bord')
  t.match(dashboard.body, /<span class="figure">1<\/span> questions résolues par une fiche sans saisine \(90 jours\)/, 'the deflection counts on the network’s dashboard')
  t.match(dashboard.body, /href="\/fiches\/statistiques"/)
})
