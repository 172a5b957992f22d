import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { authorizeRole } from '@relais/core'
import { page } from '@relais/db/paging'
import { openingHoursIssues } from '@relais/core'
import { communeOfDepartement, getOrganisation, insertOrganisation, listOrganisations, updateOrganisation } from '@relais/db/directory'
import { IdParams, Page } from '../../schemas/common.ts'
import { Organisation, OrganisationCreate, OrganisationPatch, OrganisationQuery } from '../../schemas/directory.ts'
import { actorOf, missing, readCursor, readErrors, secured, throwIfInvalid, uniquely, writeErrors } from './common.ts'

const communeIssue = (insee: string) => ({ path: 'communeInsee', message: `« ${insee} » n’est pas une commune du département.` })

/** Organisations: readable by everyone logged in (secretaries pick mairies and partners), written by the mission TIC. */
export async function organisationRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['annuaire']

  app.get('/organisations', {
    config: { access: 'organisation.read' },
    schema: { tags, summary: 'Les organisations du département (mairies, partenaires, maisons de services, mission TIC)', ...secured, querystring: OrganisationQuery, response: { 200: Page(Organisation), ...readErrors } },
  }, async (request) => {
    const { limit = 50, cursor, ...filter } = request.query
    const after = readCursor(cursor, 2)
    const actor = actorOf(request)
    const rows = await app.tx(request, (trx) => listOrganisations(trx, actor.tenantId, filter, after, limit))
    return page(rows, limit, (r) => [r.name, r.id])
  })

  app.get('/organisations/:id', {
    config: { access: 'organisation.read' },
    schema: { tags, summary: 'Une organisation', ...secured, params: IdParams, response: { 200: Organisation, ...readErrors } },
  }, async (request) => {
    const actor = actorOf(request)
    const org = await app.tx(request, (trx) => getOrganisation(trx, actor.tenantId, request.params.id))
    if (!org) throw missing.organisation()
    return org
  })

  app.post('/organisations', {
    config: { access: 'directory.write' },
    schema: { tags, summary: 'Ajoute une organisation (mission TIC)', ...secured, body: OrganisationCreate, response: { 201: Organisation, ...writeErrors } },
  }, async (request, reply) => {
    const actor = actorOf(request)
    const b = request.body
    const org = await app.tx(request, async (trx) => {
      throwIfInvalid([
        b.kind === 'mairie' && !b.communeInsee && { path: 'communeInsee', message: 'Le code INSEE de la commune est obligatoire pour une mairie.' },
        !!b.communeInsee && !(await communeOfDepartement(trx, actor.tenantId, b.communeInsee)) && communeIssue(b.communeInsee),
        ...openingHoursIssues(b.openingHours ?? {}),
      ])
      return uniquely(insertOrganisation(trx, actor.tenantId, {
        kind: b.kind, name: b.name.trim(), shortName: b.shortName, communeInsee: b.communeInsee, email: b.email?.toLowerCase() ?? null,
        address: b.address, openingHours: b.openingHours, status: b.status,
      }))
    })
    return reply.code(201).send(org)
  })

  app.patch('/organisations/:id', {
    config: { access: 'directory.write', afterLookup: true },
    schema: { tags, summary: 'Modifie une organisation (mission TIC)', ...secured, params: IdParams, body: OrganisationPatch, response: { 200: Organisation, ...writeErrors } },
  }, async (request) => {
    const actor = actorOf(request)
    const b = request.body
    return app.tx(request, async (trx) => {
      const current = await getOrganisation(trx, actor.tenantId, request.params.id)
      if (!current) throw missing.organisation()
      authorizeRole(actor, 'directory.write')
      throwIfInvalid([
        current.kind === 'mairie' && b.communeInsee === null && { path: 'communeInsee', message: 'Une mairie garde le code INSEE de sa commune.' },
        !!b.communeInsee && !(await communeOfDepartement(trx, actor.tenantId, b.communeInsee)) && communeIssue(b.communeInsee),
        ...openingHoursIssues(b.openingHours ?? {}),
      ])
      return uniquely(updateOrganisation(trx, actor.tenantId, current.id, {
        ...b, name: b.name?.trim(), email: b.email === undefined ? undefined : b.email?.toLowerCase() ?? null,
      }))
    })
  })

  app.post('/organisations/:id/deactivate', {
    config: { access: 'directory.write', afterLookup: true },
    schema: {
      tags, summary: 'Suspend une organisation (mission TIC) ; rien n’est effacé', ...secured, params: IdParams,
      response: { 200: Organisation, ...writeErrors },
    },
  }, async (request) => {
    const actor = actorOf(request)
    return app.tx(request, async (trx) => {
      const current = await getOrganisation(trx, actor.tenantId, request.params.id)
      if (!current) throw missing.organisation()
      authorizeRole(actor, 'directory.write')
      return updateOrganisation(trx, actor.tenantId, current.id, { status: 'suspended' })
    })
  })
}
