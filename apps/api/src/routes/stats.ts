import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { networkStats, statsJson } from '@relais/stats'
import { errorResponses } from '../schemas/common.ts'
import { StatsQuery, StatsResult } from '../schemas/stats.ts'

// SLA statistics (issue 17) as JSON: the same figures as the page /statistiques.
export async function statsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.get('/stats', {
    config: { access: 'stats.read' },
    schema: {
      tags: ['statistiques'], security: [{ bearer: [] }], querystring: StatsQuery, response: { 200: StatsResult, ...errorResponses },
      summary: 'Indicateurs de délai d’une période (saisines déposées dans la période) : volumes, respect du délai, délais médian et p90, transferts, compléments, escalades, à côté de la période précédente et du réseau. Mission TIC : tout le réseau ; administrateur : son organisme ; mairie : ses saisines',
    },
  }, async (request) => app.tx(request, async (trx) => statsJson(await networkStats(trx, request.principal!, request.query, app.clock()))))
}
