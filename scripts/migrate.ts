import { loadConfig } from '@relais/config'
import { ensureDatabase, migrateToLatest } from '@relais/db/migrate'

const config = loadConfig()
await ensureDatabase(config.DATABASE_URL)
const applied = await migrateToLatest(config.DATABASE_URL)
console.log(applied.length ? `Migrations appliquées : ${applied.join(', ')}` : 'Base à jour : aucune migration en attente.')
