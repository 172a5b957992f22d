import type { Tx } from '@relais/db'

export interface Recipient { personId: string | null; email: string }

const usable = <T extends { active: boolean; email_bounced_at: Date | null }>(p: T | undefined) => !!p && p.active && !p.email_bounced_at

export async function orgAdmins(trx: Tx, organisationId: string): Promise<Recipient[]> {
  const rows = await trx.selectFrom('person').select(['id', 'email']).where('organisation_id', '=', organisationId)
    .where('role', '=', 'org_admin').where('active', '=', true).where('email_bounced_at', 'is', null).orderBy('email').execute()
  return rows.map((r) => ({ personId: r.id, email: r.email }))
}

export async function networkAdmins(trx: Tx): Promise<Recipient[]> {
  const rows = await trx.selectFrom('person').select(['id', 'email']).where('role', '=', 'network_admin')
    .where('active', '=', true).where('email_bounced_at', 'is', null).orderBy('email').execute()
  return rows.map((r) => ({ personId: r.id, email: r.email }))
}

/** Who receives a referral held by an organisation: its referent, else its admins, else its shared address. */
export async function holderRecipients(trx: Tx, organisationId: string, personId: string | null): Promise<Recipient[]> {
  if (personId) {
    const p = await trx.selectFrom('person').select(['id', 'email', 'active', 'email_bounced_at']).where('id', '=', personId).executeTakeFirst()
    if (usable(p)) return [{ personId: p!.id, email: p!.email }]
  }
  const org = await trx.selectFrom('organisation').select(['kind', 'email']).where('id', '=', organisationId).executeTakeFirstOrThrow()
  if (org.kind === 'mission_tic') {
    const admins = await networkAdmins(trx)
    if (admins.length) return admins
  }
  const admins = await orgAdmins(trx, organisationId)
  if (admins.length) return admins
  return org.email ? [{ personId: null, email: org.email }] : networkAdmins(trx)
}

export async function backupOf(trx: Tx, personId: string | null): Promise<Recipient[]> {
  if (!personId) return []
  const p = await trx.selectFrom('person as p').innerJoin('person as b', 'b.id', 'p.backup_person_id')
    .select(['b.id', 'b.email', 'b.active', 'b.email_bounced_at']).where('p.id', '=', personId).executeTakeFirst()
  return usable(p) ? [{ personId: p!.id, email: p!.email }] : []
}

export async function personRecipient(trx: Tx, personId: string): Promise<Recipient[]> {
  const p = await trx.selectFrom('person').select(['id', 'email', 'active', 'email_bounced_at']).where('id', '=', personId).executeTakeFirst()
  return usable(p) ? [{ personId: p!.id, email: p!.email }] : []
}

export function uniqueRecipients(list: Recipient[]): Recipient[] {
  const seen = new Set<string>()
  return list.filter((r) => (seen.has(r.email) ? false : (seen.add(r.email), true)))
}
