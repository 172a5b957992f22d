// Issue 13, onboarding: people of an organisation still onboarding reach only the onboarding pages and routes (the
// checklist, the convention and its signature, inviting her people, « Mon compte », logging out); everything else is
// 403 `onboarding_only` in the API and a French page. The mission TIC's countersignature opens the rest at once.
import t from 'tap'
import { ONBOARDING_ACTIONS } from '@relais/core'
import { startApp } from '../helpers/network.ts'
import { bearer } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'

const { app, db } = await startApp()
const api = async (who: string, method: 'GET' | 'POST', url: string, payload?: object) =>
  app.inject({ method, url: `/api/v1${url}`, headers: await bearer(app, who), ...(payload ? { payload } : {}) })
const msa = (await db.query<{ id: string }>(`select id from organisation where name = 'MSA Berry-Touraine'`)).rows[0].id
const convention = (await db.query<{ id: string }>(`select v.id from convention_version v join tenant t on t.id = v.tenant_id where t.code = '18' and v.kind = 'partner'`)).rows[0].id

t.test('the demo’s onboarding admin: the checklist and nothing else', async (t) => {
  const me = await api('admin@msa18.demo', 'GET', '/me')
  t.equal(me.statusCode, 200)
  for (const url of ['/referrals', '/fiches', '/stats', '/themes', '/organisations']) {
    const res = await api('admin@msa18.demo', 'GET', url)
    t.equal(res.statusCode, 403, url)
    t.equal(res.json().error.code, 'onboarding_only', url)
    t.match(res.json().error.message, /seules les pages d’adhésion vous sont ouvertes/, url)
  }
  const checklist = await api('admin@msa18.demo', 'GET', `/organisations/${msa}/onboarding`)
  t.equal(checklist.statusCode, 200, checklist.body)
  t.match(checklist.json(), {
    organisation: { name: 'MSA Berry-Touraine', status: 'onboarding' }, convention: { id: convention, version: 1 }, signature: null,
    done: { signed: false, countersigned: false, covers: true }, covers: [{ theme: String, territory: 'Commune 18197', how: 'routing' }],
  })
  t.equal((await api('admin@msa18.demo', 'GET', `/conventions/${convention}`)).statusCode, 200, 'she reads the convention')
  t.equal((await api('tic@indre.demo', 'GET', `/organisations/${msa}/onboarding`)).statusCode, 404, 'another tenant: no such organisation')
  t.equal((await api('tic@indre.demo', 'POST', `/organisations/${msa}/countersign`)).statusCode, 404)
  t.equal((await api('admin@caf36.demo', 'GET', `/organisations/${msa}/onboarding`)).statusCode, 404, 'another tenant’s org admin')
  t.equal((await api('referent@caf18.demo', 'GET', `/organisations/${msa}/onboarding`)).statusCode, 404, 'another organisation of the tenant')
  t.equal((await api('tic@cher.demo', 'GET', `/organisations/${msa}/onboarding`)).statusCode, 200, 'the mission TIC sees any')
})

t.test('the pages: home leads to the checklist; any other page says why in French', async (t) => {
  const v = await Visitor.as(app, 'admin@msa18.demo')
  const home = await v.get('/')
  t.equal(home.headers.location, '/adhesion')
  const page = await v.get('/adhesion')
  t.equal(page.statusCode, 200)
  t.match(page.body, /Adhésion de MSA Berry-Touraine/)
  t.match(page.body, /Lire et signer « Convention de partenariat Relais » \(version 1\)/)
  t.match(page.body, /Inviter des personnes/)
  t.match(page.body, /Commune 18197/)
  t.notMatch(page.body, /href="\/saisines"/, 'no menu entry out of reach')
  for (const url of ['/saisines', '/fiches', '/statistiques', '/rendez-vous']) {
    const res = await v.get(url)
    t.equal(res.statusCode, 403, url)
    t.match(res.body, /Adhésion en cours/, url)
    t.match(res.body, /href="\/adhesion"/, url)
  }
  t.equal((await v.get('/organisation/personnes')).statusCode, 200, 'she invites her people')
  t.equal((await v.get('/compte')).statusCode, 200, '« Mon compte »')
  t.equal((await v.get(`/conventions/${convention}`)).statusCode, 200)
})

t.test('signed and countersigned: the rest opens at once, the checklist leaves the menu', async (t) => {
  const signed = await api('admin@msa18.demo', 'POST', `/conventions/${convention}/signatures`, { signerName: 'Sandrine Lefèvre', capacity: 'Directrice de la MSA Berry-Touraine', consent: true, password: 'relais-demo' })
  t.equal(signed.statusCode, 201, signed.body)
  t.equal((await api('admin@msa18.demo', 'GET', '/referrals')).statusCode, 403, 'still onboarding until countersigned')
  const v = await Visitor.as(app, 'admin@msa18.demo')
  t.match((await v.get('/adhesion')).body, /En attente de la contresignature de la mission TIC/)
  const cs = await api('tic@cher.demo', 'POST', `/organisations/${msa}/countersign`)
  t.equal(cs.statusCode, 200, cs.body)
  t.equal((await api('admin@msa18.demo', 'GET', '/referrals')).statusCode, 200, 'the same token reaches the referrals now')
  const home = await v.get('/')
  t.equal(home.headers.location, '/saisines')
  t.notMatch((await v.get('/saisines')).body, /href="\/adhesion"/, 'the checklist left the menu')
  t.match((await v.get('/adhesion')).body, /a rejoint le réseau/)
})

t.test('the onboarding set is the access table’s', async (t) => {
  t.ok(ONBOARDING_ACTIONS.has('convention.sign'))
  t.notOk(ONBOARDING_ACTIONS.has('referral.read'))
})
