// Accounts and refresh sessions. Two reads cross tenants by design — a login names an email, an access token a
// tenant and a person — and go through security-definer functions that hand out only what they must.
import { sql } from 'kysely'
import type { CrossTenantDb, Role, TenantTx } from '../index.ts'

export interface LoginCandidate { tenant_id: string; person_id: string; password_hash: string }

/** Cross-tenant: the active people of every tenant with this (lower-cased) email, and their password hashes. */
export async function loginCandidates(db: CrossTenantDb, email: string): Promise<LoginCandidate[]> {
  const { rows } = await sql<LoginCandidate>`select * from auth_candidates(${email})`.execute(db)
  return rows
}

export interface PrincipalState { organisation_id: string; role: Role; active: boolean; sessions_revoked_at: Date | null; session_live: boolean; organisation_status: 'onboarding' | 'active' | 'suspended' }

/**
 * Cross-tenant: what an access token's person is now (role, still active, sessions revoked since) and whether
 * the token's session family still has a live session (not logged out), or undefined.
 */
export async function principalState(db: CrossTenantDb, tenantId: string, personId: string, familyId: string): Promise<PrincipalState | undefined> {
  const { rows } = await sql<PrincipalState>`select * from auth_principal(${tenantId}, ${personId}, ${familyId})`.execute(db)
  return rows[0]
}

export interface SessionPerson { id: string; tenant_id: string; organisation_id: string; role: Role; active: boolean }

export async function sessionPerson(trx: TenantTx, tenantId: string, personId: string): Promise<SessionPerson | undefined> {
  return trx.selectFrom('person').select(['id', 'tenant_id', 'organisation_id', 'role', 'active'])
    .where('tenant_id', '=', tenantId).where('id', '=', personId).executeTakeFirst()
}

export interface NewRefreshSession { personId: string; familyId: string; tokenHash: string; expiresAt: Date }

/** Opens a refresh session; `replaces` is the session it rotates, which then points at the new one. */
export async function insertRefreshSession(trx: TenantTx, tenantId: string, v: NewRefreshSession, replaces?: string): Promise<string> {
  const row = await trx.insertInto('refresh_session').values({
    tenant_id: tenantId, person_id: v.personId, family_id: v.familyId, token_hash: v.tokenHash, expires_at: v.expiresAt,
  }).returning('id').executeTakeFirstOrThrow()
  if (replaces) await trx.updateTable('refresh_session').set({ replaced_by: row.id }).where('tenant_id', '=', tenantId).where('id', '=', replaces).execute()
  return row.id
}

export interface RefreshSessionRow {
  id: string; person_id: string; family_id: string; token_hash: string; expires_at: Date; revoked_at: Date | null; replaced_by: string | null
}

/** The session, locked until the transaction ends: two refreshes of one cookie are served one after the other. */
export async function lockRefreshSession(trx: TenantTx, tenantId: string, id: string): Promise<RefreshSessionRow | undefined> {
  return trx.selectFrom('refresh_session').select(['id', 'person_id', 'family_id', 'token_hash', 'expires_at', 'revoked_at', 'replaced_by'])
    .where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst()
}

export async function revokeRefreshSession(trx: TenantTx, tenantId: string, id: string, at: Date, tokenHash?: string): Promise<void> {
  let q = trx.updateTable('refresh_session').set({ revoked_at: at }).where('tenant_id', '=', tenantId).where('id', '=', id).where('revoked_at', 'is', null)
  if (tokenHash !== undefined) q = q.where('token_hash', '=', tokenHash)
  await q.execute()
}

/** Ends every session of the family (a rotated token presented again: it leaked). */
export async function revokeFamily(trx: TenantTx, tenantId: string, familyId: string, at: Date): Promise<void> {
  await trx.updateTable('refresh_session').set({ revoked_at: at }).where('tenant_id', '=', tenantId).where('family_id', '=', familyId).where('revoked_at', 'is', null).execute()
}

/** Ends the family of a session that this person holds (logout with an access token: every token of it stops). */
export async function revokePersonFamily(trx: TenantTx, tenantId: string, personId: string, familyId: string, at: Date): Promise<void> {
  await trx.updateTable('refresh_session').set({ revoked_at: at }).where('tenant_id', '=', tenantId).where('person_id', '=', personId)
    .where('family_id', '=', familyId).where('revoked_at', 'is', null).execute()
}
