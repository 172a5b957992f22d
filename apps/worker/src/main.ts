// The worker process: BullMQ processors (outbox relay, mail, SLA timers, sweep). Filled in by the referral work.
import closeWithGrace from 'close-with-grace'
import { ConfigError, loadConfig } from '@relais/config'
import pino from 'pino'

let config
try {
  config = loadConfig()
} catch (err) {
  if (err instanceof ConfigError) { console.error(err.message); process.exit(1) }
  throw err
}
const log = pino({ level: config.LOG_LEVEL, name: 'worker' })
const keepAlive = setInterval(() => undefined, 60_000)
closeWithGrace({ delay: 10_000 }, async ({ signal }) => {
  log.info({ signal }, 'worker closing')
  clearInterval(keepAlive)
})
log.info('worker started')
