import pg from 'pg'
import { randomBytes } from 'node:crypto'
import { templateName } from './template.ts'
import { loadConfig, withDatabase, withUser, APP_DB_ROLE, type Config } from '@relais/config'

export const OWNER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const TEMPLATE_DB = templateName()

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(OWNER_URL, 'postgres') })
  await client.connect()
  try { return await fn(client) } finally { await client.end() }
}

export interface TestEnv { config: Config; name: string; drop(): Promise<void> }

/** A database of its own for one test file, copied from the migrated, seeded template; its own Redis prefix. */
export async function createTestEnv(overrides: Record<string, string> = {}): Promise<TestEnv> {
  const name = `relais_t_${process.pid}_${randomBytes(4).toString('hex')}`
  // CREATE DATABASE ... TEMPLATE fails while another session copies the same template: retry briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin((c) => c.query(`create database ${name} template ${TEMPLATE_DB}`))
      break
    } catch (err) {
      if (attempt > 40 || !/being accessed by other users/.test((err as Error).message)) throw err
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200))
    }
  }
  const url = withDatabase(OWNER_URL, name)
  const config = loadConfig({
    NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: url, APP_DATABASE_URL: withUser(url, APP_DB_ROLE),
    REDIS_PREFIX: `test-${name}`, PORT: '0', ...overrides,
  })
  return { config, name, drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined) }
}
