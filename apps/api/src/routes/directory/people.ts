import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { InvalidInput, forbidden, passwordPolicyViolation, peopleListScope, personRefusal } from '@relais/core'
import {
  absenceViolation, backupViolation, normaliseEmail, roleOrganisationViolation, type Actor,
} from '@relais/core/directory'
import type { Tx } from '@relais/db'
import { hashPassword } from '@relais/db/credentials'
import { page } from '@relais/db/paging'
import { getOrganisation, getPerson, insertPerson, listPeople, personRef, updatePerson, type Person } from '@relais/db/directory'
import { IdParams, Page } from '../../schemas/common.ts'
import { Person as PersonSchema, PersonCreate, PersonPatch, PersonQuery } from '../../schemas/directory.ts'
import { actorOf, invalidFields, missing, readCursor, readErrors, secured, throwIfInvalid, toDate, uniquely, writeErrors } from './common.ts'

function weakPassword(password: string | undefined): InvalidInput | null {
  const reason = password === undefined ? null : passwordPolicyViolation(password)
  return reason ? new InvalidInput('weak_password', reason, [{ path: 'password', message: reason }]) : null
}

/** Checks what a person would become (organisation, role, backup, absence) against the directory. */
async function checkPerson(trx: Tx, actor: Actor & { tenantId: string }, current: Person | undefined, next: {
  id?: string; organisationId: string; role: Person['role']; backupPersonId: string | null; absentFrom: Date | null; absentUntil: Date | null
}, changed: { organisation: boolean; backup: boolean }) {
  const org = changed.organisation ? await getOrganisation(trx, actor.tenantId, next.organisationId) : undefined
  if (changed.organisation && !org) throw invalidFields([{ path: 'organisationId', message: 'Cette organisation est introuvable.' }])
  const refusal = personRefusal(actor, current, next)
  if (refusal) throw forbidden(refusal)
  const kind = org?.kind ?? (await getOrganisation(trx, actor.tenantId, next.organisationId))!.kind
  const backup = next.backupPersonId && (changed.backup || changed.organisation)
    ? backupViolation(next, await personRef(trx, actor.tenantId, { id: next.backupPersonId }))
    : null
  throwIfInvalid([
    roleOrganisationViolation(next.role, kind) && { path: 'role', message: roleOrganisationViolation(next.role, kind)! },
    backup && { path: 'backupPersonId', message: backup },
    absenceViolation(next.absentFrom, next.absentUntil) && { path: 'absentUntil', message: absenceViolation(next.absentFrom, next.absentUntil)! },
  ])
}

/**
 * People: the mission TIC manages everyone of its tenant; an organisation admin manages the people of its own
 * organisation (creation, changes, absences and backup, deactivation). Deactivation ends the person's sessions at once.
 */
