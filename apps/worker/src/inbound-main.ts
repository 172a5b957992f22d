// The inbound SMTP process (replies by email, issue 15): its own process, started by `npm start` on MAIL_IN_PORT.
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { loadConfigOrExit } from '@relais/config'
import { startInbound } from './inbound.ts'

const config = loadConfigOrExit()
const log = pino({ level: config.LOG_LEVEL, name: 'inbound' })
const inbound = await startInbound(config, { log })
log.info({ port: inbound.port, domain: inbound.domain }, 'inbound SMTP listening')
closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
  if (err) log.error({ err }, 'inbound closing after an error')
  else log.info({ signal }, 'inbound closing')
  await inbound.close()
})
