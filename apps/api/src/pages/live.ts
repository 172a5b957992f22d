// The partner's open inbox: a server-sent event per new referral, fed by the live plugin.
import type { FastifyInstance } from 'fastify'
import { reachOf } from '@relais/core'

export async function livePages(app: FastifyInstance) {
  const open = new Set<() => void>()
  app.addHook('preClose', async () => { for (const end of open) end() })

  app.get('/saisines/flux', { config: { access: 'referral.read' } }, async (request, reply) => {
    const p = request.principal!
    // The mission TIC watches its whole network; a partner its own organisation; a mairie's list is not live.
    const reach = reachOf(p.role, 'referral.read')
    if (reach !== 'tenant' && reach !== 'holder') return reply.code(204).send()
    const own = app.live.channel(p.tenantId, p.organisationId)
    const tenantPrefix = app.live.channel(p.tenantId, '')
    await app.live.ready()
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' })
    res.write('retry: 5000\n\n')
    const unlisten = app.live.listen({
      wants: (channel: string) => (reach === 'tenant' ? channel.startsWith(tenantPrefix) : channel === own),
      send: (message: string) => { res.write(`event: saisine\ndata: ${message}\n\n`) },
    })
    const heartbeat = setInterval(() => res.write(': ok\n\n'), 25_000)
    const end = () => {
      clearInterval(heartbeat)
      unlisten()
      open.delete(end)
      res.end()
    }
    open.add(end)
    request.raw.on('close', end)
  })
}
