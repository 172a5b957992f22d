import t from 'tap'
import { Validator } from '@seriousme/openapi-schema-validator'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'

// Partner systems generate their clients from this document: an independent validator must accept all of it.
const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })

t.test('/api/docs/json is a valid OpenAPI document', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/api/docs/json' })
  t.equal(res.statusCode, 200)
  const doc = res.json()
  const validator = new Validator()
  const result = await validator.validate(structuredClone(doc))
  t.same(result.errors, undefined, 'no schema errors')
  t.ok(result.valid, `valid OpenAPI ${validator.version}`)
  t.match(doc.openapi, /^3\.0\./)
})

t.test('opening hours: one shape, stated exactly, on the organisation and SLA-policy routes', async (t) => {
  const doc = (await app.inject({ method: 'GET', url: '/api/docs/json' })).json()
  const found: { route: string; schema: Record<string, unknown> }[] = []
  // Every openingHours property of the document, wherever a route inlined it.
  const walk = (node: unknown, route: string): void => {
    if (!node || typeof node !== 'object') return
    for (const [key, value] of Object.entries(node)) {
      if (key === 'openingHours' && value && typeof value === 'object' && 'properties' in value) found.push({ route, schema: value as Record<string, unknown> })
      else walk(value, route)
    }
  }
  for (const [route, item] of Object.entries(doc.paths)) walk(item, route)
  t.ok(found.some((f) => f.route.startsWith('/api/v1/organisations')), 'organisation routes describe opening hours')
  t.ok(found.some((f) => f.route.startsWith('/api/v1/sla-policy')), 'SLA-policy routes describe opening hours')
  const shapes = new Set(found.map(({ schema: { nullable: _n, ...shape } }) => JSON.stringify(shape)))
  t.equal(shapes.size, 1, 'the same shape everywhere')
  const day = (found[0].schema.properties as Record<string, { type: string; items: { type: string; required: string[] } }>).mon
  t.equal(day.type, 'array')
  t.same(day.items.type, 'object', 'a window is an object, not a tuple')
  t.same([...day.items.required].sort(), ['closes', 'opens'])
})
