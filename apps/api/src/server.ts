import closeWithGrace from 'close-with-grace'
import { loadConfigOrExit } from '@relais/config'
import { buildApp } from './app.ts'

const config = loadConfigOrExit()
const app = await buildApp(config)
closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
  if (err) app.log.error({ err }, 'closing after an error')
  else app.log.info({ signal }, 'closing')
  await app.close()
})
await app.listen({ port: config.PORT, host: config.HOST })
