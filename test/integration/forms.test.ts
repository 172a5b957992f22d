// Forms that never fail silently (issue 12): each bug found by hand, reproduced through app.inject as a browser
// without JavaScript would meet it. The browser journey checks focus, width and axe on the same error states.
import t from 'tap'
import { startApp } from '../helpers/network.ts'
import { Visitor } from '../helpers/visitor.ts'

const { app, db } = await startApp()

const form = {
  themeCode: 'aides-caf', communeInsee: '36005', question: 'Madame Durand demande si elle peut bénéficier de l’allocation de soutien familial.',
  citizenName: 'Jeanne Durand', citizenEmail: 'jeanne.durand@example.org', citizenPhone: '', preferredChannel: 'email', internalNote: '',
}

const fieldError = (html: string, id: string) => new RegExp(`<p class="field-error" id="${id}-erreur"><span class="visually-hidden">Erreur : </span>([^<]*)</p>`).exec(html)?.[1]
/** The error summary of a page: its id and the links it holds (target → text). */
function summary(html: string) {
  const m = /<div class="alert alert-error error-summary"[^>]*id="([^"]+)"[^>]*>([\s\S]*?)<\/div>/.exec(html)
  if (!m) return null
  return { id: m[1], tag: m[0].slice(0, m[0].indexOf('>') + 1), links: [...m[2].matchAll(/<a href="#([^"]+)">([^<]*)<\/a>/g)].map((l) => [l[1], l[2]]) }
}

async function file(v: Visitor, fields: Record<string, string> = {}) {
  await v.get('/saisines/nouvelle')
  const res = await v.post('/saisines/nouvelle', { ...form, ...fields })
  if (res.statusCode !== 303) throw new Error(`filing: ${res.statusCode} ${res.body.slice(0, 500)}`)
  return String(res.headers.location).match(/\/saisines\/([0-9a-f-]{36})/)![1]
}

const sec = new Visitor(app)
await sec.login('secretaire@ardentes.demo')
const ref = new Visitor(app)
await ref.login('referent@caf36.demo')
const tic = new Visitor(app)
await tic.login('tic@indre.demo')

t.test('missing fields of an action are shown next to their fields, with a summary linking to them', async (t) => {
  const id = await file(sec, { citizenName: 'Champs Manquants' })
  await ref.get(`/saisines/${id}`)
  const transfer = await ref.post(`/saisines/${id}/transfer`, { organisationId: '', reason: '' })
  t.equal(transfer.statusCode, 400)
  t.equal(fieldError(transfer.body, 'transfert-motif'), 'Ce champ est obligatoire.', 'transfer without a reason')
  const s = summary(transfer.body)
  t.ok(s, 'an error summary')
  t.same(s!.links, [['transfert-motif', 'Motif : Ce champ est obligatoire.']], 'its link names the field')
  t.match(s!.tag, /tabindex="-1"/)
  t.match(s!.tag, /autofocus/, 'focused when the page loads')
  t.ok(transfer.body.indexOf(`id="${s!.id}"`) > transfer.body.indexOf('action="/saisines/'), 'the summary sits where the action was, in its form')
  t.match(transfer.body, new RegExp(`action="/saisines/${id}/transfer#${s!.id}"`), 'the form comes back scrolled to it')
  t.match(transfer.body, /id="transfert-motif"[^>]*aria-invalid="true"/)

  const rdv = await ref.post(`/saisines/${id}/appointment`, { slot: 'autre', placeId: '', at: '' })
  t.equal(rdv.statusCode, 400)
  t.equal(fieldError(rdv.body, 'rdv-lieu'), 'Ce champ est obligatoire.', 'another time without a place')
  t.equal(fieldError(rdv.body, 'rdv-date'), 'Indiquez la date et l’heure.', 'another time without a date')
  t.same(summary(rdv.body)!.links.map((l) => l[0]), ['rdv-date', 'rdv-lieu'])
  const noSlot = await ref.post(`/saisines/${id}/appointment`, {})
  t.equal(noSlot.statusCode, 400)
  t.same(summary(noSlot.body)!.links.map((l) => l[0]), ['rdv-creneau'], 'no slot chosen: the choice is linked')

  // To the triage queue, then the mission TIC's « Affecter » with no organisation.
  const page = (await ref.get(`/saisines/${id}`)).body
  const ticId = /<option value="([0-9a-f-]{36})">Mission TIC/.exec(page)![1]
  t.equal((await ref.post(`/saisines/${id}/transfer`, { organisationId: ticId, reason: 'Pas pour nous' })).statusCode, 303)
  await tic.get(`/saisines/${id}`)
  const assign = await tic.post(`/saisines/${id}/assign`, { organisationId: '' })
  t.equal(assign.statusCode, 400)
  t.equal(fieldError(assign.body, 'affecter-organisme'), 'Ce champ est obligatoire.', 'assign without an organisation')
})

t.test('the filing form is validated at once: format errors and blank fields together', async (t) => {
  await sec.get('/saisines/nouvelle')
  const res = await sec.post('/saisines/nouvelle', { ...form, citizenEmail: '', citizenPhone: 'abc', question: '   ', citizenName: '  ' })
  t.equal(res.statusCode, 400)
  t.equal(fieldError(res.body, 'citizenPhone'), 'Format invalide.')
  t.match(fieldError(res.body, 'citizenEmail'), /obligatoire quand l’usager préfère être contacté par courriel/)
  t.equal(fieldError(res.body, 'question'), 'Ce champ ne peut pas être vide.')
  t.equal(fieldError(res.body, 'citizenName'), 'Ce champ ne peut pas être vide.')
  const s = summary(res.body)!
  t.equal(s.links.length, 4, 'four fields in one summary')
  t.match(s.tag, /autofocus/)
  t.ok(s.links.every(([, text]) => /^[^:]+ : /.test(text)), 'each link names its field')
})

