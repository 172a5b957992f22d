import { sql } from 'kysely'
import type { PersonRef } from '@relais/core/directory'
import type { Role, TenantTx } from '../index.ts'
import { changes, containsPattern, frenchAfter, type Cursor } from './keyset.ts'

// People of the directory, scoped by tenant explicitly (RLS is the backstop). Deactivating or changing a password
// revokes the person's sessions in the same transaction.

export interface Person {
  id: string; organisationId: string; organisationName: string; email: string; name: string; role: Role; active: boolean
  absentFrom: Date | null; absentUntil: Date | null; backupPersonId: string | null; hasPassword: boolean
  emailBouncedAt: Date | null; createdAt: Date; updatedAt: Date
}

function peopleQuery(trx: TenantTx, tenantId: string) {
  return trx.selectFrom('person as p').innerJoin('organisation as o', 'o.id', 'p.organisation_id')
    .select(['p.id', 'p.organisation_id', 'o.name as organisation_name', 'p.email', 'p.name', 'p.role', 'p.active', 'p.absent_from',
      'p.absent_until', 'p.backup_person_id', 'p.email_bounced_at', 'p.created_at', 'p.updated_at'])
    .select(sql<boolean>`p.password_hash is not null`.as('has_password'))
    .where('p.tenant_id', '=', tenantId)
}

type PersonRow = Awaited<ReturnType<ReturnType<typeof peopleQuery>['executeTakeFirstOrThrow']>>
function toPerson(r: PersonRow): Person {
  return {
    id: r.id, organisationId: r.organisation_id, organisationName: r.organisation_name, email: r.email, name: r.name, role: r.role,
    active: r.active, absentFrom: r.absent_from, absentUntil: r.absent_until, backupPersonId: r.backup_person_id,
    hasPassword: r.has_password, emailBouncedAt: r.email_bounced_at, createdAt: r.created_at, updatedAt: r.updated_at as unknown as Date,
  }
}

export interface PersonFilter { organisationId?: string; role?: Role; active?: boolean; q?: string }

export async function listPeople(trx: TenantTx, tenantId: string, f: PersonFilter, cursor: Cursor | undefined, limit: number): Promise<Person[]> {
  let q = peopleQuery(trx, tenantId)
  if (f.organisationId) q = q.where('p.organisation_id', '=', f.organisationId)
  if (f.role) q = q.where('p.role', '=', f.role)
  if (f.active !== undefined) q = q.where('p.active', '=', f.active)
  if (f.q) { const pattern = containsPattern(f.q); q = q.where((eb) => eb.or([eb('p.name', 'ilike', pattern), eb('p.email', 'ilike', pattern)])) }
  if (cursor) q = q.where(frenchAfter('p.name', cursor))
  const rows = await q.orderBy(sql`p.name collate fr_icu`).orderBy('p.id').limit(limit + 1).execute()
  return rows.map(toPerson)
}

export async function getPerson(trx: TenantTx, tenantId: string, id: string): Promise<Person | undefined> {
  const row = await peopleQuery(trx, tenantId).where('p.id', '=', id).executeTakeFirst()
  return row && toPerson(row)
}

export interface PersonValues {
  organisationId: string; email: string; name: string; role: Role; passwordHash?: string | null
  absentFrom?: Date | null; absentUntil?: Date | null; backupPersonId?: string | null; active?: boolean
}

export async function insertPerson(trx: TenantTx, tenantId: string, v: PersonValues): Promise<Person> {
  const { id } = await trx.insertInto('person').values({
    tenant_id: tenantId, organisation_id: v.organisationId, email: v.email, name: v.name, role: v.role,
    password_hash: v.passwordHash ?? null, absent_from: v.absentFrom ?? null, absent_until: v.absentUntil ?? null,
    backup_person_id: v.backupPersonId ?? null,
  }).returning('id').executeTakeFirstOrThrow()
  return (await getPerson(trx, tenantId, id))!
}

export async function updatePerson(trx: TenantTx, tenantId: string, id: string, v: Partial<PersonValues> & { revokeSessions?: boolean }): Promise<Person> {
  const set: Record<string, unknown> = {
    updated_at: new Date(),
    ...changes(v, {
      organisationId: 'organisation_id', email: 'email', name: 'name', role: 'role', passwordHash: 'password_hash', absentFrom: 'absent_from',
      absentUntil: 'absent_until', backupPersonId: 'backup_person_id', active: 'active',
    }),
    ...(v.revokeSessions ? { sessions_revoked_at: sql`now()` } : {}),
  }
  await trx.updateTable('person').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirstOrThrow()
  if (v.revokeSessions) {
    await trx.updateTable('refresh_session').set({ revoked_at: sql`now()` })
      .where('tenant_id', '=', tenantId).where('person_id', '=', id).where('revoked_at', 'is', null).execute()
  }
  return (await getPerson(trx, tenantId, id))!
}

/** The facts needed to accept someone as a backup or a referent. */
export async function personRef(trx: TenantTx, tenantId: string, by: { id: string } | { email: string }): Promise<PersonRef | undefined> {
  let q = trx.selectFrom('person').select(['id', 'email', 'organisation_id', 'role', 'active']).where('tenant_id', '=', tenantId)
  q = 'id' in by ? q.where('id', '=', by.id) : q.where('email', '=', by.email)
  const r = await q.executeTakeFirst()
  return r && { id: r.id, email: r.email, organisationId: r.organisation_id, role: r.role, active: r.active }
}
