import { InvalidInput, authorizeRole, forbidden, invalidFields, passwordPolicyViolation, peopleListScope, personReadRefusal, personRefusal } from '@relais/core'
import { absenceViolation, backupViolation, normaliseEmail, roleOrganisationViolation, type DirectoryRole } from '@relais/core/directory'
import type { TenantTx } from '@relais/db'
import { hashPassword } from '@relais/db/credentials'
import * as repo from '@relais/db/repositories/people'
import { getOrganisation } from '@relais/db/repositories/organisations'
import type { Cursor } from '@relais/db/repositories/keyset'
import { blankName, missing, throwIfInvalid, uniquely, type DirectoryActor } from './common.ts'
import { audit } from './audit.ts'

export type { Person, PersonFilter } from '@relais/db/repositories/people'

// People: the mission TIC manages everyone of its tenant; an organisation admin manages the people of its own
// organisation (creation, changes, absences and backup, deactivation). Deactivation ends the person's sessions at once.

export interface PersonInput {
  organisationId: string; email: string; name: string; role: DirectoryRole
  absentFrom?: Date | null; absentUntil?: Date | null; backupPersonId?: string | null
}
export type PersonChanges = Partial<PersonInput> & { active?: boolean }

function checkPassword(password: string | undefined): void {
  const reason = password === undefined ? null : passwordPolicyViolation(password)
  if (reason) throw new InvalidInput('weak_password', reason, [{ path: 'password', message: reason }])
}

/**
 * Before a creation's transaction opens: may the actor add people at all, and the password's hash (slow on purpose,
 * so it does not hold a connection). undefined: no password given.
 */
export async function preparePersonCreation(actor: DirectoryActor, password: string | undefined): Promise<string | undefined> {
  authorizeRole(actor, 'people.create')
  checkPassword(password)
  return password === undefined ? undefined : hashPassword(password)
}

/** Checks what a person would become (organisation, role, backup, absence) against the directory. */
async function checkPerson(trx: TenantTx, actor: DirectoryActor, current: repo.Person | undefined, next: {
  id?: string; organisationId: string; role: DirectoryRole; backupPersonId: string | null; absentFrom: Date | null; absentUntil: Date | null
}, changed: { organisation: boolean; backup: boolean }) {
  const org = changed.organisation ? await getOrganisation(trx, actor.tenantId, next.organisationId) : undefined
  if (changed.organisation && !org) throw invalidFields([{ path: 'organisationId', message: 'Cette organisation est introuvable.' }])
  const refusal = personRefusal(actor, current, next)
  if (refusal) throw forbidden(refusal)
  const kind = org?.kind ?? (await getOrganisation(trx, actor.tenantId, next.organisationId))!.kind
  const backup = next.backupPersonId && (changed.backup || changed.organisation)
    ? backupViolation(next, await repo.personRef(trx, actor.tenantId, { id: next.backupPersonId }))
    : null
  throwIfInvalid([
    roleOrganisationViolation(next.role, kind) && { path: 'role', message: roleOrganisationViolation(next.role, kind)! },
    backup && { path: 'backupPersonId', message: backup },
    absenceViolation(next.absentFrom, next.absentUntil) && { path: 'absentUntil', message: absenceViolation(next.absentFrom, next.absentUntil)! },
  ])
}

/** The mission TIC lists everyone; an organisation admin her organisation's people. */
export async function listPeople(trx: TenantTx, actor: DirectoryActor, filter: repo.PersonFilter, after: Cursor | undefined, limit: number) {
  const scope = peopleListScope(actor, filter.organisationId)
  if (scope === 'forbidden') throw forbidden('Vous ne pouvez consulter que les personnes de votre organisation.')
  return repo.listPeople(trx, actor.tenantId, { ...filter, ...scope }, after, limit)
}

async function found(trx: TenantTx, actor: DirectoryActor, id: string): Promise<repo.Person> {
  const person = await repo.getPerson(trx, actor.tenantId, id)
  if (!person) throw missing.person()
  return person
}

/** Anyone reads her own record; the admins the people they manage. */
export async function getPerson(trx: TenantTx, actor: DirectoryActor, id: string): Promise<repo.Person> {
  const person = await found(trx, actor, id)
  const refusal = personReadRefusal(actor, person)
  if (refusal) throw forbidden(refusal)
  return person
}

export async function createPerson(trx: TenantTx, actor: DirectoryActor, b: PersonInput, passwordHash: string | undefined): Promise<repo.Person> {
  authorizeRole(actor, 'people.create')
  throwIfInvalid([blankName(b.name)])
  const next = { organisationId: b.organisationId, role: b.role, backupPersonId: b.backupPersonId ?? null, absentFrom: b.absentFrom ?? null, absentUntil: b.absentUntil ?? null }
  await checkPerson(trx, actor, undefined, next, { organisation: true, backup: true })
  const person = await uniquely(repo.insertPerson(trx, actor.tenantId, { ...next, email: normaliseEmail(b.email), name: b.name.trim(), passwordHash: passwordHash ?? null }))
  await audit(trx, actor, 'person', 'create', person.name, person.id, null, person)
  return person
}

/** A new password or a deactivation ends the sessions opened with the old state. */
export async function updatePerson(trx: TenantTx, actor: DirectoryActor, id: string, b: PersonChanges & { password?: string }): Promise<repo.Person> {
  const current = await found(trx, actor, id)
  const refusal = personRefusal(actor, current)
  if (refusal) throw forbidden(refusal)
  if (b.active === false && current.id === actor.personId) throw forbidden('Vous ne pouvez pas désactiver votre propre compte.')
  checkPassword(b.password)
  throwIfInvalid([blankName(b.name)])
  const next = {
    id: current.id,
    organisationId: b.organisationId ?? current.organisationId,
    role: b.role ?? current.role,
    backupPersonId: b.backupPersonId === undefined ? current.backupPersonId : b.backupPersonId,
    absentFrom: b.absentFrom === undefined ? current.absentFrom : b.absentFrom,
    absentUntil: b.absentUntil === undefined ? current.absentUntil : b.absentUntil,
  }
  await checkPerson(trx, actor, current, next, { organisation: next.organisationId !== current.organisationId, backup: b.backupPersonId !== undefined })
  const passwordHash = b.password === undefined ? undefined : await hashPassword(b.password)
  const person = await uniquely(repo.updatePerson(trx, actor.tenantId, current.id, {
    ...next, email: b.email === undefined ? undefined : normaliseEmail(b.email), name: b.name?.trim(), passwordHash, active: b.active,
    revokeSessions: passwordHash !== undefined || (b.active === false && current.active),
  }))
  // A new password is said, never stored here.
  await audit(trx, actor, 'person', 'update', person.name, person.id, { ...current, password: null }, { ...person, password: passwordHash === undefined ? null : 'changé' })
  return person
}

/** She can no longer log in and her sessions end at once. */
export async function deactivatePerson(trx: TenantTx, actor: DirectoryActor, id: string): Promise<repo.Person> {
  const current = await found(trx, actor, id)
  const refusal = personRefusal(actor, current)
  if (refusal) throw forbidden(refusal)
  if (current.id === actor.personId) throw forbidden('Vous ne pouvez pas désactiver votre propre compte.')
  const person = await repo.updatePerson(trx, actor.tenantId, current.id, { active: false, revokeSessions: true })
  await audit(trx, actor, 'person', 'deactivate', person.name, person.id, current, person)
  return person
}
