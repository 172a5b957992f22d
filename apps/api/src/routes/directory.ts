import type { FastifyInstance } from 'fastify'

/** The network's directory (organisations, people, themes, coverage, routing rules). */
export async function directoryRoutes(_app: FastifyInstance) {}
