import t from 'tap'
import { buildApp } from '@relais/api/app'
import { mayAttempt, ONBOARDING_ACTIONS, reaches, type Action, type RowFacts } from '@relais/core'
import { createTestEnv } from '../helpers/db.ts'
import { multipart, pngFile } from '../helpers/files.ts'
import { ACCOUNTS, accessToken, crossTenantReferences, auth, listRoutes, routeSchema, sampleValue, type Account, type JsonSchema, type RouteInfo } from '../helpers/security.ts'

// Every route of Fastify's route table × every demo login × every object that login must not reach (the other
// tenant's, and those of other organisations of its own tenant): only refusals, never the object's data.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })
await app.ready()

type Kind = 'referral' | 'organisation' | 'person' | 'theme' | 'routing_rule' | 'coverage'
interface Obj { kind: Kind; id: string; attachmentId?: string; tenant: string; org?: string; mairie?: string; holder?: string; code?: string; strings: string[]; label: string; reference?: string; trackingCode?: string }
interface Principal extends Account { token: string; personId: string; org: string }

const principals: Principal[] = []
for (const a of ACCOUNTS) {
  const token = await accessToken(app, a.email)
  const me = (await app.inject({ url: '/api/v1/me', headers: auth(token) })).json()
  principals.push({ ...a, token, personId: me.person.id, org: me.organisation.id })
}
const byEmail = (email: string) => principals.find((p) => p.email === email)!
const get = async (p: Principal, url: string) => {
  const res = await app.inject({ url: `/api/v1${url}`, headers: auth(p.token) })
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
  return res.json()
}

// ---------------------------------------------------------------- the objects, filed and read through the API
const objects: Obj[] = []
const tag = Math.random().toString(36).slice(2, 8)
for (const tenant of ['36', '18']) {
  const tic = principals.find((p) => p.tenant === tenant && p.role === 'network_admin')!
  const theme = await app.inject({ method: 'POST', url: '/api/v1/themes', headers: auth(tic.token), payload: { code: `sonde-${tenant}-${tag}`, label: `Thème sonde ${tenant} ${tag}` } })
  if (theme.statusCode !== 201) throw new Error(theme.body)
  const th = theme.json()
  objects.push({ kind: 'theme', id: th.id, tenant, code: th.code, strings: [th.id, th.code, th.label], label: `theme ${th.code}` })
  const caf = (await get(tic, '/themes?limit=500')).items.find((x: { code: string }) => x.code === 'aides-caf')
  // Seeded codes exist in both tenants (each sees its own): only the probe theme's code is the other's alone.
  objects.push({ kind: 'theme', id: caf.id, tenant, strings: [caf.id], label: `theme aides-caf ${tenant}` })

  for (const secretary of principals.filter((p) => p.tenant === tenant && p.role === 'secretary')) {
    for (const themeCode of ['aides-caf', 'urbanisme']) {
      const citizen = `Citoyen${tag}${objects.length} ${secretary.email.split('@')[1].split('.')[0]}`
      const question = `Question sonde ${tag}-${objects.length} : ${themeCode}`
      // Each referral is filed with a file (issue 15): its download route is probed with its real id, its name watched.
      const fileName = `Piece sonde ${tag}-${objects.length}.png`
      const form = multipart([{ name: fileName, content: pngFile() }])
      const up = await app.inject({ method: 'POST', url: '/api/v1/attachments', headers: { ...auth(secretary.token), ...form.headers }, payload: form.payload })
      if (up.statusCode !== 201) throw new Error(`upload: ${up.statusCode} ${up.body}`)
      const attachment = up.json().items[0]
      const res = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: auth(secretary.token), payload: { themeCode, question, citizen: { name: citizen, email: `${tag}${objects.length}@citoyen.example`, preferredChannel: 'email' }, attachmentIds: [attachment.id] } })
      if (res.statusCode !== 201) throw new Error(`file: ${res.statusCode} ${res.body}`)
      const r = res.json()
      objects.push({ kind: 'referral', id: r.id, attachmentId: attachment.id, tenant, mairie: secretary.org, holder: r.assignedOrganisation.id, reference: r.reference, trackingCode: r.trackingCode, strings: [r.id, r.reference, citizen, question, attachment.id, fileName], label: `referral ${r.reference} (${secretary.email} → ${r.assignedOrganisation.name})` })
    }
  }
  const orgs = (await get(tic, '/organisations?limit=500')).items as { id: string; kind: string; name: string; email: string | null }[]
  const own = new Set(principals.filter((p) => p.tenant === tenant).map((p) => p.org))
  const sample = [...orgs.filter((o) => own.has(o.id) || o.kind !== 'mairie'), ...orgs.filter((o) => o.kind === 'mairie' && !own.has(o.id)).slice(0, 2)]
  for (const o of sample) objects.push({ kind: 'organisation', id: o.id, tenant, org: o.id, strings: [o.id, o.name, ...(o.email ? [o.email] : [])], label: `organisation ${o.name}` })
  for (const p of (await get(tic, '/people?limit=500')).items) objects.push({ kind: 'person', id: p.id, tenant, org: p.organisationId, strings: [p.id, JSON.stringify(p.email), p.name], label: `person ${p.email}` })
  for (const [kind, path] of [['routing_rule', '/routing-rules'], ['coverage', '/coverage']] as const) {
    for (const r of (await get(tic, `${path}?limit=500`)).items) objects.push({ kind, id: r.id, tenant, org: r.organisationId, strings: [r.id], label: `${kind} ${r.themeCode}/${r.territoryCode}` })
  }
}

