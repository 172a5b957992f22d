// What the referral pages offer to choose from: themes and communes to file, organisations to transfer to or meet at.
import type { TenantTx } from '@relais/db'
import * as parties from '@relais/db/repositories/parties'
import { holderOf } from '@relais/db/repositories/referrals'

interface Scope { tenantId: string; organisationId: string }

/** Active themes and the communes of the département, by label and name. */
export async function filingChoices(trx: TenantTx, p: Scope) {
  return { themes: await parties.activeThemes(trx, p.tenantId), communes: await parties.communesOfTenant(trx, p.tenantId) }
}

/** The commune of the person's own organisation (a mairie's), the form's default. */
export async function ownCommune(trx: TenantTx, p: Scope): Promise<string | null> {
  return parties.organisationCommune(trx, p.tenantId, p.organisationId)
}

/** Every organisation but the mairies, by name: transfer targets, appointment places, names on the timeline. */
export async function organisationChoices(trx: TenantTx, p: Scope) {
  return parties.nonMairieOrganisations(trx, p.tenantId)
}

/** The people of an organisation who may hold its referrals: the choices of « Réaffecter ». */
export async function reassignChoices(trx: TenantTx, p: Scope, holderOrganisationId: string) {
  return parties.holdingPeople(trx, p.tenantId, holderOrganisationId)
}

/** Who holds a referral now (after a transfer, an assignment): the inbox to tell. */
export async function currentHolder(trx: TenantTx, p: Scope, referralId: string) {
  return holderOf(trx, p.tenantId, referralId)
}
