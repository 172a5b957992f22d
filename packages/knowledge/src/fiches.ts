// Fiches: written as drafts by the owning organisation's referents and admins (and the mission TIC), published as
// immutable versions, read by everyone of the network once published.
import { authorize, authorizeRole, conflict, invalidFields, notFound, reaches, type PersonRole } from '@relais/core'
import { FICHE_STATUS_LABELS, FROM_ANSWER_WARNING, defaultReviewBy, isStale, markdownToText, renderMarkdown, type FicheStatus, type FicheTerritoryKind } from '@relais/core/knowledge'
import type { TenantTx } from '@relais/db'
import * as repo from '@relais/db/repositories/fiches'

export interface Principal { personId: string; tenantId: string; organisationId: string; role: PersonRole }

export interface TerritoryInput { kind: FicheTerritoryKind; codes: string[] }
export interface FicheInput {
  title: string
  body: string
  themeCodes: string[]
  territory?: TerritoryInput
  /** YYYY-MM-DD; a year from now when absent. */
  reviewBy?: string
  /** The owning organisation: the writer's own unless the mission TIC writes for a partner. */
  organisationId?: string
}
export type FichePatch = Partial<Omit<FicheInput, 'organisationId'>>

export interface FicheView {
  id: string
  status: FicheStatus
  statusLabel: string
  title: string
  body: string
  bodyHtml: string
  themes: { code: string; label: string }[]
  organisation: { id: string; name: string }
  territory: TerritoryInput
  reviewBy: string
  stale: boolean
  version: number
  publishedAt: string | null
  updatedAt: string
  updatedBy: string | null
  /** The reader may edit and publish it. */
  canEdit: boolean
  /** The working copy differs from the last published version (writers only; false for readers). */
  unpublishedChanges: boolean
  /** For its writers, until it is first published: a draft taken from an answer, to check for personal data. */
  checkWarning: string | null
}

const WHAT = 'Cette fiche'
const DATE = /^\d{4}-\d{2}-\d{2}$/

const mayWrite = (p: Principal, organisationId: string) => reaches(p, 'fiche.write', { organisationId })

type Detail = { path: string; message: string }

function checkText(input: { title?: string; body?: string }, details: Detail[]) {
  if (input.title !== undefined && !input.title.trim()) details.push({ path: 'title', message: 'Le titre ne peut pas être vide.' })
  if (input.title !== undefined && input.title.trim().length > 200) details.push({ path: 'title', message: 'Le titre fait au plus 200 caractères.' })
  if (input.body !== undefined && !input.body.trim()) details.push({ path: 'body', message: 'Le texte de la fiche ne peut pas être vide.' })
  if (input.body !== undefined && input.body.length > 50000) details.push({ path: 'body', message: 'Le texte fait au plus 50 000 caractères.' })
}

function checkReviewBy(reviewBy: string | undefined, now: Date, details: Detail[]) {
  if (reviewBy === undefined) return
  const d = new Date(`${reviewBy}T00:00:00Z`)
  if (!DATE.test(reviewBy) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== reviewBy) details.push({ path: 'reviewBy', message: 'Indiquez une date valide (AAAA-MM-JJ).' })
  else if (reviewBy <= now.toISOString().slice(0, 10)) details.push({ path: 'reviewBy', message: 'La date de révision doit être dans le futur.' })
  else if (d.getTime() - now.getTime() > 5 * 366 * 86400_000) details.push({ path: 'reviewBy', message: 'Une fiche se relit au moins tous les cinq ans.' })
}

