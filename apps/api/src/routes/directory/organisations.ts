import type { FastifyInstance } from 'fastify'
import * as organisations from '@relais/directory/organisations'
import { Organisation, OrganisationCreate, OrganisationPatch, OrganisationQuery } from '../../schemas/directory.ts'
import { resourceRoutes } from './resource.ts'

/** Organisations: readable by everyone logged in (secretaries pick mairies and partners), written by the mission TIC. */
export async function organisationRoutes(app: FastifyInstance) {
  resourceRoutes(app, {
    path: '/organisations',
    access: {
      list: { access: 'organisation.read' }, get: { access: 'organisation.read' }, create: { access: 'directory.write' },
      patch: { access: 'directory.write', afterLookup: true }, deactivate: { access: 'directory.write', afterLookup: true },
    },
    summaries: {
      list: 'Les organisations du département (mairies, partenaires, maisons de services, mission TIC)',
      get: 'Une organisation',
      create: 'Ajoute une organisation (mission TIC)',
      patch: 'Modifie une organisation (mission TIC)',
      deactivate: 'Suspend une organisation (mission TIC) ; rien n’est effacé',
    },
    schemas: { row: Organisation, query: OrganisationQuery, create: OrganisationCreate, patch: OrganisationPatch },
    cursor: (r) => [r.name, r.id], cursorArity: 2,
    list: organisations.listOrganisations,
    get: organisations.getOrganisation,
    create: organisations.createOrganisation,
    update: organisations.updateOrganisation,
    deactivate: organisations.deactivateOrganisation,
  })
}