t.test('unknown pages and a reload of an action’s address: French pages, never JSON', async (t) => {
  const unknown = await sec.get('/cette-page-n-existe-pas')
  t.equal(unknown.statusCode, 404)
  t.match(unknown.headers['content-type'], /text\/html/)
  t.match(unknown.body, /Page introuvable/)
  t.match(unknown.body, /<html lang="fr">/)
  const id = await file(sec, { citizenName: 'Adresse Rechargée' })
  const reload = await ref.get(`/saisines/${id}/answer`)
  t.equal(reload.statusCode, 303, 'an action’s address opened again goes back to the referral')
  t.equal(reload.headers.location, `/saisines/${id}`)
  const anonymous = await app.inject({ method: 'GET', url: '/nulle-part', headers: { accept: 'text/html' } })
  t.equal(anonymous.statusCode, 404)
  t.match(anonymous.body, /Page introuvable/)
  const api = await app.inject({ method: 'GET', url: '/api/v1/nulle-part' })
  t.equal(api.statusCode, 404)
  t.equal(api.json().error.code, 'not_found', 'the API keeps its JSON')
})

t.test('the transfer’s confirmation is shown in the list it lands on', async (t) => {
  const id = await file(sec, { citizenName: 'Confirmation Transfert' })
  await ref.get(`/saisines/${id}`)
  const page = (await ref.get(`/saisines/${id}`)).body
  const ddt = /<option value="([0-9a-f-]{36})">DDT de l’Indre/.exec(page)![1]
  const res = await ref.post(`/saisines/${id}/transfer`, { organisationId: ddt, reason: 'Question d’urbanisme' })
  t.equal(res.statusCode, 303)
  const list = await ref.get(String(res.headers.location))
  t.match(list.body, /role="status"[^>]*>\s*<p>La saisine 36-\d{4}-\d+ a été transférée à DDT de l’Indre\./)
})

t.test('cancelling asks for a reason and a confirmation, and tells the holder', async (t) => {
  const id = await file(sec, { citizenName: 'Annulation Demandée' })
  const page = (await sec.get(`/saisines/${id}`)).body
  t.match(page, /<textarea id="annuler-body" name="body"[^>]*required/, 'the reason is required')
  t.match(page, /<input type="checkbox" id="annuler-confirmer" name="confirm" value="1"[^>]*required/)
  const bare = await sec.post(`/saisines/${id}/cancel`, {})
  t.equal(bare.statusCode, 400, 'one click no longer cancels')
  t.equal(fieldError(bare.body, 'annuler-body'), 'Le motif de l’annulation est obligatoire.')
  t.equal(fieldError(bare.body, 'annuler-confirmer'), 'Cochez la case pour confirmer l’annulation.')
  t.match((await sec.get(`/saisines/${id}`)).body, /en cours de traitement/, 'still open')
  const done = await sec.post(`/saisines/${id}/cancel`, { body: 'Le citoyen a trouvé la réponse', confirm: '1' })
  t.equal(done.statusCode, 303)
  const { rows } = await db.query(`select o.recipient_email, o.kind from outbox o where o.referral_id = $1 and o.kind = 'cancelled'`, [id])
  t.same(rows.map((r) => r.recipient_email), ['referent@caf36.demo'], 'the holder is told')
  const api = await app.inject({ method: 'POST', url: `/api/v1/referrals/${await file(sec, { citizenName: 'Annulation API' })}/cancel`, headers: { authorization: `Bearer ${sec.cookies.relais_session}` }, payload: {} })
  t.equal(api.statusCode, 400, 'the API asks for the reason too')
})

t.test('after an answer: « Corriger la réponse », saying what the correction does', async (t) => {
  const id = await file(sec, { citizenName: 'Réponse Corrigée' })
  const before = (await ref.get(`/saisines/${id}`)).body
  t.match(before, /<h3>Répondre<\/h3>/)
  await ref.post(`/saisines/${id}/answer`, { body: 'Première réponse' })
  const after = (await ref.get(`/saisines/${id}`)).body
  t.notMatch(after, /<h3>Répondre<\/h3>/)
  t.match(after, /<h3>Corriger la réponse<\/h3>/)
  t.match(after, /La correction remplace la réponse précédente pour la mairie/)
})

t.test('the referent is told when the mairie’s complement arrives', async (t) => {
  const id = await file(sec, { citizenName: 'Complément Attendu' })
  await ref.get(`/saisines/${id}`)
  await ref.post(`/saisines/${id}/request-info`, { body: 'La date de la séparation ?' })
  await sec.get(`/saisines/${id}`)
  t.equal((await sec.post(`/saisines/${id}/provide-info`, { body: 'Le 3 mars.' })).statusCode, 303)
  const { rows } = await db.query(`select recipient_email from outbox where referral_id = $1 and kind = 'info_provided'`, [id])
  t.same(rows.map((r) => r.recipient_email), ['referent@caf36.demo'])
})
