import type { FastifyInstance } from 'fastify'
import { InvalidInput } from '@relais/core'
import * as people from '@relais/directory/people'
import { Person, PersonCreate, PersonPatch, PersonQuery } from '../../schemas/directory.ts'
import { resourceRoutes } from './resource.ts'
import { toDate } from './common.ts'

/**
 * People: the mission TIC manages everyone of its tenant; an organisation admin manages the people of its own
 * organisation (creation, changes, absences and backup, deactivation). Deactivation ends the person's sessions at once.
 */
export async function peopleRoutes(app: FastifyInstance) {
  // Issue 13: people choose their own password (invitation, forgotten password). Typing one for someone else stays
  // possible outside production only, for demo and test setups.
  const typedPassword = (password: string | undefined) => {
    if (password !== undefined && app.config.NODE_ENV === 'production') {
      const message = 'Personne ne choisit le mot de passe d’un autre : invitez la personne (POST /organisations/:id/invitations), elle choisira le sien.'
      throw new InvalidInput('password_by_invitation', message, [{ path: 'password', message }])
    }
  }
  resourceRoutes(app, {
    path: '/people',
    access: {
      list: { access: 'people.read' }, get: { access: 'people.read' }, create: { access: 'people.create' },
      patch: { access: 'people.manage', afterLookup: true }, deactivate: { access: 'people.manage', afterLookup: true },
    },
    summaries: {
      list: 'Les personnes (toutes pour la mission TIC, celles de son organisation pour un administrateur d’organisation)',
      get: 'Une personne',
      create: 'Ajoute une personne',
      patch: 'Modifie une personne (un nouveau mot de passe ferme ses sessions)',
      deactivate: 'Désactive une personne : elle ne peut plus se connecter et ses sessions sont fermées sur-le-champ',
    },
    schemas: { row: Person, query: PersonQuery, create: PersonCreate, patch: PersonPatch },
    cursor: (r) => [r.name, r.id], cursorArity: 2,
    list: people.listPeople,
    get: people.getPerson,
    prepare: (actor, b) => { typedPassword(b.password); return people.preparePersonCreation(actor, b.password) },
    create: (trx, actor, b, passwordHash) => people.createPerson(trx, actor, { ...b, absentFrom: toDate(b.absentFrom), absentUntil: toDate(b.absentUntil) }, passwordHash),
    update: (trx, actor, id, b) => { typedPassword(b.password); return people.updatePerson(trx, actor, id, { ...b, absentFrom: toDate(b.absentFrom), absentUntil: toDate(b.absentUntil) }) },
    deactivate: people.deactivatePerson,
  })
}
