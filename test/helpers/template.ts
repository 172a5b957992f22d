import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** The template's name follows the code that builds it, so concurrent runs of different code never share one. */
export function templateName(): string {
  const h = createHash('sha256')
  const files = [
    ...readdirSync(`${root}migrations`).sort().map((f) => `migrations/${f}`),
    'packages/db/src/seed.ts', 'packages/db/src/seed-fiches.ts', 'packages/db/src/seed-appointments.ts', 'packages/db/src/migrate.ts', 'packages/db/src/migration-helpers.ts',
  ]
  for (const f of files) h.update(f).update(readFileSync(`${root}${f}`))
  return `relais_tpl_${h.digest('hex').slice(0, 16)}`
}
