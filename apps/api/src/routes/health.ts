import type { FastifyInstance } from 'fastify'
import Type from 'typebox'

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())])

export async function healthRoutes(app: FastifyInstance) {
  app.get('/health/live', { config: { access: 'public' }, schema: { tags: ['santé'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }))

  app.get('/health/ready', {
    config: { access: 'public' },
    schema: {
      tags: ['santé'],
      response: { 200: Type.Object({ status: Type.String(), checks: Type.Object({ postgres: Type.String(), redis: Type.String() }) }), 503: Type.Object({ status: Type.String(), checks: Type.Object({ postgres: Type.String(), redis: Type.String() }) }) },
    },
  }, async (request, reply) => {
    const [postgres, redis] = await Promise.all([
      withTimeout(app.pg.pool.query('select 1'), 2000).then(() => 'ok', () => 'injoignable'),
      withTimeout(app.redis.ping(), 2000).then(() => 'ok', () => 'injoignable'),
    ])
    const ok = postgres === 'ok' && redis === 'ok'
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'indisponible', checks: { postgres, redis } })
  })
}
