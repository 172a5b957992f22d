// Finding things in the referral lists (issue 12): a search box over reference, citizen, question, organisation and
// commune, accents and case ignored, inside what the person may see; a full reference opens the referral; the commune
// filter is a text field that names one commune. Search goes through an index however long the list.
import t from 'tap'
import pg from 'pg'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
t.teardown(async () => { await owner.end(); await app.close(); await env.drop() })

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const referent = await bearer(app, 'referent@caf36.demo')
const ddt = await bearer(app, 'referent@ddt36.demo')
const tic = await bearer(app, 'tic@indre.demo')
const cher = await bearer(app, 'tic@cher.demo')

async function file(name: string, question: string, communeInsee?: string) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary,
    payload: { ...sampleReferral, question, citizen: { ...sampleReferral.citizen, name }, ...(communeInsee ? { communeInsee } : {}) } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json() as { id: string; reference: string }
}

const lefevre = await file('Hélène Lefèvre', 'Son allocation logement a été suspendue après un déménagement à Châteauroux.', '36044')
const martin = await file('Paul Martin', 'Question sur la prime d’activité après une reprise d’emploi.')

async function search(headers: Record<string, string>, q: string) {
  const res = await app.inject({ url: `/api/v1/referrals?q=${encodeURIComponent(q)}&limit=100`, headers })
  if (res.statusCode !== 200) throw new Error(res.body)
  return (res.json().items as { id: string }[]).map((i) => i.id)
}

t.test('API: each way of finding a referral, accents and case ignored, every word needed', async (t) => {
  t.same(await search(secretary, 'lefevre'), [lefevre.id], 'the citizen’s name without its accents')
  t.same(await search(secretary, 'HÉLÈNE'), [lefevre.id], 'in capitals, with accents')
  t.same(await search(secretary, 'demenagement suspendue'), [lefevre.id], 'words of the question, in any order')
  t.same(await search(secretary, 'Chateauroux'), [lefevre.id], '« Chateauroux » finds the referral of Châteauroux')
  t.same(await search(secretary, lefevre.reference), [lefevre.id], 'its reference')
  t.same(await search(secretary, lefevre.reference.slice(-6)), [lefevre.id], 'the end of its reference')
  t.same((await search(secretary, 'prime activite')), [martin.id])
  t.same(await search(secretary, 'lefevre prime'), [], 'every word must match')
  const caf = await search(secretary, 'caf')
  t.ok(caf.includes(lefevre.id) && caf.includes(martin.id), 'by the holding organisation’s name')
  t.ok((await search(tic, 'ardentes')).includes(martin.id), 'by the mairie’s name')
  t.same(await search(secretary, '100%_\\'), [], 'LIKE’s wildcards are plain characters')
  const all = await app.inject({ url: '/api/v1/referrals?q=&limit=100', headers: secretary })
  t.ok(all.json().items.length >= 2, 'an empty search is no filter')
  const long = await app.inject({ url: `/api/v1/referrals?q=${'a'.repeat(201)}`, headers: secretary })
  t.equal(long.statusCode, 400, 'a search longer than 200 characters is refused')
})

t.test('API: search stays inside what the person may see', async (t) => {
  t.same(await search(referent, 'lefevre'), [lefevre.id], 'the holder finds it')
  t.same(await search(ddt, 'lefevre'), [], 'another partner does not')
  t.same(await search(cher, 'lefevre'), [], 'another département does not')
  t.same(await search(cher, lefevre.reference), [], 'not even by its reference')
})

t.test('pages: the search box, a reference opens the referral, the commune field', async (t) => {
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  const found = await sec.get('/saisines?q=lefevre')
  t.equal(found.statusCode, 200)
  t.match(found.body, /<input type="search" id="recherche" name="q" value="lefevre"/, 'the search box keeps what was typed')
  t.match(found.body, /Hélène Lefèvre/)
  t.notMatch(found.body, /Paul Martin/)

  const [tenant, year, seq] = lefevre.reference.split('-')
  const open = await sec.get(`/saisines?q=${encodeURIComponent(` ${tenant} - ${year} - ${Number(seq)} `)}`)
  t.equal(open.statusCode, 303, 'a full reference, even without its zeros, opens the referral')
  t.equal(open.headers.location, `/saisines/${lefevre.id}`)

  const other = new Visitor(app)
  await other.login('referent@ddt36.demo')
  const hidden = await other.get(`/saisines?q=${lefevre.reference}`)
  t.equal(hidden.statusCode, 200, 'someone who may not see it stays on the list')
  t.match(hidden.body, /Aucune saisine ne correspond/, 'and learns nothing of it')

  const byCommune = await sec.get('/saisines?commune=chateauroux')
  t.match(byCommune.body, /Hélène Lefèvre/, '« chateauroux » typed in the commune field filters on Châteauroux')
  t.notMatch(byCommune.body, /Paul Martin/)
  t.match(byCommune.body, /id="filtre-commune" name="commune" list="liste-communes" value="Châteauroux"/, 'the field shows the commune’s name')
  t.match(byCommune.body, /<datalist id="liste-communes">.*<option value="Bélâbre">/s, 'the names are offered as one types')
  t.notMatch(byCommune.body, /<select id="filtre-commune"/, 'no select of every commune')
  t.match((await sec.get('/saisines?commune=36044')).body, /Hélène Lefèvre/, 'an INSEE code still works')
  const several = await sec.get('/saisines?commune=saint')
  t.match(several.body, /Plusieurs communes correspondent à « saint »/, 'several communes: the person is asked to be precise')
  t.match(several.body, /aria-invalid="true"/)
  const none = await sec.get('/saisines?commune=atlantide')
  t.match(none.body, /Aucune commune du département ne correspond à « atlantide »/)
  t.notMatch(none.body, /Hélène Lefèvre/, 'and nothing is listed as if the filter were not there')
})

