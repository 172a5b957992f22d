// The partner's open inbox: a server-sent event per new referral, fed by the live plugin. A stream lives only as
// long as its session: it ends when the access token expires (the browser reconnects, renewing it), when the person
// logs out or is deactivated; a person opens a few at most.
import type { FastifyInstance } from 'fastify'
import { TooManyRequests, reachOf } from '@relais/core'
import { MAX_STREAMS_PER_PERSON } from '../plugins/live.ts'

export async function livePages(app: FastifyInstance) {
  const open = new Set<() => void>()
  const perPerson = new Map<string, number>()
  app.addHook('preClose', async () => { for (const end of open) end() })

  app.get('/saisines/flux', { config: { access: 'referral.read' } }, async (request, reply) => {
    const p = request.principal!
    // The mission TIC watches its whole network; a partner its own organisation; a mairie's list is not live.
    const reach = reachOf(p.role, 'referral.read')
    if (reach !== 'tenant' && reach !== 'holder') return reply.code(204).send()
    const own = app.live.channel(p.tenantId, p.organisationId)
    const tenantPrefix = app.live.channel(p.tenantId, '')
    await app.live.ready()
    if (request.raw.destroyed) return reply.code(204).send()
    const streams = perPerson.get(p.personId) ?? 0
    if (streams >= MAX_STREAMS_PER_PERSON) {
      throw new TooManyRequests('too_many_streams', `Déjà ${streams} onglets suivent vos saisines en direct : fermez-en un, puis rechargez la page.`)
    }
    perPerson.set(p.personId, streams + 1)
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' })
    res.write('retry: 5000\n\n')
    const unlisten = app.live.listen({
      wants: (channel: string) => (reach === 'tenant' ? channel.startsWith(tenantPrefix) : channel === own),
      send: (message: string) => { res.write(`event: saisine\ndata: ${message}\n\n`) },
    })
    const heartbeat = setInterval(() => res.write(': ok\n\n'), 25_000)
    let checking = false
    const recheck = setInterval(() => {
      if (checking) return
      checking = true
      app.sessionHolds(request).then((holds) => { if (!holds) end() }, () => undefined).finally(() => { checking = false })
    }, app.live.recheckMs)
    let ended = false
    const end = () => {
      if (ended) return
      ended = true
      clearInterval(heartbeat)
      clearInterval(recheck)
      unlisten()
      open.delete(end)
      const left = (perPerson.get(p.personId) ?? 1) - 1
      if (left > 0) perPerson.set(p.personId, left)
      else perPerson.delete(p.personId)
      res.end()
    }
    open.add(end)
    request.raw.on('close', end)
  })
}