// What a login may reach is read from the access table (packages/core/src/access.ts) and the action each route
// declares: the probe expects a refusal wherever the table says no.
/** The action that reads each kind of object (for the strings a login must never read anywhere). */
const READ_ACTION: Record<Kind, Action> = {
  referral: 'referral.read', person: 'people.read', organisation: 'organisation.read', theme: 'theme.read', routing_rule: 'routing.read', coverage: 'routing.read',
}
/** The object as the access table's reach rules see it. */
function factsOf(o: Obj): RowFacts {
  switch (o.kind) {
    case 'referral': return { mairieOrganisationId: o.mairie, holderOrganisationId: o.holder }
    case 'person': return { personId: o.id, organisationId: o.org }
    case 'theme': return { active: true }
    default: return { organisationId: o.org }
  }
}
function actionOf(method: string, url: string): Action {
  const declared = app.accessOf(method, url)
  if (!declared || declared.access === 'public') throw new Error(`${method} ${url}: no action declared`)
  return declared.access
}
/** May this login legitimately reach this object by this route (by reading it, without one)? Everything else must be refused. */
function mayReach(p: Principal, o: Obj, method: string, url?: string): boolean {
  if (o.tenant !== p.tenant) return false
  const action = url ? actionOf(method, url) : READ_ACTION[o.kind]
  return reaches({ personId: p.personId, organisationId: p.org, role: p.role }, action, factsOf(o))
}
/** Strings a login must never read anywhere: everything of the other tenant, referrals and people it cannot see. */
function secretsFor(p: Principal): { obj: Obj; s: string }[] {
  return objects.filter((o) => o.tenant !== p.tenant || ((o.kind === 'referral' || o.kind === 'person') && !mayReach(p, o, 'GET')))
    .flatMap((obj) => obj.strings.map((s) => ({ obj, s })))
}

