import t from 'tap'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'

// A referent turns an answer into a fiche draft, from the API and from the referral page: the citizen's name, email
// and phone are left out wherever they appear, and the draft warns its writers to check it until it is published.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })

const api = async (email: string, method: 'GET' | 'POST', url: string, payload?: object) =>
  app.inject({ method, url: `/api/v1${url}`, headers: await bearer(app, email), ...(payload ? { payload } : {}) })

const filed = (await api('secretaire@ardentes.demo', 'POST', '/referrals', sampleReferral)).json() as { id: string; reference: string }
const answer = 'Bonjour, Mme Jeanne DURAND peut demander l’ASF dès le mois qui suit la séparation.\nQu’elle nous écrive depuis jeanne.durand@example.org ou que nous la rappelions au 02.54.00.00.00 si besoin.\nLe formulaire est sur caf.fr.'

t.test('no answer yet: nothing to take', async (t) => {
  const res = await api('referent@caf36.demo', 'POST', `/referrals/${filed.id}/fiche-draft`, {})
  t.equal(res.statusCode, 409, res.body)
  t.match(res.json().error.message, /pas encore de réponse/)
})

t.test('from the API: a draft without the citizen, with a warning, only for writers who see the referral', async (t) => {
  const answered = await api('referent@caf36.demo', 'POST', `/referrals/${filed.id}/answer`, { body: answer })
  t.equal(answered.statusCode, 200, answered.body)
  const res = await api('referent@caf36.demo', 'POST', `/referrals/${filed.id}/fiche-draft`, {})
  t.equal(res.statusCode, 201, res.body)
  const { fiche, removed, warning } = res.json()
  t.match(fiche, { status: 'draft', version: 0, organisation: { name: 'CAF de l’Indre' }, themes: [{ code: 'aides-caf' }], canEdit: true })
  const all = `${fiche.title}\n${fiche.body}`
  t.notMatch(all, /jeanne|durand|example\.org|54.?00.?00.?00/i, 'nothing of the citizen, in the question nor the answer')
  t.match(fiche.body, /ASF dès le mois qui suit la séparation/, 'the answer is there')
  t.match(fiche.body, /allocation de soutien familial/, 'the question too')
  t.match(fiche.title, /^Madame \[usager\], 34 ans/)
  t.ok(removed >= 4, `${removed} mentions removed`)
  t.match(warning, /Relisez tout le texte avant de publier/)
  t.equal(fiche.checkWarning, warning, 'the draft carries the warning')
  t.equal((await api('tic@indre.demo', 'GET', `/fiches/${fiche.id}`)).json().checkWarning, warning, 'for every writer')

  t.equal((await api('secretaire@ardentes.demo', 'POST', `/referrals/${filed.id}/fiche-draft`, {})).statusCode, 403, 'a secretary sees the referral but writes no fiche')
  t.equal((await api('referent@ddt36.demo', 'POST', `/referrals/${filed.id}/fiche-draft`, {})).statusCode, 404, 'a referral one cannot see is not found')
  t.equal((await api('secretaire@bourges.demo', 'POST', `/referrals/${filed.id}/fiche-draft`, {})).statusCode, 404, 'nor from another département')
  t.equal((await api('referent@caf36.demo', 'POST', `/referrals/${filed.id}/fiche-draft`, { answerSeq: 999 })).statusCode, 404, 'an unknown answer')
  t.equal((await api('referent@caf36.demo', 'POST', `/referrals/${filed.id}/fiche-draft`, { answerSeq: 'x' })).statusCode, 400)

  const published = await api('referent@caf36.demo', 'POST', `/fiches/${fiche.id}/publish`)
  t.equal(published.statusCode, 200)
  t.equal(published.json().checkWarning, null, 'once published, the warning has done its job')
})

t.test('from the referral page: the button, the draft’s form with the warning', async (t) => {
  const referent = new Visitor(app)
  t.equal((await referent.login('referent@caf36.demo')).statusCode, 303)
  const page = await referent.get(`/saisines/${filed.id}`)
  t.match(page.body, /Faire une fiche de cette réponse/)
  const seq = /name="answerSeq" value="(\d+)"/.exec(page.body)?.[1]
  t.ok(seq)
  const made = await referent.post(`/saisines/${filed.id}/fiche`, { answerSeq: seq! })
  t.equal(made.statusCode, 303, made.body.slice(0, 300))
  t.match(String(made.headers.location), /^\/fiches\/[0-9a-f-]{36}\/modifier\?fait=depuis-reponse$/)
  const form = await referent.get(String(made.headers.location))
  t.equal(form.statusCode, 200)
  t.match(form.body, /À vérifier avant de publier/)
  t.match(form.body, /Le brouillon est créé à partir de la réponse/)
  t.notMatch(form.body, /Jeanne|Durand/i)
  const secretary = new Visitor(app)
  await secretary.login('secretaire@ardentes.demo')
  t.notMatch((await secretary.get(`/saisines/${filed.id}`)).body, /Faire une fiche de cette réponse/, 'not offered to a secretary')
})
