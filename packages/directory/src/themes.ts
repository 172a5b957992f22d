import { authorizeRole, canSeeTheme, themeListActive } from '@relais/core'
import type { TenantTx } from '@relais/db'
import * as repo from '@relais/db/repositories/themes'
import type { Cursor } from '@relais/db/repositories/keyset'
import { missing, uniquely, type DirectoryActor } from './common.ts'
import { audit } from './audit.ts'

export type { Theme } from '@relais/db/repositories/themes'

// Themes: everyone logged in reads the active ones (to file a referral); the mission TIC sees and edits them all.

export interface ThemeInput { code: string; label: string; slaResponseMinutes?: number | null }
export type ThemeChanges = Partial<ThemeInput> & { active?: boolean }

export const listThemes = (trx: TenantTx, actor: DirectoryActor, filter: { active?: boolean; q?: string }, after: Cursor | undefined, limit: number) =>
  repo.listThemes(trx, actor.tenantId, { ...filter, active: themeListActive(actor, filter.active) }, after, limit)

export async function getTheme(trx: TenantTx, actor: DirectoryActor, id: string): Promise<repo.Theme> {
  const theme = await repo.getTheme(trx, actor.tenantId, id)
  if (!theme || !canSeeTheme(actor, theme)) throw missing.theme()
  return theme
}

export async function createTheme(trx: TenantTx, actor: DirectoryActor, b: ThemeInput): Promise<repo.Theme> {
  authorizeRole(actor, 'directory.write')
  const theme = await uniquely(repo.insertTheme(trx, actor.tenantId, { ...b, label: b.label.trim() }))
  await audit(trx, actor, 'theme', 'create', theme.label, theme.id, null, theme)
  return theme
}

export async function updateTheme(trx: TenantTx, actor: DirectoryActor, id: string, b: ThemeChanges): Promise<repo.Theme> {
  const current = await repo.getTheme(trx, actor.tenantId, id)
  if (!current) throw missing.theme()
  authorizeRole(actor, 'directory.write')
  const theme = await uniquely(repo.updateTheme(trx, actor.tenantId, current.id, { ...b, label: b.label?.trim() }))
  await audit(trx, actor, 'theme', 'update', theme.label, theme.id, current, theme)
  return theme
}

/** No longer offered; nothing is deleted. */
export async function deactivateTheme(trx: TenantTx, actor: DirectoryActor, id: string): Promise<repo.Theme> {
  const current = await repo.getTheme(trx, actor.tenantId, id)
  if (!current) throw missing.theme()
  authorizeRole(actor, 'directory.write')
  const theme = await repo.updateTheme(trx, actor.tenantId, current.id, { active: false })
  await audit(trx, actor, 'theme', 'deactivate', theme.label, theme.id, current, theme)
  return theme
}