const KIND_OF_SEGMENT: Record<string, Kind> = { organisations: 'organisation', people: 'person', themes: 'theme', 'routing-rules': 'routing_rule', coverage: 'coverage', referrals: 'referral', 'sla-policy': 'theme' }
const kindOf = (url: string): Kind | undefined => KIND_OF_SEGMENT[url.replace(/^\/api\/v1\//, '').split(/[/.]/)[0]]
const KIND_OF_FIELD: Record<string, Kind> = { organisationId: 'organisation', placeOrganisationId: 'organisation', personId: 'person', backupPersonId: 'person', themeId: 'theme' }

/** Valid values for a body, from the caller's own tenant, so that only the object in question is out of bounds. */
function bodyFor(schema: JsonSchema | undefined, p: Principal, override: Record<string, string> = {}) {
  const ownOrg = objects.find((o) => o.tenant === p.tenant && o.kind === 'organisation' && o.label.includes('CAF'))
  return sampleValue(schema, (name, s) => {
    if (name in override) return override[name]
    if (s.format === 'uuid') return (name === 'personId' || name === 'backupPersonId') ? p.personId : ownOrg?.id
    if (name === 'themeCode') return 'aides-caf'
    if (name === 'territoryCode') return p.tenant
    if (name === 'territoryKind') return 'departement'
    if (name === 'communeInsee') return p.tenant === '36' ? '36005' : '18033'
    if (name === 'reason' || name === 'body') return 'Sonde d’isolement'
    return undefined
  })
}

const routes = listRoutes(app)
const ALLOWED = new Set([400, 401, 403, 404, 405])
const stats = { requests: 0, byStatus: {} as Record<number, number>, validation: 0, routes: new Set<string>(), pairs: 0 }
const failures: string[] = []
async function probe(p: Principal, route: RouteInfo, url: string, payload: unknown, watched: { obj: Obj; s: string }[], what: string, expectRefusal: boolean) {
  const res = await app.inject({ method: route.method as 'GET', url, headers: auth(p.token), ...(payload !== undefined ? { payload: payload as object } : {}) })
  stats.requests++
  stats.byStatus[res.statusCode] = (stats.byStatus[res.statusCode] ?? 0) + 1
  if (res.statusCode === 400 && /validation_failed/.test(res.body)) { stats.validation++; if (process.env.PROBE_DEBUG) console.error(route.method, route.url, JSON.stringify(payload), res.body.slice(0, 200)) }
  if (res.statusCode >= 500) failures.push(`${p.email} ${route.method} ${url} (${what}): ${res.statusCode} ${res.body.slice(0, 200)}`)
  else if (expectRefusal && !ALLOWED.has(res.statusCode)) failures.push(`${p.email} ${route.method} ${url} (${what}): ${res.statusCode} ${res.body.slice(0, 200)}`)
  const leaked = watched.find((w) => res.body.includes(w.s))
  if (leaked) failures.push(`${p.email} ${route.method} ${url} (${what}): ${res.statusCode} shows “${leaked.s}” of ${leaked.obj.label}`)
}

t.test('path parameters filled with objects the login must not reach', async (t) => {
  // The public tracking route (no login, a reference and its code) has its own probe below.
  const withParams = routes.filter((r) => /\/:\w+/.test(r.url) && r.url.startsWith('/api/') && app.accessOf(r.method, r.url)?.access !== 'public')
  t.ok(withParams.length >= 20, `${withParams.length} routes with path parameters`)
  for (const route of withParams) {
    stats.routes.add(`${route.method} ${route.url}`)
    const kind = kindOf(route.url)
    const schema = routeSchema(app, route)
    for (const p of principals) {
      const targets = objects.filter((o) => (!kind || o.kind === kind) && !mayReach(p, o, route.method, route.url) && (!route.url.includes(':code') || o.code))
      for (const o of targets) {
        const url = route.url.replace(/:(\w+)/g, (_, name) => (name === 'code' ? o.code! : name === 'attachmentId' ? (o.attachmentId ?? o.id) : o.id))
        stats.pairs++
        await probe(p, route, url, schema.body ? bodyFor(schema.body, p) : undefined, o.strings.map((s) => ({ obj: o, s })), o.label, true)
      }
    }
  }
  t.same(failures, [], 'no route let a login reach an object it must not')
})

t.test('ids of the other tenant in query strings and bodies', async (t) => {
  failures.length = 0
  const api = routes.filter((r) => r.url.startsWith('/api/v1/') && !r.url.includes('/auth/'))
  for (const route of api) {
    const schema = routeSchema(app, route)
    const uuidQuery = Object.entries(schema.query).filter(([, q]) => q.schema.format === 'uuid').map(([name]) => name)
    const uuidBody = Object.entries((schema.body?.properties ?? {}) as Record<string, JsonSchema>).filter(([, s]) => s.format === 'uuid').map(([name]) => name)
    if (route.method === 'GET' && !route.url.includes(':')) {
      stats.routes.add(`${route.method} ${route.url}`)
      for (const p of principals) {
        const secrets = secretsFor(p)
        await probe(p, route, route.url, undefined, secrets, 'plain list', false)
        for (const name of uuidQuery) {
          for (const o of objects.filter((o) => o.tenant !== p.tenant && (!KIND_OF_FIELD[name] || KIND_OF_FIELD[name] === o.kind))) {
            stats.pairs++
            await probe(p, route, `${route.url}?${name}=${o.id}`, undefined, secrets, `${name}=${o.label}`, false)
          }
        }
      }
    }
    if (route.method !== 'GET' && uuidBody.length) {
      stats.routes.add(`${route.method} ${route.url}`)
      const kind = kindOf(route.url)
      for (const p of principals.filter((x) => x.role === 'network_admin')) {
        // The caller's own object in the path (if any), another tenant's id in one body field.
        const own = objects.find((o) => o.tenant === p.tenant && (!kind || o.kind === kind) && o.id !== p.personId && (!route.url.includes(':code') || o.code))
        if (route.url.includes(':') && !own) continue
        const url = route.url.replace(/:(\w+)/g, (_, name) => (name === 'code' ? own!.code! : own!.id))
        for (const field of uuidBody) {
          for (const o of objects.filter((o) => o.tenant !== p.tenant && (!KIND_OF_FIELD[field] || KIND_OF_FIELD[field] === o.kind))) {
            stats.pairs++
            const payload = { ...(bodyFor(schema.body, p) as object), ...bodyFor({ type: 'object', required: [field], properties: { [field]: schema.body!.properties[field] } }, p, { [field]: o.id }) as object }
            // The id itself is the caller's own input (a message may quote it back); anything else of the object is not.
            // An optional field may be ignored (a transfer with a personId but no organisationId goes back to routing):
            // what matters is that nothing of the other tenant comes back and nothing points at it afterwards (below).
            await probe(p, route, url, payload, o.strings.filter((s) => s !== o.id).map((s) => ({ obj: o, s })), `${field}=${o.label}`, false)
          }
        }
      }
    }
  }
  t.same(failures, [], 'another tenant’s ids lead nowhere')
  const refs = await crossTenantReferences(env.config.DATABASE_URL)
  t.comment(`afterwards, as the owner: ${refs.checked} rows and JSON values checked, ${refs.rows.length} pointing at another tenant`)
  t.same(refs.rows, [], 'no row of one tenant points at the other')
})

t.test('every route declares its access, and a role the table refuses is refused before anything else', async (t) => {
  // Plugins' own routes: the API's documentation, and the static files (drawn as /* by printRoutes).
  const undeclared = routes.filter((r) => !app.accessOf(r.method, r.url) && !/^\/(api\/docs|static\/|\*$)/.test(r.url))
  t.same(undeclared, [], 'every route of the app names an action of the access table, or public')
  const fresh = await buildApp(env.config, { logger: false })
  t.throws(() => fresh.get('/sans-acces', async () => 'x'), /no access declared/, 'a route that declares nothing stops the start')
  t.throws(() => fresh.get('/acces-inconnu', { config: { access: 'tout.faire' as Action } }, async () => 'x'), /unknown action/)
  await fresh.close()
  const refusals: string[] = []
  let checked = 0
  for (const route of routes.filter((r) => r.url.startsWith('/api/v1/'))) {
    const declared = app.accessOf(route.method, route.url)!
    if (declared.access === 'public' || declared.afterLookup) continue
    const url = route.url.replace(/:(\w+)/g, (_, name) => (name === 'code' ? 'aides-caf' : '00000000-0000-4000-8000-000000000000'))
    for (const p of principals.filter((x) => !mayAttempt(x.role, declared.access as Action))) {
      checked++
      const res = await app.inject({ method: route.method as 'GET', url, headers: auth(p.token), payload: route.method === 'GET' ? undefined : {} })
      stats.requests++
      if (res.statusCode !== 403 || res.json().error?.code !== 'forbidden') refusals.push(`${p.email} ${route.method} ${route.url} (${declared.access}): ${res.statusCode} ${res.body.slice(0, 120)}`)
    }
  }
  t.ok(checked > 100, `${checked} route × login pairs the table refuses`)
  t.same(refusals, [], 'each answered 403 forbidden')
})

t.test('an organisation still onboarding: its people reach the onboarding routes only, every other one answers 403 onboarding_only', async (t) => {
  // The demo's MSA Berry-Touraine (Cher) is onboarding; its admin logs in like anyone.
  const token = await accessToken(app, 'admin@msa18.demo')
  const mine = (await app.inject({ url: '/api/v1/me', headers: auth(token) })).json()
  const wrong: string[] = []
  let checked = 0
  for (const route of routes.filter((r) => r.url.startsWith('/api/v1/'))) {
    const declared = app.accessOf(route.method, route.url)!
    if (declared.access === 'public' || ONBOARDING_ACTIONS.has(declared.access)) continue
    const url = route.url.replace(/:(\w+)/g, (_, name) => (name === 'code' ? 'aides-caf' : '00000000-0000-4000-8000-000000000000'))
    checked++
    const res = await app.inject({ method: route.method as 'GET', url, headers: auth(token), payload: route.method === 'GET' ? undefined : {} })
    stats.requests++
    if (res.statusCode !== 403 || res.json().error?.code !== 'onboarding_only') wrong.push(`${route.method} ${route.url} (${declared.access}): ${res.statusCode} ${res.body.slice(0, 120)}`)
  }
  t.ok(checked > 80, `${checked} routes out of the onboarding pages`)
  t.same(wrong, [], 'each refused before anything else')
  // The onboarding routes themselves, with another tenant's and another organisation's objects: refused like anyone's.
  const open = routes.filter((r) => r.url.startsWith('/api/v1/') && /:\w+/.test(r.url) && ONBOARDING_ACTIONS.has(app.accessOf(r.method, r.url)!.access as Action))
  for (const route of open) {
    for (const o of objects.filter((x) => (x.kind === 'organisation' || x.kind === 'person') && x.org !== mine.organisation.id)) {
      const res = await app.inject({ method: route.method as 'GET', url: route.url.replace(/:(\w+)/g, o.id), headers: auth(token), payload: route.method === 'GET' ? undefined : {} })
      stats.requests++
      if (!ALLOWED.has(res.statusCode)) wrong.push(`${route.method} ${route.url} with ${o.label}: ${res.statusCode}`)
      const leaked = o.strings.filter((x) => x !== o.id).find((x) => res.body.includes(x))
      if (leaked) wrong.push(`${route.method} ${route.url} shows « ${leaked} » of ${o.label}`)
    }
  }
  t.same(wrong, [], `${open.length} onboarding routes with other organisations’ and the other tenant’s ids: refused, nothing shown`)
})

t.test('tracking without login: a reference opens only with its own code; a miss never tells a known reference from an unknown one', async (t) => {
  const referrals = objects.filter((o) => o.kind === 'referral')
  t.ok(referrals.length >= 4, `${referrals.length} referrals of both tenants`)
  let n = 0
  // Each request from its own address: the throttle (tested in test/integration/citizen.test.ts) stays out of the way.
  const track = (reference: string, code: string) => app.inject({ url: `/api/v1/tracking/${encodeURIComponent(reference)}?code=${encodeURIComponent(code)}`, remoteAddress: `10.77.${Math.floor(n / 250)}.${n++ % 250}` })
  const misses = new Set<string>()
  const wrong: string[] = []
  for (const o of referrals) {
    const own = await track(o.reference!, o.trackingCode!)
    if (own.statusCode !== 200) wrong.push(`${o.label} with its own code: ${own.statusCode}`)
    const shown = o.strings.filter((s) => s !== o.reference).find((s) => own.body.includes(s))
    if (shown) wrong.push(`${o.label}: the tracking answer shows « ${shown} »`)
    for (const other of referrals.filter((x) => x !== o)) {
      const res = await track(o.reference!, other.trackingCode!)
      if (res.statusCode !== 404) wrong.push(`${o.label} with the code of ${other.label}: ${res.statusCode}`)
      misses.add(res.body)
    }
    const [code, year, seq] = o.reference!.split('-')
    for (const ref of [`${code}-${year}-999999`, `${code === '36' ? '18' : '36'}-${year}-${seq}`, `${code}-${Number(year) - 1}-${seq}`]) {
      const res = await track(ref, o.trackingCode!)
      if (res.statusCode !== 404) wrong.push(`${ref} (unknown) with the code of ${o.label}: ${res.statusCode}`)
      misses.add(res.body)
    }
  }
  t.same(wrong, [], 'each referral opens with its code alone, in its tenant alone, with nothing personal')
  t.equal(misses.size, 1, `${n} requests: every miss (a code of another referral or tenant, an unknown reference) answers the same bytes`)
})

t.test('figures', async (t) => {
  const tested = routes.filter((r) => r.url.startsWith('/api/v1/'))
  t.comment(`route table: ${routes.length} routes (${tested.length} under /api/v1); probed ${stats.routes.size} routes × ${principals.length} logins (${new Set(principals.map((p) => p.role)).size} roles, 2 tenants) × ${objects.length} objects (${Object.entries(objects.reduce((m, o) => ({ ...m, [o.kind]: (m[o.kind] ?? 0) + 1 }), {} as Record<string, number>)).map(([k, n]) => `${n} ${k}`).join(', ')})`)
  t.comment(`${stats.pairs} route × login × object probes, ${stats.requests} requests; answers: ${Object.entries(stats.byStatus).map(([s, n]) => `${n} × ${s}`).join(', ')}; ${stats.validation} of the 400s were validation_failed (a foreign id named in a body, refused as unknown)`)
  t.ok(stats.requests > 1000)
  t.notOk(Object.keys(stats.byStatus).some((s) => Number(s) >= 500), 'no 5xx')
})
