import { randomUUID } from 'node:crypto'
import { conflict, forbidden, reaches, authorizeRole } from '@relais/core'
import { normaliseEmail, type DirectoryRole } from '@relais/core/directory'
import type { TenantTx } from '@relais/db'
import { accountLinkSecret, sha256 } from '@relais/db/credentials'
import * as links from '@relais/db/repositories/account-links'
import * as repo from '@relais/db/repositories/people'
import { getOrganisation } from '@relais/db/repositories/organisations'
import { personName } from '@relais/db/repositories/parties'
import { enqueueMail } from '@relais/referrals/outbox'
import { missing, type DirectoryActor } from './common.ts'
import { createPerson, updatePerson } from './people.ts'

// Issue 13: nobody types another person's password. An admin invites a person by name, email and role; the person
// gets a mail with a single-use link, valid 7 days, to choose her password. Inviting the same address again (while
// she has not chosen one) sends a new link and cancels the previous one.

export const INVITATION_DAYS = 7

export interface InvitationInput { email: string; name: string; role: DirectoryRole }
export interface Invitation { person: repo.Person; expiresAt: Date; renewed: boolean }

/**
 * Invites a person into an organisation: creates her (no password) or, if she was invited before and never chose a
 * password, updates her name and role and replaces her link. Someone who already has an account is a conflict.
 */
export async function invitePerson(trx: TenantTx, actor: DirectoryActor, organisationId: string, input: InvitationInput, opts: { linkKey: string; now: Date }): Promise<Invitation> {
  authorizeRole(actor, 'people.invite')
  const org = await getOrganisation(trx, actor.tenantId, organisationId)
  // Another organisation, for an org admin, answers like a missing one.
  if (!org || !reaches(actor, 'people.invite', { organisationId })) throw missing.organisation()
  const email = normaliseEmail(input.email)
  const existing = await repo.personRef(trx, actor.tenantId, { email })
  let person: repo.Person
  let renewed = false
  if (existing) {
    const current = (await repo.getPerson(trx, actor.tenantId, existing.id))!
    if (current.hasPassword) throw conflict('account_exists', 'Cette personne a déjà un compte : elle peut se connecter, ou utiliser « Mot de passe oublié ? ».', [{ path: 'email', message: 'Cette personne a déjà un compte.' }])
    if (current.organisationId !== organisationId) throw conflict('email_taken', 'Cette adresse électronique est déjà celle d’une autre personne du réseau.', [{ path: 'email', message: 'Adresse déjà utilisée.' }])
    person = await updatePerson(trx, actor, current.id, { name: input.name, role: input.role, active: true })
    await links.cancelOpenLinks(trx, actor.tenantId, person.id, 'invitation', opts.now)
    renewed = true
  } else {
    person = await createPerson(trx, actor, { organisationId, email, name: input.name, role: input.role }, undefined)
  }
  if (person.organisationId !== organisationId) throw forbidden()
  const linkId = randomUUID()
  const expiresAt = new Date(opts.now.getTime() + INVITATION_DAYS * 86400_000)
  await links.insertLink(trx, actor.tenantId, {
    id: linkId, personId: person.id, kind: 'invitation', tokenHash: sha256(accountLinkSecret(opts.linkKey, linkId)), expiresAt, createdBy: actor.personId, at: opts.now,
  })
  // The mail carries the link's id only; the worker recomputes the link (see accountLinkToken).
  await enqueueMail(trx, {
    tenantId: actor.tenantId, referralId: null, kind: 'invitation', recipients: [{ personId: person.id, email: person.email }], now: opts.now,
    payload: { linkId, organisation: org.name, invitedBy: await personName(trx, actor.tenantId, actor.personId) ?? 'La mission TIC', expiresAt: expiresAt.toISOString() },
  })
  return { person, expiresAt, renewed }
}

/** The pending invitations among these people (person id → when the link expires), for the people lists. */
export async function pendingInvitations(trx: TenantTx, actor: DirectoryActor, personIds: string[]): Promise<Map<string, Date>> {
  return links.openInvitations(trx, actor.tenantId, personIds)
}
