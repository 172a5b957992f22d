import t from 'tap'
import fc from 'fast-check'
import { buildApp } from '@relais/api/app'
import { renderMail } from '@relais/mail'
import { createTestEnv } from '../helpers/db.ts'
import { accessToken, auth, listRoutes, routeSchema, type JsonSchema, type RouteInfo } from '../helpers/security.ts'

// Generated bad input: values derived from each route's own schema (valid-ish and invalid), plus the classics.
// Pass: never a 5xx, every error in the usual shape, accepted filings read back exactly as sent, and
// people's text escaped in the HTML of mails.

const TOTAL = Number(process.env.SECURITY_FUZZ_CASES ?? 10_000)
const HTTP_CASES = Math.ceil(TOTAL * 0.4)
const MAIL_CASES = TOTAL - HTTP_CASES
// A fixed seed keeps CI repeatable; set SECURITY_FUZZ_SEED to explore other cases.
const SEED = Number(process.env.SECURITY_FUZZ_SEED ?? 20261122)

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })
await app.ready()

const roles = { tic: 'tic@indre.demo', secretary: 'secretaire@ardentes.demo', referent: 'referent@caf36.demo', admin: 'admin@caf36.demo' } as const
type RoleKey = keyof typeof roles
const tokens = {} as Record<RoleKey, string>
for (const [k, email] of Object.entries(roles)) tokens[k as RoleKey] = await accessToken(app, email)
const call = (who: RoleKey, method: string, url: string, payload?: unknown) =>
  app.inject({ method: method as 'GET', url, headers: auth(tokens[who]), ...(payload !== undefined ? { payload: payload as object } : {}) })

// Objects the generated requests may point at and spoil: made for this test, never the logins above.
const sacrificial: string[] = []
{
  const org = (await call('tic', 'POST', '/api/v1/organisations', { kind: 'partner', name: 'Organisme à abîmer' })).json()
  const person = (await call('tic', 'POST', '/api/v1/people', { organisationId: org.id, email: 'abimer@indre.demo', name: 'Personne à abîmer', role: 'referent' })).json()
  const theme = (await call('tic', 'POST', '/api/v1/themes', { code: 'a-abimer', label: 'Thème à abîmer' })).json()
  const referral = (await call('secretary', 'POST', '/api/v1/referrals', { themeCode: 'aides-caf', question: 'Saisine à abîmer', citizen: { name: 'Citoyen à abîmer', preferredChannel: 'post' } })).json()
  sacrificial.push(org.id, person.id, theme.id, referral.id)
}

// ---------------------------------------------------------------- nasty strings
const NASTY = [
  "' OR 1=1 --", "'; drop table referral; --", '" OR ""="', "1; select pg_sleep(5)", '\\', "%' and 1=1 and '%'='", '$1', "E'\\x00'",
  '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '"><svg onload=alert(1)>', '{{constructor.constructor("return process")()}}', '{{{html}}}',
  '\u0000', 'a\u0000b', '\uFFFF', '\uD800', '\uDFFF', 'e\u0301', '\u202Eevil', '🦄', 'ß'.repeat(300), ' ', '\t\n\r', '', '-1', '0', 'NaN', 'null', 'undefined', 'true',
  '__proto__', 'constructor', '../../etc/passwd', '%00', '%2e%2e%2f', 'x'.repeat(10_001), 'ﬀ'.repeat(2000),
]
const nasty = fc.constantFrom(...NASTY)
const anyText = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) }, { weight: 3, arbitrary: nasty })
const absurdDate = fc.oneof(
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '+275760-09-13T00:00:00.000Z', '2026-02-30T10:00:00Z', '2026-13-01T00:00:00Z', '2026-03-29T02:30:00+01:00', '1970-01-01T00:00:00Z', '2026-01-01', 'demain'),
)

