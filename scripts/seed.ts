import { loadConfig } from '@relais/config'
import { createOwnerKysely, createPool } from '@relais/db'
import { ensureDatabase, migrateToLatest } from '@relais/db/migrate'
import { seedDemo } from '@relais/db/seed'

const config = loadConfig()
await ensureDatabase(config.DATABASE_URL)
await migrateToLatest(config.DATABASE_URL)
const db = createOwnerKysely(createPool(config.DATABASE_URL, 2))
try {
  const result = await seedDemo(db, { production: config.NODE_ENV === 'production' })
  console.log(result
    ? `Réseau de démonstration chargé : ${result.tenants} départements, ${result.organisations} organisations, ${result.people} personnes.`
    : 'La base contient déjà des départements : rien n’a été chargé.')
} finally {
  await db.destroy()
}
