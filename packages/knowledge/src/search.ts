// Search as a secretary types: French words, accents ignored, typos corrected against the words of the published
// fiches, ranked; only fiches that apply to where the question comes from. Deflections and the figures.
import { authorizeRole, invalidFields, notFound } from '@relais/core'
import { highlightExtract, isStale, searchTerms } from '@relais/core/knowledge'
import type { TenantTx } from '@relais/db'
import * as repo from '@relais/db/repositories/fiches'
import type { Principal } from './fiches.ts'

export interface SearchQuery {
  q: string
  themeCode?: string
  organisationId?: string
  /** Where the question comes from; a mairie's own commune when absent. */
  communeInsee?: string
  limit?: number
  /** Count a search that found nothing (not for the suggestions shown while typing). */
  recordMiss?: boolean
}

export interface SearchHit { id: string; title: string; extract: string; score: number; organisation: { id: string; name: string }; /** Past its review-by date. */ stale: boolean }
export interface SearchResult { items: SearchHit[]; corrections: { typed: string; read: string }[] }

/** How close a typed word must be to a word of the fiches to be read as it (trigram similarity). */
const TYPO_SIMILARITY = 0.4

async function placeOf(trx: TenantTx, p: Principal, communeInsee: string | undefined) {
  const departement = await repo.tenantDepartement(trx, p.tenantId)
  if (communeInsee) {
    const c = await repo.communePlace(trx, departement, communeInsee)
    if (!c) throw invalidFields([{ path: 'communeInsee', message: 'Commune inconnue dans ce département.' }])
    return { insee: c.insee, epciCode: c.epci_code }
  }
  const org = await repo.organisationFacts(trx, p.tenantId, p.organisationId)
  if (org?.kind !== 'mairie' || !org.commune_insee) return undefined
  const c = await repo.communePlace(trx, departement, org.commune_insee)
  return c ? { insee: c.insee, epciCode: c.epci_code } : undefined
}

export async function searchFiches(trx: TenantTx, p: Principal, query: SearchQuery, now: Date): Promise<SearchResult> {
  authorizeRole(p, 'fiche.read')
  const terms = searchTerms(query.q)
  if (!terms.length) return { items: [], corrections: [] }
  const place = await placeOf(trx, p, query.communeInsee)
  const filter = { themeCode: query.themeCode, organisationId: query.organisationId, place, limit: Math.min(Math.max(query.limit ?? 10, 1), 50) }
  const matches = await repo.matchWords(trx, p.tenantId, terms, TYPO_SIMILARITY)
  const corrections: SearchResult['corrections'] = []
  // Each typed word, or the word of the fiches it stands for: any of them may match, more matches rank higher.
  const alternatives = terms.map((t) => {
    const m = matches.get(t)
    if (m && m !== t) { corrections.push({ typed: t, read: m }); return `(${t} | ${m})` }
    return t
  })
  const words = { any: alternatives.join(' | '), all: alternatives.join(' & ') }
  let rows = await repo.searchFiches(trx, p.tenantId, words, filter)
  if (!rows.length) rows = await repo.searchTitlesBySimilarity(trx, p.tenantId, terms.join(' '), words, filter)
  if (!rows.length && query.recordMiss) {
    const theme = query.themeCode ? (await repo.themesByCodes(trx, p.tenantId, [query.themeCode]))[0] : undefined
    await repo.insertSearchMiss(trx, p.tenantId, { themeId: theme?.id ?? null, organisationId: p.organisationId, at: now })
  }
  return {
    items: rows.map((r) => ({ id: r.id, title: r.title, extract: highlightExtract(r.extract ?? ''), score: Math.round(r.score * 10000) / 10000, organisation: { id: r.organisation_id, name: r.organisation_name }, stale: isStale(r.review_by, now) })),
    corrections,
  }
}

export interface DeflectionInput { ficheId: string; themeCode: string; communeInsee: string }

/** « Cette fiche répond à la question » : counted for the theme, the commune and the fiche; nothing on the citizen. */
export async function recordDeflection(trx: TenantTx, p: Principal, input: DeflectionInput, now: Date): Promise<{ id: string; ficheId: string; themeCode: string; communeInsee: string; at: string }> {
  authorizeRole(p, 'deflection.record')
  const fiche = await repo.findFiche(trx, p.tenantId, input.ficheId)
  if (!fiche || fiche.status !== 'published') throw notFound('Cette fiche')
  const details: { path: string; message: string }[] = []
  const [theme] = await repo.themesByCodes(trx, p.tenantId, [input.themeCode])
  if (!theme || !theme.active) details.push({ path: 'themeCode', message: 'Thème inconnu.' })
  const departement = await repo.tenantDepartement(trx, p.tenantId)
  const commune = await repo.communePlace(trx, departement, input.communeInsee)
  if (!commune) details.push({ path: 'communeInsee', message: 'Commune inconnue dans ce département.' })
  if (details.length || !theme || !commune) throw invalidFields(details)
  const id = await repo.insertDeflection(trx, p.tenantId, { ficheId: fiche.id, themeId: theme.id, communeInsee: commune.insee, mairieOrganisationId: p.organisationId, at: now })
  return { id, ficheId: fiche.id, themeCode: theme.code, communeInsee: commune.insee, at: now.toISOString() }
}

/** For the mission TIC: what the base answers, what it misses, what nobody reads, what is past its review date. */
export async function knowledgeFigures(trx: TenantTx, p: Principal, now: Date, days = 90) {
  authorizeRole(p, 'knowledge.stats')
  return repo.knowledgeFigures(trx, p.tenantId, new Date(now.getTime() - days * 86400_000), now.toISOString().slice(0, 10))
}