/** An arbitrary for a JSON schema: mostly values of the right shape (edges included), sometimes anything at all. */
function arb(schema: JsonSchema | undefined, name = '', depth = 0): fc.Arbitrary<unknown> {
  if (!schema) return fc.constant(undefined)
  const wrong = fc.oneof(fc.anything({ maxDepth: 2 }), nasty, fc.integer(), fc.constant(null), fc.double())
  const right = ((): fc.Arbitrary<unknown> => {
    if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum)
    if (schema.const !== undefined) return fc.constant(schema.const)
    if (Array.isArray(schema.anyOf)) return fc.oneof(...schema.anyOf.map((s: JsonSchema) => arb(s, name, depth + 1)))
    if (Array.isArray(schema.allOf)) return arb(Object.assign({}, ...schema.allOf), name, depth + 1)
    switch (schema.type) {
      case 'object': {
        if (depth > 4) return fc.constant({})
        const props = (schema.properties ?? {}) as Record<string, JsonSchema>
        return fc.record(Object.fromEntries(Object.entries(props).map(([k, s]) => [k, arb(s, k, depth + 1)])), { requiredKeys: (schema.required ?? []).filter((k: string) => k in props) })
      }
      case 'array':
        if (Array.isArray(schema.items)) return fc.tuple(...schema.items.map((s: JsonSchema) => arb(s, name, depth + 1)))
        return fc.array(arb(schema.items, name, depth + 1), { maxLength: Math.min(schema.maxItems ?? 4, 4) })
      case 'integer': return fc.oneof(fc.integer({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6 }), fc.constantFrom(-1, 0, 1, 2 ** 31, -(2 ** 53), 1e21))
      case 'number': return fc.double()
      case 'boolean': return fc.boolean()
      case 'string': {
        if (schema.format === 'uuid') return fc.oneof(fc.constantFrom(...sacrificial), fc.uuid())
        if (schema.format === 'date-time') return absurdDate
        if (schema.format === 'email') return fc.oneof(fc.emailAddress(), fc.constantFrom('a@b', '<script>@x.fr', 'x@y.fr\r\nBcc: z@w.fr'))
        if (schema.pattern) return fc.oneof(fc.stringMatching(new RegExp(schema.pattern)), anyText)
        if (name === 'cursor') return fc.oneof(fc.json().map((j) => Buffer.from(j).toString('base64url')), anyText)
        return fc.oneof(fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 60, 60) }), anyText)
      }
      default: return anyText
    }
  })()
  const withNull = schema.nullable ? fc.oneof(right, fc.constant(null)) : right
  return fc.oneof({ weight: 6, arbitrary: withNull }, { weight: 1, arbitrary: wrong })
}

const routes = listRoutes(app).filter((r) => r.url.startsWith('/api/v1/') && !r.url.includes('/auth/'))
interface Case { route: RouteInfo; who: RoleKey; params: Record<string, unknown>; query: Record<string, unknown>; body: unknown }
const schemas = new Map(routes.map((r) => [r, routeSchema(app, r)]))
const caseArb: fc.Arbitrary<Case> = fc.constantFrom(...routes).chain((route) => {
  const s = schemas.get(route)!
  return fc.record({
    route: fc.constant(route),
    who: fc.constantFrom<RoleKey>('tic', 'secretary', 'referent', 'admin'),
    params: fc.record(Object.fromEntries(Object.entries(s.params).map(([k, ps]) => [k, fc.oneof(arb(ps, k), fc.constantFrom(...sacrificial))]))),
    query: fc.record(Object.fromEntries(Object.entries(s.query).map(([k, q]) => [k, arb(q.schema, k)])), { requiredKeys: [] }),
    body: s.body ? arb(s.body) : fc.constant(undefined),
  })
})

function urlOf(c: Case): string {
  // encodeURIComponent throws on a lone surrogate: send the replacement character a browser would send.
  const wellFormed = (v: string) => v.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
  const path = c.route.url.replace(/:(\w+)/g, (_, k) => encodeURIComponent(wellFormed(String(c.params[k] ?? 'x'))))
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(c.query)) if (v !== undefined) qs.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v))
  const q = qs.toString()
  return q ? `${path}?${q}` : path
}

const stats = { cases: 0, byStatus: {} as Record<number, number>, accepted: 0, filings: 0, readBack: 0, mails: 0, relogins: 0 }
const failures: string[] = []
const filed: { id: string; sent: { question: string; citizen: Record<string, unknown>; internalNote?: string } }[] = []