async function resolveThemes(trx: TenantTx, p: Principal, codes: string[], details: Detail[]): Promise<string[]> {
  const unique = [...new Set(codes)]
  if (!unique.length) { details.push({ path: 'themeCodes', message: 'Choisissez au moins un thème.' }); return [] }
  if (unique.length > 10) { details.push({ path: 'themeCodes', message: 'Une fiche a au plus dix thèmes.' }); return [] }
  const found = await repo.themesByCodes(trx, p.tenantId, unique)
  const known = new Map(found.filter((t) => t.active).map((t) => [t.code, t.id]))
  const missing = unique.filter((c) => !known.has(c))
  if (missing.length) details.push({ path: 'themeCodes', message: `Thème inconnu : ${missing.join(', ')}.` })
  return unique.map((c) => known.get(c)!).filter(Boolean)
}

async function resolveTerritory(trx: TenantTx, p: Principal, t: TerritoryInput | undefined, details: Detail[]): Promise<TerritoryInput> {
  if (!t || t.kind === 'departement') return { kind: 'departement', codes: [] }
  const codes = [...new Set(t.codes.map((c) => c.trim()).filter(Boolean))]
  if (!codes.length) { details.push({ path: 'territory.codes', message: t.kind === 'commune' ? 'Indiquez au moins une commune.' : 'Indiquez au moins un EPCI.' }); return { kind: t.kind, codes } }
  const departement = await repo.tenantDepartement(trx, p.tenantId)
  const known = t.kind === 'commune' ? await repo.communesIn(trx, departement, codes) : await repo.epcisIn(trx, departement, codes)
  const missing = codes.filter((c) => !known.includes(c))
  if (missing.length) details.push({ path: 'territory.codes', message: `${t.kind === 'commune' ? 'Commune inconnue dans ce département' : 'EPCI inconnu dans ce département'} : ${missing.slice(0, 5).join(', ')}.` })
  return { kind: t.kind, codes }
}

/** Loads a fiche the principal may see: a published or archived one for everyone, a draft for its writers only. */
async function loadVisible(trx: TenantTx, p: Principal, id: string): Promise<repo.FicheRecord> {
  authorizeRole(p, 'fiche.read')
  const f = await repo.findFiche(trx, p.tenantId, id)
  if (!f || (f.version === 0 && !mayWrite(p, f.organisation_id))) throw notFound(WHAT)
  return f
}

/** Looked up before any role check: a draft the caller cannot see is « not found » whatever her role. */
async function loadWritable(trx: TenantTx, p: Principal, id: string): Promise<repo.FicheRecord> {
  const f = await loadVisible(trx, p, id)
  authorize(p, 'fiche.write', { organisationId: f.organisation_id }, WHAT)
  return f
}

export async function getFiche(trx: TenantTx, p: Principal, id: string, now: Date, opts: { countOpen?: boolean } = {}): Promise<FicheView> {
  const f = await loadVisible(trx, p, id)
  const canEdit = mayWrite(p, f.organisation_id)
  const published = f.version > 0 ? await repo.findVersion(trx, p.tenantId, f.id, f.version) : undefined
  // Readers see what was published; writers the working copy they edit.
  const title = canEdit || !published ? f.title : published.title
  const body = canEdit || !published ? f.body : published.body
  if (opts.countOpen && f.status === 'published' && !canEdit) await repo.countOpen(trx, p.tenantId, f.id, now.toISOString().slice(0, 10))
  const themes = f.themes
  return {
    id: f.id, status: f.status, statusLabel: FICHE_STATUS_LABELS[f.status], title, body, bodyHtml: renderMarkdown(body), themes,
    organisation: { id: f.organisation_id, name: f.organisation_name }, territory: { kind: f.territory_kind, codes: f.territory_codes },
    reviewBy: f.review_by, stale: f.status === 'published' && isStale(f.review_by, now), version: f.version,
    publishedAt: f.published_at?.toISOString() ?? null, updatedAt: f.updated_at.toISOString(), updatedBy: f.updated_by, canEdit,
    unpublishedChanges: canEdit && (!published || changedSince(f, published)),
    checkWarning: canEdit && f.version === 0 && f.drafted_from_answer_at ? FROM_ANSWER_WARNING : null,
  }
}

