// The worker process: outbox relay, mail sending, SLA sweep. Any number of them may run side by side.
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { loadConfigOrExit } from '@relais/config'
import { startWorker } from './worker.ts'

const config = loadConfigOrExit()
const log = pino({ level: config.LOG_LEVEL, name: 'worker' })
// Timings a fault test shortens; production keeps the defaults.
const num = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined)
const worker = await startWorker(config, {
  log,
  sweepIntervalMs: (num('SLA_SWEEP_SECONDS') ?? 60) * 1000,
  claimSeconds: num('WORKER_CLAIM_SECONDS'),
  relayGraceSeconds: num('RELAY_GRACE_SECONDS'),
  lockDurationMs: num('WORKER_LOCK_MS'),
})
closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
  if (err) log.error({ err }, 'worker closing after an error')
  else log.info({ signal }, 'worker closing')
  await worker.close()
  log.info(worker.stats, 'worker stopped')
  if (process.env.WORKER_STATS === '1') process.stdout.write(`${JSON.stringify({ workerStats: worker.stats })}\n`)
})