function checkAnswer(what: string, res: { statusCode: number; body: string; headers: Record<string, unknown> }) {
  stats.cases++
  stats.byStatus[res.statusCode] = (stats.byStatus[res.statusCode] ?? 0) + 1
  if (res.statusCode >= 500) failures.push(`${what}: ${res.statusCode} ${res.body.slice(0, 300)}`)
  else if (res.statusCode >= 400) {
    let ok = false
    try { const b = JSON.parse(res.body); ok = typeof b.error?.code === 'string' && typeof b.error?.message === 'string' } catch { /* not JSON */ }
    if (!ok) failures.push(`${what}: ${res.statusCode} answer not in the error shape: ${res.body.slice(0, 200)}`)
  }
}

t.test(`${HTTP_CASES} generated requests from the route schemas (seed ${SEED})`, async (t) => {
  const cases = fc.sample(caseArb, { numRuns: HTTP_CASES, seed: SEED })
  let i = 0
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (i < cases.length) {
      const c = cases[i++]
      const url = urlOf(c)
      let res = await call(c.who, c.route.method, url, c.body)
      if (res.statusCode === 401) {
        // A generated password change or deactivation may end a login's sessions: log in again, same request.
        tokens[c.who] = await accessToken(app, roles[c.who]).catch(() => tokens[c.who])
        stats.relogins++
        res = await call(c.who, c.route.method, url, c.body)
      }
      checkAnswer(`${c.who} ${c.route.method} ${url.slice(0, 200)} ${JSON.stringify(c.body)?.slice(0, 200)}`, res)
      if (res.statusCode < 300) stats.accepted++
      if (c.route.method === 'POST' && c.route.url === '/api/v1/referrals') {
        stats.filings++
        if (res.statusCode === 201) filed.push({ id: res.json().id, sent: c.body as typeof filed[number]['sent'] })
      }
    }
  }))
  t.comment(`${stats.cases} requests over ${routes.length} routes: ${Object.entries(stats.byStatus).map(([s, n]) => `${n} × ${s}`).join(', ')} (${stats.relogins} logins renewed)`)
  t.same(failures.slice(0, 20), [], 'no 5xx, every error in the usual shape')
})

t.test('accepted filings read back exactly as sent', async (t) => {
  // Generated filings are mostly refused by the schema: file some valid-shaped ones with nasty text on purpose.
  const texts = fc.sample(fc.oneof(anyText, fc.string({ unit: 'binary', minLength: 1, maxLength: 200 })), { numRuns: 150, seed: SEED + 1 })
  for (const [n, s] of texts.entries()) {
    const body = { themeCode: 'aides-caf', question: `Q${n} ${s}`, citizen: { name: `C${n} ${s}`.slice(0, 200), preferredChannel: 'counter' as const }, internalNote: s.slice(0, 2000) }
    const res = await call('secretary', 'POST', '/api/v1/referrals', body)
    checkAnswer(`filing ${JSON.stringify(body).slice(0, 200)}`, res)
    if (res.statusCode === 201) filed.push({ id: res.json().id, sent: body })
  }
  const differs: string[] = []
  for (const f of filed) {
    const res = await call('tic', 'GET', `/api/v1/referrals/${f.id}`)
    if (res.statusCode !== 200) { differs.push(`${f.id}: ${res.statusCode}`); continue }
    stats.readBack++
    const r = res.json()
    const expect = { question: f.sent.question, name: String(f.sent.citizen.name).trim(), email: f.sent.citizen.email ?? null, phone: f.sent.citizen.phone ?? null, note: f.sent.internalNote ?? null }
    const got = { question: r.question, name: r.citizen.name, email: r.citizen.email, phone: r.citizen.phone, note: r.internalNote }
    if (JSON.stringify(expect) !== JSON.stringify(got)) differs.push(`${f.id}: sent ${JSON.stringify(expect).slice(0, 300)} stored ${JSON.stringify(got).slice(0, 300)}`)
  }
  t.comment(`${filed.length} filings accepted (${stats.filings} generated filing attempts before them), ${stats.readBack} read back, ${differs.length} differ`)
  t.same(differs.slice(0, 10), [], 'what was accepted is what is stored')
})

