// Invitation and forgotten-password links (issue 13): created, cancelled by a newer one, used once.
import { sql } from 'kysely'
import type { TenantTx } from '../index.ts'

export type AccountLinkKind = 'invitation' | 'password_reset'

export interface AccountLink {
  id: string; person_id: string; kind: AccountLinkKind; token_hash: string; expires_at: Date; used_at: Date | null; cancelled_at: Date | null
}

/** Cancels the person's links of that kind still open (a new invitation or reset replaces the previous link). */
export async function cancelOpenLinks(trx: TenantTx, tenantId: string, personId: string, kind: AccountLinkKind, at: Date): Promise<void> {
  await trx.updateTable('account_link').set({ cancelled_at: at }).where('tenant_id', '=', tenantId).where('person_id', '=', personId)
    .where('kind', '=', kind).where('used_at', 'is', null).where('cancelled_at', 'is', null).execute()
}

/** A new link; its id comes first so that its secret (an HMAC of the id) can be hashed into the same row. */
export async function insertLink(trx: TenantTx, tenantId: string, v: { id: string; personId: string; kind: AccountLinkKind; tokenHash: string; expiresAt: Date; createdBy: string | null; at: Date }): Promise<void> {
  await trx.insertInto('account_link').values({
    id: v.id, tenant_id: tenantId, person_id: v.personId, kind: v.kind, token_hash: v.tokenHash, expires_at: v.expiresAt, created_by: v.createdBy, created_at: v.at,
  }).execute()
}

/** The link, locked until the transaction ends: two uses of one link are served one after the other. */
export async function lockLink(trx: TenantTx, tenantId: string, id: string): Promise<AccountLink | undefined> {
  return trx.selectFrom('account_link').select(['id', 'person_id', 'kind', 'token_hash', 'expires_at', 'used_at', 'cancelled_at'])
    .where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst()
}

export async function markLinkUsed(trx: TenantTx, tenantId: string, id: string, at: Date): Promise<void> {
  await trx.updateTable('account_link').set({ used_at: at }).where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

/** The pending invitation of each of these people (not used, not cancelled), for the people lists. */
export async function openInvitations(trx: TenantTx, tenantId: string, personIds: string[]): Promise<Map<string, Date>> {
  if (!personIds.length) return new Map()
  const rows = await trx.selectFrom('account_link').select(['person_id', sql<Date>`max(expires_at)`.as('expires_at')])
    .where('tenant_id', '=', tenantId).where('person_id', 'in', personIds).where('kind', '=', 'invitation')
    .where('used_at', 'is', null).where('cancelled_at', 'is', null).groupBy('person_id').execute()
  return new Map(rows.map((r) => [r.person_id, r.expires_at]))
}

/** The person a link is for: her email (to log her in once she chose a password) and whether she already has one. */
export async function linkPerson(trx: TenantTx, tenantId: string, personId: string) {
  return trx.selectFrom('person as p').innerJoin('organisation as o', 'o.id', 'p.organisation_id')
    .select(['p.id', 'p.email', 'p.name', 'p.active', 'o.name as organisation_name', sql<boolean>`p.password_hash is not null`.as('has_password')])
    .where('p.tenant_id', '=', tenantId).where('p.id', '=', personId).executeTakeFirst()
}

/** Sets the chosen password; every session opened before ends (a reset link means the old password may have leaked). */
export async function setPassword(trx: TenantTx, tenantId: string, personId: string, passwordHash: string): Promise<void> {
  await trx.updateTable('person').set({ password_hash: passwordHash, sessions_revoked_at: sql`now()`, updated_at: new Date() })
    .where('tenant_id', '=', tenantId).where('id', '=', personId).execute()
  await trx.updateTable('refresh_session').set({ revoked_at: sql`now()` })
    .where('tenant_id', '=', tenantId).where('person_id', '=', personId).where('revoked_at', 'is', null).execute()
}

export async function passwordHashOf(trx: TenantTx, tenantId: string, personId: string): Promise<string | null> {
  return (await trx.selectFrom('person').select('password_hash').where('tenant_id', '=', tenantId).where('id', '=', personId).executeTakeFirst())?.password_hash ?? null
}
