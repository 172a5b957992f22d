import closeWithGrace from 'close-with-grace'
import { ConfigError, loadConfig } from '@relais/config'
import { buildApp } from './app.ts'

let config
try {
  config = loadConfig()
} catch (err) {
  if (err instanceof ConfigError) { console.error(err.message); process.exit(1) }
  throw err
}
const app = await buildApp(config)
closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
  if (err) app.log.error({ err }, 'closing after an error')
  else app.log.info({ signal }, 'closing')
  await app.close()
})
await app.listen({ port: config.PORT, host: config.HOST })