t.test(`${MAIL_CASES} mails rendered with people’s text`, async (t) => {
  const base = { publicUrl: 'https://relais.example/', referralId: sacrificial[3], reference: '36-2026-000001', theme: 'Aides CAF', commune: 'Ardentes', recipientName: 'Nathalie Roux' }
  const html = fc.oneof(nasty, fc.string({ maxLength: 60 }).map((s) => `<b>${s}</b><script>x</script>`), fc.string({ unit: 'binary', maxLength: 60 }))
  const mailFailures: string[] = []
  for (const [n, s] of fc.sample(html, { numRuns: MAIL_CASES, seed: SEED + 2 }).entries()) {
    const text = s.trim() || `vide ${n}`
    const person = { name: text.slice(0, 200), organisation: text.slice(0, 200) }
    const kind = (['referral_new', 'answer_received', 'info_requested', 'transferred'] as const)[n % 4]
    const data = {
      referral_new: { ...base, mairie: text.slice(0, 200), question: text, citizen: { name: text.slice(0, 200), preferredChannel: 'counter' }, dueAt: new Date() },
      answer_received: { ...base, answer: text, answeredBy: person, answeredAt: new Date().toISOString(), citizenName: text.slice(0, 200) },
      info_requested: { ...base, request: text, requestedBy: person, citizenName: text.slice(0, 200) },
      transferred: { ...base, reason: text, from: person, dueAt: new Date(), question: text },
    }[kind]
    stats.cases++
    stats.mails++
    try {
      const mail = renderMail(kind, data as never)
      if (/[<>"]/.test(text) && mail.html.includes(text)) mailFailures.push(`${kind}: raw ${JSON.stringify(text)} in the HTML`)
      if (/<script>x<\/script>/i.test(mail.html)) mailFailures.push(`${kind}: a script tag survived`)
      if (/\r|\n/.test(mail.subject)) mailFailures.push(`${kind}: a line break in the subject`)
    } catch (err) {
      mailFailures.push(`${kind} ${JSON.stringify(text).slice(0, 80)}: ${(err as Error).message.slice(0, 200)}`)
    }
  }
  // The stored referrals of the previous test, as the worker would render them.
  for (const f of filed.slice(0, 200)) {
    const r = (await call('tic', 'GET', `/api/v1/referrals/${f.id}`)).json()
    try {
      const mail = renderMail('referral_new', { ...base, reference: r.reference, mairie: r.mairie.name, question: r.question, citizen: { name: r.citizen.name, email: r.citizen.email ?? undefined, phone: r.citizen.phone ?? undefined, preferredChannel: r.citizen.preferredChannel }, dueAt: new Date(r.dueAt ?? r.filedAt) })
      if (/[<>"]/.test(r.question) && mail.html.includes(r.question)) mailFailures.push(`stored ${r.reference}: raw question in the HTML`)
    } catch (err) {
      mailFailures.push(`stored ${r.reference}: cannot be rendered: ${(err as Error).message.slice(0, 200)}`)
    }
  }
  t.comment(`${stats.mails} generated mails + ${Math.min(filed.length, 200)} from stored filings rendered; ${mailFailures.length} problems`)
  t.same(mailFailures.slice(0, 10), [], 'people’s text is escaped in the HTML of every mail, and every accepted filing can be mailed')
})

t.test('the classics', async (t) => {
  const ref = sacrificial[3]
  const raw = (method: string, url: string, payload: string | Buffer, contentType = 'application/json', who: RoleKey = 'secretary') =>
    app.inject({ method: method as 'POST', url, payload, headers: { ...auth(tokens[who]), 'content-type': contentType } })
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n)
  const valid = { themeCode: 'aides-caf', question: 'Q', citizen: { name: 'N', preferredChannel: 'post' } }
  const classics: [string, () => ReturnType<typeof raw>, number[]][] = [
    ['malformed JSON', () => raw('POST', '/api/v1/referrals', '{"themeCode":'), [400]],
    ['JSON with a trailing comma', () => raw('POST', '/api/v1/referrals', '{"a":1,}'), [400]],
    ['invalid UTF-8 bytes', () => raw('POST', '/api/v1/referrals', Buffer.from([0x7b, 0x22, 0x71, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])), [400]],
    ['invalid UTF-8 inside a valid filing', () => raw('POST', '/api/v1/referrals', Buffer.concat([Buffer.from('{"themeCode":"aides-caf","question":"'), Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('","citizen":{"name":"N","preferredChannel":"post"}}')])), [201, 400]],
    ['1 MB body', () => raw('POST', '/api/v1/referrals', JSON.stringify({ ...valid, question: 'x'.repeat(1024 * 1024) })), [413]],
    ['just under 1 MB', () => raw('POST', '/api/v1/referrals', JSON.stringify({ ...valid, question: 'x'.repeat(1000 * 1000) })), [400]],
    ['a 10 MB CSV', () => raw('POST', '/api/v1/routing-rules/import', `theme;territoryKind;territoryCode;organisation;person\n${'aides-caf;departement;36;CAF;\n'.repeat(350_000)}`, 'text/csv', 'tic'), [400, 413]],
    ['deep nesting (10,000 levels)', () => raw('POST', '/api/v1/referrals', `{"themeCode":${deep(10_000)}}`), [400]],
    ['deep nesting (100,000 levels)', () => raw('POST', '/api/v1/referrals', deep(100_000)), [400, 413]],
    ['prototype pollution', () => raw('POST', '/api/v1/referrals', '{"__proto__":{"role":"network_admin"},"constructor":{"prototype":{"x":1}},"themeCode":"aides-caf","question":"Q","citizen":{"name":"N","preferredChannel":"post"}}'), [400]],
    ['a NUL byte in the question', () => raw('POST', '/api/v1/referrals', JSON.stringify({ ...valid, question: 'a\u0000b' })), [400]],
    ['a NUL byte in the name', () => raw('POST', '/api/v1/referrals', JSON.stringify({ ...valid, citizen: { name: '\u0000', preferredChannel: 'post' } })), [400]],
    ['a lone surrogate', () => raw('POST', '/api/v1/referrals', JSON.stringify({ ...valid, question: 'a\uD800b' })), [201, 400]],
    ['text/plain body', () => raw('POST', '/api/v1/referrals', 'hello', 'text/plain'), [400, 415]],
    ['form body', () => raw('POST', '/api/v1/referrals', 'a=b', 'application/x-www-form-urlencoded'), [415]],
    // (A Content-Length longer than the body is left out: light-my-request would wait for the missing bytes forever.)
    ['numbers for strings', () => raw('POST', '/api/v1/referrals', JSON.stringify({ themeCode: 1, question: 2, citizen: { name: 3, preferredChannel: 4 } })), [400]],
    ['array for an object', () => raw('POST', '/api/v1/referrals', '[]'), [400]],
    ['null body', () => raw('POST', '/api/v1/referrals', 'null'), [400]],
    ['empty body', () => raw('POST', '/api/v1/referrals', ''), [400]],
    ['a huge number', () => raw('PUT', '/api/v1/sla-policy', JSON.stringify({ responseMinutes: 1e308, clockMode: 'calendar', reminderBeforeMinutes: 0, escalations: [] }), 'application/json', 'tic'), [400]],
    ['a fraction for an integer', () => raw('PUT', '/api/v1/sla-policy', JSON.stringify({ responseMinutes: 1.5, clockMode: 'calendar', reminderBeforeMinutes: 0, escalations: [] }), 'application/json', 'tic'), [400]],
    ...['limit=-1', 'limit=0', 'limit=501', 'limit=1e100', 'limit=abc', 'limit=1&limit=2', 'limit=', 'cursor=%00', 'cursor=W10', 'cursor=WyJ4IiwieSJd', 'cursor=' + 'A'.repeat(600), 'cursor=WyIyMDI2LTAxLTAxVDAwOjAwOjAwWiIsIm5vdC1hLXV1aWQiXQ',
      'dueBefore=%2B275760-09-13T00:00:00.000Z', 'dueBefore=0000-01-01T00:00:00Z', 'dueBefore=2026-02-30T00:00:00Z', 'dueBefore=-000001-01-01T00:00:00Z', 'status=%27%20OR%201%3D1--', 'themeCode=%27%3B%20drop%20table%20referral%3B--',
      'organisationId=00000000-0000-0000-0000-000000000000', 'communeInsee=36005%00', 'overdue=maybe'].map((q): [string, () => ReturnType<typeof raw>, number[]] =>
      [`GET /referrals?${q}`, () => app.inject({ url: `/api/v1/referrals?${q}`, headers: auth(tokens.tic) }), [200, 400]]),
    ...['q=%27%20OR%201%3D1--', 'q=%25', 'q=_', 'q=%5C', 'q=%00', 'kind=mairie%27', 'communeInsee=36005%27--'].map((q): [string, () => ReturnType<typeof raw>, number[]] =>
      [`GET /organisations?${q}`, () => app.inject({ url: `/api/v1/organisations?${q}`, headers: auth(tokens.tic) }), [200, 400]]),
    ...['..%2F..%2Fetc%2Fpasswd', '%E0%A4%A', 'x'.repeat(5000), '%00', `${ref}%00`, `${ref.toUpperCase()}`, `{${ref}}`, ' ' + ref].map((id): [string, () => ReturnType<typeof raw>, number[]] =>
      [`GET /referrals/${id.slice(0, 40)}`, () => app.inject({ url: `/api/v1/referrals/${id}`, headers: auth(tokens.tic) }), [200, 400, 404, 414]]),
    ['appointment in year 275760', () => raw('POST', `/api/v1/referrals/${ref}/appointment`, JSON.stringify({ placeId: sacrificial[0], startsAt: '+275760-09-13T00:00:00.000Z' }), 'application/json', 'tic'), [400, 403, 404, 409]],
    ['appointment on 30 February', () => raw('POST', `/api/v1/referrals/${ref}/appointment`, JSON.stringify({ placeId: sacrificial[0], startsAt: '2026-02-30T10:00:00Z' }), 'application/json', 'tic'), [400, 403, 404, 409]],
    ['absence in year 0', () => raw('PATCH', `/api/v1/people/${sacrificial[1]}`, JSON.stringify({ absentFrom: '0000-01-01T00:00:00Z', absentUntil: '9999-12-31T23:59:59Z' }), 'application/json', 'tic'), [200, 400]],
    ['SLA with 10^6 minutes', () => raw('PUT', '/api/v1/sla-policy', JSON.stringify({ responseMinutes: 525600, clockMode: 'business_hours', reminderBeforeMinutes: 0, escalations: [{ afterDueMinutes: 525600, notify: ['mission_tic'] }], openingHours: { mon: [{ opens: '00:00', closes: '00:01' }] } }), 'application/json', 'tic'), [200, 400]],
  ]
  const outcomes: string[] = []
  for (const [what, send, expected] of classics) {
    const started = Date.now()
    const res = await send()
    if (Date.now() - started > 2000) t.comment(`${what}: ${Date.now() - started} ms`)
    checkAnswer(what, res)
    outcomes.push(`${what}: ${res.statusCode}`)
    t.ok(expected.includes(res.statusCode), `${what}: ${res.statusCode} (expected ${expected.join(' or ')})`)
  }
  t.comment(`${classics.length} classics: ${outcomes.join('; ').slice(0, 3000)}`)
  t.same(failures.slice(0, 20), [], 'no 5xx, every error in the usual shape')
  t.equal((await app.inject('/health/ready')).statusCode, 200, 'the API is still up and ready')
})

t.test('figures', async (t) => {
  t.comment(`${stats.cases} cases in all (seed ${SEED}): ${HTTP_CASES} generated requests, ${stats.mails} generated mails, the rest filings and classics; ${stats.readBack} filings read back; ${failures.length} failures`)
  t.ok(stats.cases >= TOTAL, `at least ${TOTAL} cases`)
})
