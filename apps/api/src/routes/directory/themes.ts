import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { authorizeRole, canSeeTheme, themeListActive } from '@relais/core'
import { page } from '@relais/db/paging'
import { getTheme, insertTheme, listThemes, updateTheme } from '@relais/db/directory'
import { IdParams, Page } from '../../schemas/common.ts'
import { Theme, ThemeCreate, ThemePatch, ThemeQuery } from '../../schemas/directory.ts'
import { actorOf, missing, readCursor, readErrors, secured, uniquely, writeErrors } from './common.ts'

/** Themes: everyone logged in reads the active ones (to file a referral); the mission TIC sees and edits them all. */
export async function themeRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['annuaire']

  app.get('/themes', {
    config: { access: 'theme.read' },
    schema: { tags, summary: 'Les thèmes du département', ...secured, querystring: ThemeQuery, response: { 200: Page(Theme), ...readErrors } },
  }, async (request) => {
    const actor = actorOf(request)
    const { limit = 50, cursor, q } = request.query
    const active = themeListActive(actor, request.query.active)
    const after = readCursor(cursor, 2)
    const rows = await app.tx(request, (trx) => listThemes(trx, actor.tenantId, { active, q }, after, limit))
    return page(rows, limit, (r) => [r.label, r.id])
  })

  app.get('/themes/:id', {
    config: { access: 'theme.read' },
    schema: { tags, summary: 'Un thème', ...secured, params: IdParams, response: { 200: Theme, ...readErrors } },
  }, async (request) => {
    const actor = actorOf(request)
    const theme = await app.tx(request, (trx) => getTheme(trx, actor.tenantId, request.params.id))
    if (!theme || !canSeeTheme(actor, theme)) throw missing.theme()
    return theme
  })

  app.post('/themes', {
    config: { access: 'directory.write' },
    schema: { tags, summary: 'Ajoute un thème (mission TIC)', ...secured, body: ThemeCreate, response: { 201: Theme, ...writeErrors } },
  }, async (request, reply) => {
    const actor = actorOf(request)
    const b = request.body
    const theme = await app.tx(request, (trx) => uniquely(insertTheme(trx, actor.tenantId, { ...b, label: b.label.trim() })))
    return reply.code(201).send(theme)
  })

  app.patch('/themes/:id', {
    config: { access: 'directory.write', afterLookup: true },
    schema: { tags, summary: 'Modifie un thème (mission TIC)', ...secured, params: IdParams, body: ThemePatch, response: { 200: Theme, ...writeErrors } },
  }, async (request) => {
    const actor = actorOf(request)
    return app.tx(request, async (trx) => {
      const current = await getTheme(trx, actor.tenantId, request.params.id)
      if (!current) throw missing.theme()
      authorizeRole(actor, 'directory.write')
      return uniquely(updateTheme(trx, actor.tenantId, current.id, { ...request.body, label: request.body.label?.trim() }))
    })
  })

  app.post('/themes/:id/deactivate', {
    config: { access: 'directory.write', afterLookup: true },
    schema: { tags, summary: 'Désactive un thème (mission TIC) : il n’est plus proposé ; rien n’est effacé', ...secured, params: IdParams, response: { 200: Theme, ...writeErrors } },
  }, async (request) => {
    const actor = actorOf(request)
    return app.tx(request, async (trx) => {
      const current = await getTheme(trx, actor.tenantId, request.params.id)
      if (!current) throw missing.theme()
      authorizeRole(actor, 'directory.write')
      return updateTheme(trx, actor.tenantId, current.id, { active: false })
    })
  })
}
