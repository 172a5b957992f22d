import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

// The layers of docs/architecture.md, checked on the sources: routes, pages and the worker parse, call a use case and
// shape the answer; SQL, the driver and Kysely live in packages/db (and the wiring of the pool in apps/api/src/plugins).

const root = fileURLToPath(new URL('../../', import.meta.url))

function files(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = path.join(dir, name)
    if (statSync(path.join(root, rel)).isDirectory()) return files(rel)
    return rel.endsWith('.ts') && !rel.endsWith('.test.ts') ? [rel] : []
  })
}

const imports = (file: string) =>
  [...readFileSync(path.join(root, file), 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)]
    .map((m) => ({ what: m[0], from: m[1] ?? m[2] }))

const LAYERS = ['apps/api/src/routes', 'apps/api/src/pages', 'apps/worker/src']
const DRIVER = /^(pg|pg-pool|kysely|@fastify\/postgres)(\/.*)?$/

t.test('routes, pages and the worker never import the database driver, Kysely, raw SQL or a repository', async (t) => {
  const offences: string[] = []
  for (const file of LAYERS.flatMap(files)) {
    for (const { what, from } of imports(file)) {
      const typeOnly = /^\s*(import|export)\s+type\s/.test(what)
      if (DRIVER.test(from)) offences.push(`${file}: ${from}`)
      else if (from.startsWith('@relais/db') && /\bsql\b/.test(what.replace(/type \w+/g, ''))) offences.push(`${file}: sql from ${from}`)
      // Repositories are the use cases' to call: up here, their types at most.
      else if (/^@relais\/db\/(repositories\/|directory$)/.test(from) && !typeOnly) offences.push(`${file}: ${from}`)
    }
  }
  t.same(offences, [], 'no database access outside packages')
})

t.test('routes and pages do not import each other', async (t) => {
  const offences: string[] = []
  for (const [from, to] of [['apps/api/src/routes', 'pages/'], ['apps/api/src/pages', 'routes/']]) {
    for (const file of files(from)) for (const i of imports(file)) if (i.from.includes(`/${to}`) || i.from.startsWith(`../${to}`)) offences.push(`${file}: ${i.from}`)
  }
  t.same(offences, [])
})

t.test('the pure domain does no I/O', async (t) => {
  const offences: string[] = []
  for (const file of files('packages/core/src')) {
    for (const { from } of imports(file)) if (/^(pg|kysely|ioredis|bullmq|fastify|nodemailer|node:fs|node:net|node:http|@relais\/(db|mail|referrals|directory|auth))/.test(from)) offences.push(`${file}: ${from}`)
  }
  t.same(offences, [])
})

t.test('docs/architecture.md names only files that exist', async (t) => {
  const doc = readFileSync(path.join(root, 'docs/architecture.md'), 'utf8')
  const named = new Set([...doc.matchAll(/(?:^|[\s`(\[])((?:apps|packages|test|migrations|scripts|infra|docs)\/[\w./-]*\.(?:ts|md|yaml|hbs|js|css|json))/g)].map((m) => m[1]))
  t.ok(named.size > 5, `${named.size} paths named`)
  const missing = [...named].filter((p) => { try { statSync(path.join(root, p)); return false } catch { return true } })
  t.same(missing, [], 'every file the architecture names is in the repository')
})
