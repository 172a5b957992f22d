// One test file's network: its own database with the demo network, the API on a clock the test moves and, when the
// file needs mail, a real SMTP sink and the worker. Everything stops with the file.
import t from 'tap'
import pg from 'pg'
import pino from 'pino'
import { buildApp } from '@relais/api/app'
import { startWorker } from '@relais/worker/worker'
import { MailSink } from '@relais/mail/sink'
import { createTestEnv } from './db.ts'
import { manualClock } from './journey.ts'

/** Tuesday 24 November 2026, 10:00 in Paris: a working day with the whole SLA window ahead. */
export const TUESDAY_10H = '2026-11-24T09:00:00Z'

interface Options {
  /** When the clock starts (default TUESDAY_10H). */
  at?: string
  /** Configuration overrides. */
  env?: Record<string, string>
  /** The sink's mailbox page too (any free port), as `npm start` shows it. */
  mailboxPage?: boolean
}

async function start(opts: Options, mail?: { sweepIntervalMs: number }) {
  const sink = mail ? new MailSink({ httpPort: opts.mailboxPage ? 0 : null, smtpPort: 0 }) : undefined
  const smtp: Record<string, string> = sink ? { SMTP_URL: (await sink.start()).smtpUrl } : {}
  const env = await createTestEnv({ ...smtp, ...opts.env })
  const clock = manualClock(opts.at ?? TUESDAY_10H)
  const app = await buildApp(env.config, { logger: false, clock: clock.now })
  const worker = mail
    ? await startWorker(env.config, { clock: clock.now, relayIntervalMs: 50, sweepIntervalMs: mail.sweepIntervalMs, log: pino({ level: 'silent' }) })
    : undefined
  /** A client as the tables' owner, for what a test sets up or checks behind the API's back. */
  const db = new pg.Client({ connectionString: env.config.DATABASE_URL })
  await db.connect()
  t.teardown(async () => { await worker?.close(); await db.end(); await app.close(); await sink?.stop(); await env.drop() })
  return { env, clock, app, db, sink, worker }
}

/** The API alone. */
export async function startApp(opts: Options = {}) {
  const { sink: _s, worker: _w, ...rest } = await start(opts)
  return rest
}

/** The API, the worker and a mail sink; the SLA sweep runs on its own every sweepIntervalMs (default 60 s). */
export async function startAppWithMail(opts: Options & { sweepIntervalMs?: number } = {}) {
  const net = await start(opts, { sweepIntervalMs: opts.sweepIntervalMs ?? 60_000 })
  return { ...net, sink: net.sink!, worker: net.worker! }
}
