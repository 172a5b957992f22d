import { sql } from 'kysely'
import type { WeeklyHours } from '@relais/core'
import type { OrganisationRef } from '@relais/core/directory'
import type { OrganisationKind, OrganisationStatus, TenantTx } from '../index.ts'
import { changes, containsPattern, frenchAfter, type Cursor } from './keyset.ts'

// Organisations of the directory. Every query names its tenant even though RLS would filter anyway: the policy is
// the backstop, not the only wall. Rows come back in the API's camelCase shape.

export interface Organisation {
  id: string; kind: OrganisationKind; name: string; shortName: string | null; communeInsee: string | null
  email: string | null; address: string | null; openingHours: WeeklyHours | null; status: OrganisationStatus
  createdAt: Date; updatedAt: Date
}

const organisationColumns = ['id', 'kind', 'name', 'short_name', 'commune_insee', 'email', 'address', 'opening_hours', 'status', 'created_at', 'updated_at'] as const

function toOrganisation(r: { id: string; kind: OrganisationKind; name: string; short_name: string | null; commune_insee: string | null; email: string | null; address: string | null; opening_hours: unknown; status: OrganisationStatus; created_at: Date; updated_at: unknown }): Organisation {
  return {
    id: r.id, kind: r.kind, name: r.name, shortName: r.short_name, communeInsee: r.commune_insee, email: r.email,
    address: r.address, openingHours: (r.opening_hours as WeeklyHours | null) ?? null, status: r.status, createdAt: r.created_at, updatedAt: r.updated_at as Date,
  }
}

export interface OrganisationFilter { kind?: OrganisationKind; status?: OrganisationStatus; q?: string; communeInsee?: string }

export async function listOrganisations(trx: TenantTx, tenantId: string, f: OrganisationFilter, cursor: Cursor | undefined, limit: number) {
  let q = trx.selectFrom('organisation').select(organisationColumns).where('tenant_id', '=', tenantId)
  if (f.kind) q = q.where('kind', '=', f.kind)
  if (f.status) q = q.where('status', '=', f.status)
  if (f.communeInsee) q = q.where('commune_insee', '=', f.communeInsee)
  if (f.q) q = q.where('name', 'ilike', containsPattern(f.q))
  // French order (fr_icu, migration 0061): the cursor's key compares in the same collation as the order.
  if (cursor) q = q.where(frenchAfter('name', cursor))
  const rows = await q.orderBy(sql`name collate fr_icu`).orderBy('id').limit(limit + 1).execute()
  return rows.map(toOrganisation)
}

export async function getOrganisation(trx: TenantTx, tenantId: string, id: string): Promise<Organisation | undefined> {
  const row = await trx.selectFrom('organisation').select(organisationColumns).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
  return row && toOrganisation(row)
}

export interface OrganisationValues {
  kind: OrganisationKind; name: string; shortName?: string | null; communeInsee?: string | null; email?: string | null
  address?: string | null; openingHours?: WeeklyHours | null; status?: OrganisationStatus
}

export async function insertOrganisation(trx: TenantTx, tenantId: string, v: OrganisationValues): Promise<Organisation> {
  const row = await trx.insertInto('organisation').values({
    tenant_id: tenantId, kind: v.kind, name: v.name, short_name: v.shortName ?? null, commune_insee: v.communeInsee ?? null,
    email: v.email ?? null, address: v.address ?? null, opening_hours: v.openingHours ? JSON.stringify(v.openingHours) : null,
    status: v.status ?? 'onboarding',
  }).returning(organisationColumns).executeTakeFirstOrThrow()
  return toOrganisation(row)
}

export async function updateOrganisation(trx: TenantTx, tenantId: string, id: string, v: Partial<Omit<OrganisationValues, 'kind'>>): Promise<Organisation> {
  const set: Record<string, unknown> = {
    updated_at: new Date(),
    ...changes(v, {
      name: 'name', shortName: 'short_name', communeInsee: 'commune_insee', email: 'email', address: 'address', status: 'status',
      openingHours: ['opening_hours', (h) => (h === null ? null : JSON.stringify(h))],
    }),
  }
  const row = await trx.updateTable('organisation').set(set).where('tenant_id', '=', tenantId).where('id', '=', id)
    .returning(organisationColumns).executeTakeFirstOrThrow()
  return toOrganisation(row)
}

export async function organisationRef(trx: TenantTx, tenantId: string, id: string): Promise<OrganisationRef | undefined> {
  return trx.selectFrom('organisation').select(['id', 'name', 'kind', 'status']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
}
