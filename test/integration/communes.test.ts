// Territory data that stays current (issue 11): the communes are refreshed from the packaged official list (COG)
// by content, not counts. An older list is fabricated from the packaged one (two renames, an EPCI move, a merger
// undone), applied, then the packaged list refreshes it.
import t from 'tap'
import { sql } from 'kysely'
import { buildApp } from '@relais/api/app'
import { createOwnerKysely, createPool } from '@relais/db'
import { loadCommunes, packagedCommuneLists, type CommuneLists } from '@relais/db/migrate'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock, sampleReferral } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'

const env = await createTestEnv()
const clock = manualClock('2026-11-24T09:00:00Z')
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const owner = createOwnerKysely(createPool(env.config.DATABASE_URL, 2))
t.teardown(async () => { await owner.destroy(); await app.close(); await env.drop() })

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const tic = await bearer(app, 'tic@indre.demo')

/** The packaged list as it stood before: Val-Fouzon (36229) still Varennes-sur-Fouzon with Parpeçay (36151) and
 * Sainte-Cécile (36183) apart; Ardentes and Issoudun under other names; Ardentes in Issoudun's EPCI. */
function olderLists(): CommuneLists {
  const now = packagedCommuneLists()
  const communes = now.communes.map((c) => {
    if (c.code === '36229' && c.type === 'commune-actuelle') return { ...c, nom: 'Varennes-sur-Fouzon', anciensCodes: undefined }
    if (c.code === '36005' && c.type === 'commune-actuelle') return { ...c, nom: 'Ardentes-sur-Indre' }
    if (c.code === '36088' && c.type === 'commune-actuelle') return { ...c, nom: 'Issoudun-en-Berry' }
    return c
  })
  communes.push({ code: '36151', nom: 'Parpeçay', departement: '36', type: 'commune-actuelle' }, { code: '36183', nom: 'Sainte-Cécile', departement: '36', type: 'commune-actuelle' })
  const ardentesEpci = now.epcis.find((e) => e.membres.some((m) => m.code === '36005'))!
  const issoudunEpci = now.epcis.find((e) => e.membres.some((m) => m.code === '36088'))!
  const epcis = now.epcis.map((e) => {
    if (e === ardentesEpci) return { ...e, membres: e.membres.filter((m) => m.code !== '36005') }
    if (e === issoudunEpci) return { ...e, membres: [...e.membres, { code: '36005' }] }
    return e
  })
  return { communes, epcis }
}

const commune = async (insee: string) => (await sql<{ name: string; epci_code: string | null; status: string; merged_into: string | null }>`
  select name, epci_code, status, merged_into from commune where insee = ${insee}`.execute(owner)).rows[0]

t.test('an older list applied, then the packaged one: renames, EPCI moves and mergers follow; past referrals keep their code', async (t) => {
  const ardentesEpci = (await commune('36005')).epci_code
  const issoudunEpci = (await commune('36088')).epci_code

  const older = await loadCommunes(owner, olderLists())
  t.match(older, { added: 2, changed: 3 }, 'the older list is applied by content')
  t.match(await commune('36005'), { name: 'Ardentes-sur-Indre', epci_code: issoudunEpci })
  t.match(await commune('36151'), { name: 'Parpeçay', status: 'current', merged_into: null })

  // A referral filed for Parpeçay while it was a commune of its own.
  const before = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, communeInsee: '36151' } })
  t.equal(before.statusCode, 201, before.body)

  const refreshed = await loadCommunes(owner)
  t.match(refreshed, { added: 0, changed: 3, merged: 2, removed: 0 }, 'renames and the EPCI move back, two communes merged')
  t.match(await commune('36005'), { name: 'Ardentes', epci_code: ardentesEpci, status: 'current' })
  t.match(await commune('36088'), { name: 'Issoudun' })
  t.match(await commune('36229'), { name: 'Val-Fouzon', status: 'current' })
  t.match(await commune('36151'), { name: 'Parpeçay', status: 'merged', merged_into: '36229' }, 'kept, with the name it had, marked merged')
  t.same(await loadCommunes(owner), { added: 0, changed: 0, merged: 0, removed: 0, formerCodes: 0 }, 'a second refresh changes nothing')

  const past = (await app.inject({ url: `/api/v1/referrals/${before.json().id}`, headers: tic })).json()
  t.same(past.commune, { insee: '36151', name: 'Parpeçay' }, 'a past referral keeps the code it was filed with')

  const after = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, communeInsee: '36151' } })
  t.equal(after.statusCode, 201, 'the old code is still accepted')
  const detail = (await app.inject({ url: `/api/v1/referrals/${after.json().id}`, headers: tic })).json()
  t.same(detail.commune, { insee: '36229', name: 'Val-Fouzon' }, 'and lands on the new commune')
  t.match(detail.timeline[0].data, { communeInsee: '36229', communeInseeGiven: '36151' })
  // A code merged before Relais ever loaded it (Villers-les-Ormes → Saint-Maur) resolves too.
  const older2 = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, communeInsee: '36245' } })
  t.equal(older2.statusCode, 201, older2.body)
  t.same((await app.inject({ url: `/api/v1/referrals/${older2.json().id}`, headers: tic })).json().commune, { insee: '36202', name: 'Saint-Maur' })

  const form = new Visitor(app)
  await form.login('secretaire@ardentes.demo')
  const page = await form.get('/saisines/nouvelle')
  t.match(page.body, /value="36229"/)
  t.notMatch(page.body, /value="36151"/, 'the filing form offers today’s communes only')
})

t.test('a new routing rule cannot name a merged commune', async (t) => {
  const caf = (await app.inject({ url: '/api/v1/me', headers: await bearer(app, 'referent@caf36.demo') })).json().organisation.id
  const res = await app.inject({ method: 'POST', url: '/api/v1/routing-rules', headers: tic, payload: { themeCode: 'aides-caf', territoryKind: 'commune', territoryCode: '36151', organisationId: caf } })
  t.equal(res.statusCode, 400)
  t.match(res.json().error.details, [{ path: 'territoryCode' }])
})