function changedSince(f: repo.FicheRecord, v: repo.VersionRow): boolean {
  const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i])
  return f.title !== v.title || f.body !== v.body || f.territory_kind !== v.territory_kind || !same(f.territory_codes, v.territory_codes) ||
    !same(f.themes.map((t) => t.code), v.theme_codes)
}

/** Creates a draft. */
export async function createFiche(trx: TenantTx, p: Principal, input: FicheInput, now: Date, opts: { fromAnswer?: boolean } = {}): Promise<FicheView> {
  authorizeRole(p, 'fiche.write')
  const organisationId = input.organisationId ?? p.organisationId
  authorize(p, 'fiche.write', { organisationId })
  const details: Detail[] = []
  if (organisationId !== p.organisationId) {
    const org = await repo.organisationFacts(trx, p.tenantId, organisationId)
    if (!org) details.push({ path: 'organisationId', message: 'Organisme inconnu.' })
  }
  checkText(input, details)
  checkReviewBy(input.reviewBy, now, details)
  const themeIds = await resolveThemes(trx, p, input.themeCodes, details)
  const territory = await resolveTerritory(trx, p, input.territory, details)
  if (details.length) throw invalidFields(details)
  const id = await repo.insertFiche(trx, p.tenantId, {
    organisationId, title: input.title.trim(), body: input.body, territoryKind: territory.kind, territoryCodes: territory.codes,
    reviewBy: input.reviewBy ?? defaultReviewBy(now), personId: p.personId, now, fromAnswer: opts.fromAnswer,
  })
  await repo.setFicheThemes(trx, p.tenantId, id, themeIds)
  return getFiche(trx, p, id, now)
}

/** Changes the working copy; readers keep seeing the published version until it is published again. */
export async function updateFiche(trx: TenantTx, p: Principal, id: string, patch: FichePatch, now: Date): Promise<FicheView> {
  const f = await loadWritable(trx, p, id)
  if (f.status === 'archived') throw conflict('fiche_archived', 'Cette fiche est archivée : elle ne peut plus être modifiée.')
  const details: Detail[] = []
  checkText(patch, details)
  checkReviewBy(patch.reviewBy, now, details)
  const themeIds = patch.themeCodes !== undefined ? await resolveThemes(trx, p, patch.themeCodes, details) : undefined
  const territory = patch.territory !== undefined ? await resolveTerritory(trx, p, patch.territory, details) : undefined
  if (details.length) throw invalidFields(details)
  await repo.updateFiche(trx, p.tenantId, f.id, {
    title: patch.title?.trim(), body: patch.body, territoryKind: territory?.kind, territoryCodes: territory?.codes, reviewBy: patch.reviewBy,
  }, p.personId, now)
  if (themeIds) await repo.setFicheThemes(trx, p.tenantId, f.id, themeIds)
  return getFiche(trx, p, f.id, now)
}

/** Publishes the working copy as a new immutable version. */
export async function publishFiche(trx: TenantTx, p: Principal, id: string, now: Date): Promise<FicheView> {
  const f = await loadWritable(trx, p, id)
  if (f.status === 'archived') throw conflict('fiche_archived', 'Cette fiche est archivée : elle ne peut plus être publiée.')
  if (f.version > 0) {
    const last = await repo.findVersion(trx, p.tenantId, f.id, f.version)
    if (last && !changedSince(f, last)) throw conflict('nothing_to_publish', 'Cette version est déjà publiée : modifiez la fiche avant de la publier à nouveau.')
  }
  await repo.publishVersion(trx, p.tenantId, {
    ficheId: f.id, version: f.version + 1, title: f.title, body: f.body, text: markdownToText(f.body), themeCodes: f.themes.map((t) => t.code),
    territoryKind: f.territory_kind, territoryCodes: f.territory_codes, personId: p.personId, now,
  })
  return getFiche(trx, p, f.id, now)
}

