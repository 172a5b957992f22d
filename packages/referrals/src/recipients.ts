import type { TenantTx } from '@relais/db'
import * as parties from '@relais/db/repositories/parties'

export interface Recipient { personId: string | null; email: string }

const usable = (p: parties.Contact | undefined): p is parties.Contact => !!p && p.active && !p.email_bounced_at
const asRecipients = (rows: { id: string; email: string }[]): Recipient[] => rows.map((r) => ({ personId: r.id, email: r.email }))

export async function orgAdmins(trx: TenantTx, tenantId: string, organisationId: string): Promise<Recipient[]> {
  return asRecipients(await parties.orgAdminContacts(trx, tenantId, organisationId))
}

export async function networkAdmins(trx: TenantTx, tenantId: string): Promise<Recipient[]> {
  return asRecipients(await parties.networkAdminContacts(trx, tenantId))
}

/** Who receives a referral held by an organisation: its referent, else its admins, else its shared address. */
export async function holderRecipients(trx: TenantTx, tenantId: string, organisationId: string, personId: string | null): Promise<Recipient[]> {
  if (personId) {
    const p = await parties.personContact(trx, tenantId, personId)
    if (usable(p)) return [{ personId: p.id, email: p.email }]
  }
  const org = await parties.organisationContact(trx, tenantId, organisationId)
  if (org.kind === 'mission_tic') {
    const admins = await networkAdmins(trx, tenantId)
    if (admins.length) return admins
  }
  const admins = await orgAdmins(trx, tenantId, organisationId)
  if (admins.length) return admins
  return org.email ? [{ personId: null, email: org.email }] : networkAdmins(trx, tenantId)
}

export async function backupOf(trx: TenantTx, tenantId: string, personId: string | null): Promise<Recipient[]> {
  if (!personId) return []
  const p = await parties.backupContact(trx, tenantId, personId)
  return usable(p) ? [{ personId: p.id, email: p.email }] : []
}

export async function personRecipient(trx: TenantTx, tenantId: string, personId: string): Promise<Recipient[]> {
  const p = await parties.personContact(trx, tenantId, personId)
  return usable(p) ? [{ personId: p.id, email: p.email }] : []
}

export function uniqueRecipients(list: Recipient[]): Recipient[] {
  const seen = new Set<string>()
  return list.filter((r) => (seen.has(r.email) ? false : (seen.add(r.email), true)))
}