export async function peopleRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['annuaire']

  app.get('/people', {
    config: { access: 'people.read' },
    schema: {
      tags, summary: 'Les personnes (toutes pour la mission TIC, celles de son organisation pour un administrateur d’organisation)',
      ...secured, querystring: PersonQuery, response: { 200: Page(PersonSchema), ...readErrors },
    },
  }, async (request) => {
    const actor = actorOf(request)
    const { limit = 50, cursor, ...filter } = request.query
    const scope = peopleListScope(actor, filter.organisationId)
    if (scope === 'forbidden') throw forbidden('Vous ne pouvez consulter que les personnes de votre organisation.')
    const after = readCursor(cursor, 2)
    const rows = await app.tx(request, (trx) => listPeople(trx, actor.tenantId, { ...filter, ...scope }, after, limit))
    return page(rows, limit, (r) => [r.name, r.id])
  })

  app.get('/people/:id', {
    config: { access: 'people.read' },
    schema: { tags, summary: 'Une personne', ...secured, params: IdParams, response: { 200: PersonSchema, ...readErrors } },
  }, async (request) => {
    const actor = actorOf(request)
    const person = await app.tx(request, (trx) => getPerson(trx, actor.tenantId, request.params.id))
    if (!person) throw missing.person()
    if (person.id !== actor.personId) {
      const refusal = personRefusal(actor, person)
      if (refusal) throw forbidden(refusal)
    }
    return person
  })

  app.post('/people', {
    config: { access: 'people.create' },
    schema: { tags, summary: 'Ajoute une personne', ...secured, body: PersonCreate, response: { 201: PersonSchema, ...writeErrors } },
  }, async (request, reply) => {
    const actor = actorOf(request)
    const b = request.body
    const weak = weakPassword(b.password)
    if (weak) throw weak
    const next = {
      organisationId: b.organisationId, role: b.role, backupPersonId: b.backupPersonId ?? null,
      absentFrom: toDate(b.absentFrom) ?? null, absentUntil: toDate(b.absentUntil) ?? null,
    }
    const passwordHash = b.password === undefined ? null : await hashPassword(b.password)
    const person = await app.tx(request, async (trx) => {
      await checkPerson(trx, actor, undefined, next, { organisation: true, backup: true })
      return uniquely(insertPerson(trx, actor.tenantId, { ...next, email: normaliseEmail(b.email), name: b.name.trim(), passwordHash }))
    })
    return reply.code(201).send(person)
  })

  app.patch('/people/:id', {
    config: { access: 'people.manage', afterLookup: true },
    schema: {
      tags, summary: 'Modifie une personne (un nouveau mot de passe ferme ses sessions)', ...secured, params: IdParams,
      body: PersonPatch, response: { 200: PersonSchema, ...writeErrors },
    },
  }, async (request) => {
    const actor = actorOf(request)
    const b = request.body
    return app.tx(request, async (trx) => {
      const current = await getPerson(trx, actor.tenantId, request.params.id)
      if (!current) throw missing.person()
      const refusal = personRefusal(actor, current)
      if (refusal) throw forbidden(refusal)
      if (b.active === false && current.id === actor.personId) throw forbidden('Vous ne pouvez pas désactiver votre propre compte.')
      const weak = weakPassword(b.password)
      if (weak) throw weak
      const next = {
        id: current.id,
        organisationId: b.organisationId ?? current.organisationId,
        role: b.role ?? current.role,
        backupPersonId: b.backupPersonId === undefined ? current.backupPersonId : b.backupPersonId,
        absentFrom: b.absentFrom === undefined ? current.absentFrom : toDate(b.absentFrom)!,
        absentUntil: b.absentUntil === undefined ? current.absentUntil : toDate(b.absentUntil)!,
      }
      await checkPerson(trx, actor, current, next, {
        organisation: next.organisationId !== current.organisationId, backup: b.backupPersonId !== undefined,
      })
      const passwordHash = b.password === undefined ? undefined : await hashPassword(b.password)
      return uniquely(updatePerson(trx, actor.tenantId, current.id, {
        ...next, email: b.email === undefined ? undefined : normaliseEmail(b.email), name: b.name?.trim(), passwordHash, active: b.active,
        // A new password or a deactivation must end the sessions opened with the old state.
        revokeSessions: passwordHash !== undefined || (b.active === false && current.active),
      }))
    })
  })

  app.post('/people/:id/deactivate', {
    config: { access: 'people.manage', afterLookup: true },
    schema: {
      tags, summary: 'Désactive une personne : elle ne peut plus se connecter et ses sessions sont fermées sur-le-champ', ...secured,
      params: IdParams, response: { 200: PersonSchema, ...writeErrors },
    },
  }, async (request) => {
    const actor = actorOf(request)
    return app.tx(request, async (trx) => {
      const current = await getPerson(trx, actor.tenantId, request.params.id)
      if (!current) throw missing.person()
      const refusal = personRefusal(actor, current)
      if (refusal) throw forbidden(refusal)
      if (current.id === actor.personId) throw forbidden('Vous ne pouvez pas désactiver votre propre compte.')
      return updatePerson(trx, actor.tenantId, current.id, { active: false, revokeSessions: true })
    })
  })
}
