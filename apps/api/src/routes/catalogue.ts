import type { FastifyInstance } from 'fastify'

/** GET /themes now lives with the rest of the directory (routes/directory/themes.ts), same URL and shape. */
export async function catalogueRoutes(_app: FastifyInstance) {}
