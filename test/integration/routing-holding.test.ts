// Routing and holding as a network runs it (issue 11): only active organisations receive referrals, an absent
// referent falls back to a colleague then to the admins, "pas pour nous" never sends a referral back to a decliner.
import t from 'tap'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { startApp } from '../helpers/network.ts'

const { app } = await startApp()

const secretary = await bearer(app, 'secretaire@ardentes.demo')
const caf = await bearer(app, 'referent@caf36.demo')
const ddt = await bearer(app, 'referent@ddt36.demo')
const tic = await bearer(app, 'tic@indre.demo')

type Event = { kind: string; data: Record<string, unknown> }
const me = async (h: { authorization: string }) => (await app.inject({ url: '/api/v1/me', headers: h })).json()
const file = async (payload: object = sampleReferral) => {
  const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json() as { id: string; status: string; assignedOrganisation: { id: string; name: string } }
}
const get = async (id: string) => (await app.inject({ url: `/api/v1/referrals/${id}`, headers: tic })).json()
const lastAssigned = (detail: { timeline: Event[] }) => detail.timeline.filter((e) => e.kind === 'assigned').pop()!
const call = async (method: 'PATCH' | 'POST', url: string, payload: object) => {
  const res = await app.inject({ method, url: `/api/v1${url}`, headers: tic, payload })
  if (res.statusCode >= 300) throw new Error(`${url}: ${res.body}`)
  return res.json()
}

const cafOrg = (await me(caf)).organisation.id as string
const ddtOrg = (await me(ddt)).organisation.id as string
const ticOrg = (await me(tic)).organisation.id as string
const people = (await (await app.inject({ url: `/api/v1/people?organisationId=${cafOrg}&limit=50`, headers: tic })).json()).items as { id: string; email: string }[]
const personId = (email: string) => people.find((p) => p.email === email)!.id

t.test('only active organisations receive referrals: onboarding and suspended ones fall through', async (t) => {
  for (const status of ['onboarding', 'suspended'] as const) {
    await call('PATCH', `/organisations/${cafOrg}`, { status })
    const r = await file()
    t.equal(r.status, 'submitted', `${status}: the triage queue`)
    t.equal(r.assignedOrganisation.id, ticOrg)
    // Nor can anyone send it there by hand.
    const moved = await app.inject({ method: 'POST', url: `/api/v1/referrals/${r.id}/assign`, headers: tic, payload: { organisationId: cafOrg } })
    t.equal(moved.statusCode, 400, `${status}: no manual assignment either`)
    t.match(moved.json().error.message, /n’est pas actif/)
  }
  await call('PATCH', `/organisations/${cafOrg}`, { status: 'active' })
  t.equal((await file()).assignedOrganisation.id, cafOrg, 'active again: the rule applies')
})

t.test('“pas pour nous” excludes every organisation that declined; none left: triage', async (t) => {
  const r = await file()
  t.equal(r.assignedOrganisation.id, cafOrg)
  const toDdt = await app.inject({ method: 'POST', url: `/api/v1/referrals/${r.id}/transfer`, headers: caf, payload: { organisationId: ddtOrg, reason: 'Pas pour nous : urbanisme.' } })
  t.equal(toDdt.statusCode, 200, toDdt.body)
  const back = await app.inject({ method: 'POST', url: `/api/v1/referrals/${r.id}/transfer`, headers: ddt, payload: { toRouting: true, reason: 'Pas pour nous non plus.' } })
  t.equal(back.statusCode, 200, back.body)
  t.equal(back.json().status, 'submitted', 'not back to the CAF, which declined it first')
  t.equal(back.json().holder.organisation.id, ticOrg)
  t.match(lastAssigned(back.json()).data, { mode: 'triage', reason: /Aucune autre règle/ })
})

t.test('covering referent absent without backup: a present colleague covering the theme, then the admins, said on the timeline', async (t) => {
  const nathalie = personId('referent@caf36.demo')
  const karim = personId('referent2@caf36.demo')
  const philippe = personId('admin@caf36.demo')
  await call('PATCH', `/people/${nathalie}`, { absentFrom: '2026-11-20T00:00:00Z', absentUntil: '2026-12-20T00:00:00Z', backupPersonId: null })

  const toAdmin = await file()
  const d1 = await get(toAdmin.id)
  t.equal(d1.holder.person?.id, philippe, 'nobody covers it and is present: the organisation’s admin holds it')
  t.match(lastAssigned(d1).data.reason, /confiée à l’administrateur de l’organisation/)

  // Karim covers the theme on another EPCI than Ardentes'.
  await call('POST', '/coverage', { themeCode: 'aides-caf', territoryKind: 'epci', territoryCode: '243600236', organisationId: cafOrg, personId: karim })
  const toColleague = await file()
  const d2 = await get(toColleague.id)
  t.equal(d2.holder.person?.id, karim, 'a present colleague covering the theme elsewhere')
  t.match(lastAssigned(d2).data.reason, /collègue qui couvre ce thème sur un autre territoire/)
  await call('PATCH', `/people/${nathalie}`, { absentFrom: null, absentUntil: null, backupPersonId: karim })
})

t.test('a territory kind not modelled (canton) is refused at import with its line number, rules and coverage alike', async (t) => {
  for (const path of ['routing-rules', 'coverage']) {
    const file = ['theme_code;territory_kind;territory_code;organisation;referent_email', 'aides-caf;departement;36;CAF de l’Indre;', 'aides-caf;canton;3605;CAF de l’Indre;'].join('\n')
    const res = await app.inject({ method: 'POST', url: `/api/v1/${path}/import`, headers: { ...tic, 'content-type': 'text/csv' }, payload: file })
    t.equal(res.statusCode, 400, path)
    t.match(res.json().error.details, [{ line: 3, column: 'territory_kind', message: /« canton » non pris en charge/ }], path)
  }
})
