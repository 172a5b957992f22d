import { authorizeRole, openingHoursIssues, type WeeklyHours } from '@relais/core'
import type { OrganisationKind, OrganisationStatus } from '@relais/core/directory'
import type { TenantTx } from '@relais/db'
import * as repo from '@relais/db/repositories/organisations'
import { communeOfDepartement } from '@relais/db/repositories/territory'
import type { Cursor } from '@relais/db/repositories/keyset'
import { blankName, missing, throwIfInvalid, uniquely, type DirectoryActor } from './common.ts'
import { audit } from './audit.ts'

export type { Organisation, OrganisationFilter } from '@relais/db/repositories/organisations'

// Organisations: readable by everyone logged in (secretaries pick mairies and partners), written by the mission TIC.

export interface OrganisationInput {
  kind: OrganisationKind; name: string; shortName?: string | null; communeInsee?: string | null; email?: string | null
  address?: string | null; openingHours?: WeeklyHours | null; status?: OrganisationStatus
}
export type OrganisationChanges = Partial<Omit<OrganisationInput, 'kind'>>

const communeIssue = (insee: string) => ({ path: 'communeInsee', message: `« ${insee} » n’est pas une commune du département.` })

export const listOrganisations = (trx: TenantTx, actor: DirectoryActor, filter: repo.OrganisationFilter, after: Cursor | undefined, limit: number) =>
  repo.listOrganisations(trx, actor.tenantId, filter, after, limit)

export async function getOrganisation(trx: TenantTx, actor: DirectoryActor, id: string): Promise<repo.Organisation> {
  const org = await repo.getOrganisation(trx, actor.tenantId, id)
  if (!org) throw missing.organisation()
  return org
}

export async function createOrganisation(trx: TenantTx, actor: DirectoryActor, b: OrganisationInput): Promise<repo.Organisation> {
  authorizeRole(actor, 'directory.write')
  throwIfInvalid([
    blankName(b.name),
    b.kind === 'mairie' && !b.communeInsee && { path: 'communeInsee', message: 'Le code INSEE de la commune est obligatoire pour une mairie.' },
    !!b.communeInsee && !(await communeOfDepartement(trx, actor.tenantId, b.communeInsee)) && communeIssue(b.communeInsee),
    ...openingHoursIssues(b.openingHours ?? {}),
  ])
  const org = await uniquely(repo.insertOrganisation(trx, actor.tenantId, { ...b, name: b.name.trim(), email: b.email?.toLowerCase() ?? null }))
  await audit(trx, actor, 'organisation', 'create', org.name, org.id, null, org)
  return org
}

export async function updateOrganisation(trx: TenantTx, actor: DirectoryActor, id: string, b: OrganisationChanges): Promise<repo.Organisation> {
  const current = await getOrganisation(trx, actor, id)
  authorizeRole(actor, 'directory.write')
  throwIfInvalid([
    blankName(b.name),
    current.kind === 'mairie' && b.communeInsee === null && { path: 'communeInsee', message: 'Une mairie garde le code INSEE de sa commune.' },
    !!b.communeInsee && !(await communeOfDepartement(trx, actor.tenantId, b.communeInsee)) && communeIssue(b.communeInsee),
    ...openingHoursIssues(b.openingHours ?? {}),
  ])
  const org = await uniquely(repo.updateOrganisation(trx, actor.tenantId, current.id, {
    ...b, name: b.name?.trim(), email: b.email === undefined ? undefined : b.email?.toLowerCase() ?? null,
  }))
  await audit(trx, actor, 'organisation', 'update', org.name, org.id, current, org)
  return org
}

/** Suspends: nothing is deleted. */
export async function deactivateOrganisation(trx: TenantTx, actor: DirectoryActor, id: string): Promise<repo.Organisation> {
  const current = await getOrganisation(trx, actor, id)
  authorizeRole(actor, 'directory.write')
  const org = await repo.updateOrganisation(trx, actor.tenantId, current.id, { status: 'suspended' })
  await audit(trx, actor, 'organisation', 'deactivate', org.name, org.id, current, org)
  return org
}
