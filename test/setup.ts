// Runs once before the test files (tap's "before"): a migrated, seeded template database to copy.
// Built under a temporary name and renamed, so a concurrent run never copies a half-built template.
import pg from 'pg'
import { randomBytes } from 'node:crypto'
import { withDatabase } from '@relais/config'
import { createOwnerKysely, createPool } from '@relais/db'
import { migrateToLatest } from '@relais/db/migrate'
import { seedDemo } from '@relais/db/seed'
import { OWNER_URL, TEMPLATE_DB } from './helpers/db.ts'

const client = new pg.Client({ connectionString: withDatabase(OWNER_URL, 'postgres') })
await client.connect()
const exists = await client.query('select 1 from pg_database where datname = $1', [TEMPLATE_DB])
if (!exists.rowCount) {
  const building = `relais_tplbuild_${randomBytes(4).toString('hex')}`
  await client.query(`create database ${building}`)
  const url = withDatabase(OWNER_URL, building)
  await migrateToLatest(url)
  const db = createOwnerKysely(createPool(url, 2))
  await seedDemo(db)
  await db.destroy()
  try {
    await client.query(`alter database ${building} rename to ${TEMPLATE_DB}`)
  } catch {
    await client.query(`drop database if exists ${building} with (force)`)
  }
}
await client.end()