t.test('what waits on the person looking comes first, and she is told how many', async (t) => {
  const third = await file('Zoé Ordre', 'Une troisième question pour l’ordre des listes.')
  // Martin's referral waits on the mairie's complement; Lefèvre's is past its deadline; a third sits in triage.
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/referrals/${martin.id}/request-info`, headers: referent, payload: { body: 'Le dernier bulletin de salaire ?' } })).statusCode, 200)
  await owner.query(`update referral set due_at = now() - interval '2 hours' where id = $1`, [lefevre.id])
  await owner.query(`update referral set status = 'submitted' where id = $1`, [third.id])
  const first = async (headers: Record<string, string>, sort: string) => (await app.inject({ url: `/api/v1/referrals?sort=${sort}&limit=100`, headers })).json().items.map((i: { id: string }) => i.id) as string[]
  const follow = await first(secretary, 'follow_up')
  t.equal(follow[0], martin.id, 'the mairie: the referral awaiting its complement first')
  t.equal(follow[1], lefevre.id, 'then the overdue one')
  const inbox = await first(referent, 'inbox')
  t.equal(inbox[0], lefevre.id, 'the holder: the overdue one first')
  t.ok(inbox.indexOf(martin.id) > inbox.indexOf(third.id), 'what waits on the mairie after what waits on the holder')

  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  const mine = (await sec.get('/saisines')).body
  t.match(mine, /À traiter d’abord.*<a href="\/saisines\?vue(=|&#x3D;)toutes&amp;statut(=|&#x3D;)awaiting_info">1 saisine attend votre complément<\/a>/s, 'the secretary is told what awaits her complement')
  t.ok(mine.indexOf('Paul Martin') < mine.indexOf('Hélène Lefèvre'), 'and sees it first in her list')
  const ref = new Visitor(app)
  await ref.login('referent@caf36.demo')
  const theirs = (await ref.get('/saisines')).body
  t.match(theirs, /1 saisine est en retard/, 'the referent is told what is overdue')
  t.ok(theirs.indexOf('Hélène Lefèvre') < theirs.indexOf('Zoé Ordre') && theirs.indexOf('Zoé Ordre') < theirs.indexOf('Paul Martin'), 'overdue first, awaiting the mairie last')
  const admin = new Visitor(app)
  await admin.login('tic@indre.demo')
  const board = (await admin.get('/tableau-de-bord')).body
  t.match(board, /<a href="\/triage">1 saisine attend votre tri<\/a>/, 'the mission TIC’s home leads with the triage')
  const ddt = new Visitor(app)
  await ddt.login('referent@ddt36.demo')
  t.notMatch((await ddt.get('/saisines')).body, /À traiter d’abord/, 'nothing waits: nothing said')
  await owner.query(`update referral set status = 'assigned' where id = $1`, [third.id])
})

t.test('the search reads an index, however many referrals there are', async (t) => {
  const tpl = (await owner.query('select * from referral where id = $1', [martin.id])).rows[0]
  await owner.query(`
    insert into referral (tenant_id, reference, mairie_organisation_id, filed_by_person_id, theme_id, commune_insee, question, citizen_name,
      citizen_preferred_channel, status, holder_organisation_id, filed_at, clock_started_at)
    select $1, '36-2026-S' || lpad(g::text, 6, '0'), $2, $3, $4, $5, 'Une question ordinaire numéro ' || g, 'Usager ' || g, 'email', 'closed', $6,
      now() - g * interval '1 minute', now() - g * interval '1 minute'
    from generate_series(1, 20000) g`, [tpl.tenant_id, tpl.mairie_organisation_id, tpl.filed_by_person_id, tpl.theme_id, tpl.commune_insee, tpl.holder_organisation_id])
  await owner.query('analyze referral')
  const plan = (await owner.query(`explain select r.id from referral r where r.tenant_id = $1
    and relais_unaccent(lower(r.reference || ' ' || r.citizen_name || ' ' || r.question)) like '%lefevre%'`, [tpl.tenant_id])).rows.map((r) => r['QUERY PLAN']).join('\n')
  t.match(plan, /referral_search_trgm/, 'the trigram index answers the words')
  t.same(await search(secretary, 'lefèvre'), [lefevre.id], 'still found among 20,000 others')
  const page = await app.inject({ url: '/api/v1/referrals?q=ordinaire&limit=50&sort=newest', headers: tic })
  t.equal(page.json().items.length, 50, 'a common word pages like any list')
  t.ok(page.json().nextCursor, 'with a next page')
})
