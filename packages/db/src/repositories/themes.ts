import { sql } from 'kysely'
import type { ThemeRef } from '@relais/core/directory'
import type { TenantTx } from '../index.ts'
import { changes, containsPattern, frenchAfter, type Cursor } from './keyset.ts'

// Themes of the directory, scoped by tenant explicitly (RLS is the backstop).

export interface Theme { id: string; code: string; label: string; slaResponseMinutes: number | null; active: boolean }
const themeColumns = ['id', 'code', 'label', 'sla_response_minutes', 'active'] as const
const toTheme = (r: { id: string; code: string; label: string; sla_response_minutes: number | null; active: boolean }): Theme =>
  ({ id: r.id, code: r.code, label: r.label, slaResponseMinutes: r.sla_response_minutes, active: r.active })

export async function listThemes(trx: TenantTx, tenantId: string, f: { active?: boolean; q?: string }, cursor: Cursor | undefined, limit: number): Promise<Theme[]> {
  let q = trx.selectFrom('theme').select(themeColumns).where('tenant_id', '=', tenantId)
  if (f.active !== undefined) q = q.where('active', '=', f.active)
  if (f.q) { const pattern = containsPattern(f.q); q = q.where((eb) => eb.or([eb('label', 'ilike', pattern), eb('code', 'ilike', pattern)])) }
  if (cursor) q = q.where(frenchAfter('label', cursor))
  return (await q.orderBy(sql`label collate fr_icu`).orderBy('id').limit(limit + 1).execute()).map(toTheme)
}

export async function getTheme(trx: TenantTx, tenantId: string, id: string): Promise<Theme | undefined> {
  const r = await trx.selectFrom('theme').select(themeColumns).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
  return r && toTheme(r)
}

export async function themeByCode(trx: TenantTx, tenantId: string, code: string): Promise<ThemeRef | undefined> {
  return trx.selectFrom('theme').select(['id', 'code', 'active']).where('tenant_id', '=', tenantId).where('code', '=', code).executeTakeFirst()
}

export async function insertTheme(trx: TenantTx, tenantId: string, v: { code: string; label: string; slaResponseMinutes?: number | null }): Promise<Theme> {
  return toTheme(await trx.insertInto('theme').values({ tenant_id: tenantId, code: v.code, label: v.label, sla_response_minutes: v.slaResponseMinutes ?? null })
    .returning(themeColumns).executeTakeFirstOrThrow())
}

export async function updateTheme(trx: TenantTx, tenantId: string, id: string, v: { code?: string; label?: string; slaResponseMinutes?: number | null; active?: boolean }): Promise<Theme> {
  const set = changes(v, { code: 'code', label: 'label', slaResponseMinutes: 'sla_response_minutes', active: 'active' })
  if (Object.keys(set).length === 0) return (await getTheme(trx, tenantId, id))!
  return toTheme(await trx.updateTable('theme').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).returning(themeColumns).executeTakeFirstOrThrow())
}
