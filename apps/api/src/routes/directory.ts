import type { FastifyInstance } from 'fastify'
import { organisationRoutes } from './directory/organisations.ts'
import { peopleRoutes } from './directory/people.ts'
import { themeRoutes } from './directory/themes.ts'
import { assignmentRoutes } from './directory/assignments.ts'

/**
 * The network's directory (organisations, people, themes, coverage, routing rules). Reads of organisations and
 * themes are open to everyone logged in; writes belong to the mission TIC, except that an organisation admin
 * manages the people of its own organisation. Another tenant's objects answer 404, as if they did not exist.
 */
export async function directoryRoutes(app: FastifyInstance) {
  await app.register(organisationRoutes)
  await app.register(peopleRoutes)
  await app.register(themeRoutes)
  await app.register(assignmentRoutes)
}