/** Withdraws a fiche from search and reading lists; its versions stay. */
export async function archiveFiche(trx: TenantTx, p: Principal, id: string, now: Date): Promise<FicheView> {
  const f = await loadWritable(trx, p, id)
  if (f.status === 'archived') throw conflict('fiche_archived', 'Cette fiche est déjà archivée.')
  await repo.updateFiche(trx, p.tenantId, f.id, { status: 'archived' }, p.personId, now)
  return getFiche(trx, p, f.id, now)
}

export interface FicheListItem { id: string; title: string; status: FicheStatus; statusLabel: string; organisation: { id: string; name: string }; themes: { code: string; label: string }[]; reviewBy: string; stale: boolean; version: number; updatedAt: string }

export interface FicheListQuery { organisationId?: string; themeCode?: string; status?: FicheStatus; stale?: boolean; limit?: number; offset?: number }

/** Published fiches for everyone; drafts and archived ones too for those who may write them. */
export async function listFiches(trx: TenantTx, p: Principal, q: FicheListQuery, now: Date): Promise<{ items: FicheListItem[] }> {
  authorizeRole(p, 'fiche.read')
  const reach = p.role === 'network_admin' ? 'all' : p.role === 'referent' || p.role === 'org_admin' ? p.organisationId : null
  const rows = await repo.listFiches(trx, p.tenantId, {
    organisationId: q.organisationId, themeCode: q.themeCode, status: q.status, unpublishedOf: reach,
    staleBefore: q.stale ? now.toISOString().slice(0, 10) : undefined, limit: q.limit ?? 100, offset: q.offset ?? 0,
  })
  return {
    items: rows.map((r) => ({
      id: r.id, title: r.title, status: r.status, statusLabel: FICHE_STATUS_LABELS[r.status], organisation: { id: r.organisation_id, name: r.organisation_name },
      themes: r.themes, reviewBy: r.review_by, stale: r.status === 'published' && isStale(r.review_by, now), version: r.version, updatedAt: r.updated_at.toISOString(),
    })),
  }
}

export interface VersionView { version: number; title: string; publishedAt: string; publishedBy: string | null; themeCodes: string[]; territory: TerritoryInput }

/** Who published what and when, newest first. */
export async function ficheHistory(trx: TenantTx, p: Principal, id: string): Promise<{ fiche: { id: string; title: string; canEdit: boolean }; versions: VersionView[] }> {
  const f = await loadVisible(trx, p, id)
  const versions = await repo.listVersions(trx, p.tenantId, f.id)
  return {
    fiche: { id: f.id, title: f.published_title ?? f.title, canEdit: mayWrite(p, f.organisation_id) },
    versions: versions.map((v) => ({ version: v.version, title: v.title, publishedAt: v.published_at.toISOString(), publishedBy: v.published_by, themeCodes: v.theme_codes, territory: { kind: v.territory_kind, codes: v.territory_codes } })),
  }
}

/** One published version as it was: never changed after publication. */
export async function ficheVersion(trx: TenantTx, p: Principal, id: string, version: number) {
  const f = await loadVisible(trx, p, id)
  const v = await repo.findVersion(trx, p.tenantId, f.id, version)
  if (!v) throw notFound('Cette version')
  return { ficheId: f.id, version: v.version, title: v.title, body: v.body, bodyHtml: renderMarkdown(v.body), publishedAt: v.published_at.toISOString(), publishedBy: v.published_by }
}

/** The organisations a writer may write for: her own; the mission TIC any partner or itself. */
export async function ficheOwnersFor(trx: TenantTx, p: Principal): Promise<{ id: string; name: string }[]> {
  authorizeRole(p, 'fiche.write')
  const owners = await repo.ficheOwners(trx, p.tenantId)
  return owners.filter((o) => mayWrite(p, o.id))
}

/** The themes a fiche may be filed under (active ones). */
export async function ficheThemes(trx: TenantTx, p: Principal): Promise<{ code: string; label: string }[]> {
  authorizeRole(p, 'fiche.read')
  return repo.activeThemes(trx, p.tenantId)
}
