// Import and export of fiches as a bundle (JSON, or a zip of Markdown files with front matter). The import checks every
// entry before anything is kept: one refused entry and nothing is imported, each refusal named with its place.
import { authorize, InvalidInput, type DomainError } from '@relais/core'
import { bundleJson, bundleZip, readBundle, type BundleFiche } from '@relais/core/fiche-bundle'
import { FICHE_TERRITORY_KINDS, type FicheTerritoryKind } from '@relais/core/knowledge'
import type { TenantTx } from '@relais/db'
import * as repo from '@relais/db/repositories/fiches'
import { createFiche, publishFiche, type FicheInput, type Principal } from './fiches.ts'

export type BundleFormat = 'json' | 'zip'

/** The fiches of one organisation (an org admin: hers) or of the whole network (the mission TIC, without organisation). */
export async function exportFiches(trx: TenantTx, p: Principal, q: { organisationId?: string; format: BundleFormat }, now: Date): Promise<{ count: number; filename: string; contentType: string; content: string | Uint8Array }> {
  const organisationId = q.organisationId ?? (p.role === 'network_admin' ? null : p.organisationId)
  authorize(p, 'fiche.bundle', { organisationId: organisationId ?? p.organisationId })
  const rows = await repo.fichesForExport(trx, p.tenantId, organisationId)
  const fiches: BundleFiche[] = rows.map((r) => ({
    title: r.title, body: r.body, themeCodes: r.theme_codes, territory: { kind: r.territory_kind, codes: r.territory_codes }, reviewBy: r.review_by,
    status: r.status, organisation: r.organisation_name,
  }))
  const day = now.toISOString().slice(0, 10)
  return q.format === 'zip'
    ? { count: fiches.length, filename: `fiches-${day}.zip`, contentType: 'application/zip', content: bundleZip(fiches) }
    : { count: fiches.length, filename: `fiches-${day}.json`, contentType: 'application/json; charset=utf-8', content: bundleJson(fiches, now) }
}

export interface ImportRefusal { position: number | null; file?: string; path: string; message: string }

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string')

/** The entry's shape (types only); the rules of a fiche are createFiche's. */
function entryInput(data: unknown, organisationId: string): { input?: FicheInput; problems: { path: string; message: string }[] } {
  const problems: { path: string; message: string }[] = []
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { problems: [{ path: '', message: 'Une fiche doit être un objet (title, body, themeCodes…).' }] }
  const d = data as Record<string, unknown>
  if (typeof d.title !== 'string') problems.push({ path: 'title', message: 'Le titre manque (texte).' })
  if (typeof d.body !== 'string') problems.push({ path: 'body', message: 'Le texte de la fiche manque.' })
  const themes = typeof d.themeCodes === 'string' ? [d.themeCodes] : d.themeCodes
  if (!isStringList(themes)) problems.push({ path: 'themeCodes', message: 'Les thèmes manquent (liste de codes, ex. : [aides-caf]).' })
  let territory: FicheInput['territory']
  if (d.territory !== undefined && d.territory !== null) {
    const t = d.territory as Record<string, unknown>
    if (typeof t !== 'object' || !(FICHE_TERRITORY_KINDS as readonly string[]).includes(String(t.kind))) problems.push({ path: 'territory.kind', message: 'Territoire : « kind » vaut departement, epci ou commune.' })
    else if (t.codes !== undefined && !isStringList(t.codes)) problems.push({ path: 'territory.codes', message: 'Territoire : « codes » est une liste de codes INSEE ou SIREN.' })
    else territory = { kind: t.kind as FicheTerritoryKind, codes: (t.codes as string[] | undefined) ?? [] }
  }
  if (d.reviewBy !== undefined && d.reviewBy !== null && typeof d.reviewBy !== 'string') problems.push({ path: 'reviewBy', message: 'La date de relecture s’écrit AAAA-MM-JJ.' })
  if (problems.length) return { problems }
  if ((d.title as string).includes('\u0000') || (d.body as string).includes('\u0000')) return { problems: [{ path: 'body', message: 'Caractère nul interdit.' }] }
  return {
    problems,
    input: { title: d.title as string, body: d.body as string, themeCodes: themes as string[], territory, ...(typeof d.reviewBy === 'string' ? { reviewBy: d.reviewBy } : {}), organisationId },
  }
}

const where = (position: number | null, file?: string) => position === null ? 'Fichier' : `Fiche ${position}${file ? ` (${file})` : ''}`

/**
 * Imports a bundle for one organisation, as drafts (or published at once): every entry is checked and written in the
 * caller's transaction; if any is refused, the error lists them all and the transaction (hence every fiche) is undone.
 */
export async function importFiches(trx: TenantTx, p: Principal, bytes: Uint8Array, opts: { organisationId?: string; publish?: boolean }, now: Date): Promise<{ imported: number; published: number; ids: string[] }> {
  const organisationId = opts.organisationId ?? p.organisationId
  authorize(p, 'fiche.bundle', { organisationId })
  const bundle = readBundle(bytes)
  const refusals: ImportRefusal[] = bundle.problems.map((x) => ({ position: x.position, file: x.file, path: x.file ?? 'fichier', message: x.message }))
  if (refusals.some((r) => r.position === null && !r.file) || (!bundle.entries.length && !refusals.length)) {
    throw new InvalidInput('bundle_unreadable', 'Aucune fiche n’a été importée : le fichier n’est pas lisible.', refusals.length ? refusals : [{ position: null, path: 'fichier', message: 'Le fichier ne contient aucune fiche.' }])
  }
  const ids: string[] = []
  for (const e of bundle.entries) {
    const { input, problems } = entryInput(e.data, organisationId)
    const name = where(e.position, e.file)
    if (!input) {
      for (const x of problems) refusals.push({ position: e.position, file: e.file, path: `fiches[${e.position}]${x.path ? `.${x.path}` : ''}`, message: `${name} : ${x.message}` })
      continue
    }
    try {
      // Written as we go (the checks that need the database are createFiche's); undone with the transaction if any is refused.
      const f = await createFiche(trx, p, input, now)
      ids.push(f.id)
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err
      const details = ((err as DomainError).details as { path: string; message: string }[] | undefined) ?? [{ path: '', message: err.message }]
      for (const x of details) refusals.push({ position: e.position, file: e.file, path: `fiches[${e.position}]${x.path ? `.${x.path}` : ''}`, message: `${name} : ${x.message}` })
    }
  }
  if (refusals.length) {
    const n = new Set(refusals.map((r) => r.position)).size
    throw new InvalidInput('bundle_refused', `Aucune fiche n’a été importée : ${n} ${n > 1 ? 'entrées refusées' : 'entrée refusée'} sur ${bundle.entries.length + bundle.problems.filter((x) => x.position !== null).length}. Corrigez-les puis importez de nouveau le fichier entier.`, refusals)
  }
  let published = 0
  if (opts.publish) for (const id of ids) { await publishFiche(trx, p, id, now); published++ }
  return { imported: ids.length, published, ids }
}
