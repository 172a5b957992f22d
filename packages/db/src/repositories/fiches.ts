// The knowledge base's SQL: fiches, their published versions, French full-text search, deflections and the
// figures the mission TIC watches. Every query names its tenant (RLS stays the backstop).
import { sql, type RawBuilder } from 'kysely'
import type { CrossTenantDb, FicheStatusColumn, TenantTx, TerritoryKind } from '../index.ts'

export interface FicheRecord {
  id: string
  organisation_id: string
  organisation_name: string
  status: FicheStatusColumn
  title: string
  body: string
  territory_kind: TerritoryKind
  territory_codes: string[]
  review_by: string
  version: number
  published_title: string | null
  published_at: Date | null
  created_at: Date
  updated_at: Date
  created_by: string | null
  updated_by: string | null
  drafted_from_answer_at: Date | null
  themes: { code: string; label: string }[]
}

const ficheColumns = sql`f.id, f.organisation_id, o.name as organisation_name, f.status, f.title, f.body, f.territory_kind,
  f.territory_codes, f.review_by::text as review_by, f.version, f.published_title, f.published_at, f.created_at, f.updated_at, f.drafted_from_answer_at,
  (select name from person where id = f.created_by_person_id) as created_by,
  (select name from person where id = f.updated_by_person_id) as updated_by,
  coalesce((select json_agg(json_build_object('code', t.code, 'label', t.label) order by t.label)
    from fiche_theme ft join theme t on t.id = ft.theme_id where ft.fiche_id = f.id), '[]'::json) as themes`

export async function findFiche(trx: TenantTx, tenantId: string, id: string): Promise<FicheRecord | undefined> {
  const { rows } = await sql<FicheRecord>`select ${ficheColumns} from fiche f join organisation o on o.id = f.organisation_id
    where f.tenant_id = ${tenantId} and f.id = ${id}`.execute(trx)
  return rows[0]
}

export interface FicheListFilter {
  organisationId?: string
  status?: FicheStatusColumn
  themeCode?: string
  /** Whose drafts and archived fiches the reader sees besides the published ones: every organisation's, one's, or none. */
  unpublishedOf: 'all' | string | null
  staleBefore?: string
  limit: number
  offset: number
}

export interface FicheListRow { id: string; title: string; status: FicheStatusColumn; organisation_id: string; organisation_name: string; review_by: string; version: number; updated_at: Date; themes: { code: string; label: string }[] }

export async function listFiches(trx: TenantTx, tenantId: string, f: FicheListFilter): Promise<FicheListRow[]> {
  const where: RawBuilder<unknown>[] = [sql`f.tenant_id = ${tenantId}`]
  if (f.unpublishedOf === null) where.push(sql`f.status = 'published'`)
  else if (f.unpublishedOf !== 'all') where.push(sql`(f.status = 'published' or f.organisation_id = ${f.unpublishedOf})`)
  if (f.status) where.push(sql`f.status = ${f.status}`)
  if (f.organisationId) where.push(sql`f.organisation_id = ${f.organisationId}`)
  if (f.themeCode) where.push(sql`exists (select 1 from fiche_theme ft join theme t on t.id = ft.theme_id where ft.fiche_id = f.id and t.code = ${f.themeCode})`)
  if (f.staleBefore) where.push(sql`f.status = 'published' and f.review_by < ${f.staleBefore}::date`)
  const { rows } = await sql<FicheListRow>`select f.id, coalesce(case when f.status = 'published' then f.published_title end, f.title) as title,
      f.status, f.organisation_id, o.name as organisation_name, f.review_by::text as review_by, f.version, f.updated_at,
      coalesce((select json_agg(json_build_object('code', t.code, 'label', t.label) order by t.label)
        from fiche_theme ft join theme t on t.id = ft.theme_id where ft.fiche_id = f.id), '[]'::json) as themes
    from fiche f join organisation o on o.id = f.organisation_id
    where ${sql.join(where, sql` and `)}
    order by f.updated_at desc, f.id limit ${f.limit} offset ${f.offset}`.execute(trx)
  return rows
}

export interface NewFiche {
  organisationId: string
  title: string
  body: string
  territoryKind: TerritoryKind
  territoryCodes: string[]
  reviewBy: string
  personId: string | null
  now: Date
  /** Drafted from a referral's answer. */
  fromAnswer?: boolean
}

export async function insertFiche(trx: TenantTx, tenantId: string, f: NewFiche): Promise<string> {
  const row = await trx.insertInto('fiche').values({
    tenant_id: tenantId, organisation_id: f.organisationId, title: f.title, body: f.body, territory_kind: f.territoryKind,
    territory_codes: f.territoryCodes, review_by: f.reviewBy, created_by_person_id: f.personId, updated_by_person_id: f.personId,
    created_at: f.now, updated_at: f.now, drafted_from_answer_at: f.fromAnswer ? f.now : null,
  }).returning('id').executeTakeFirstOrThrow()
  return row.id
}

export interface FicheChange { title?: string; body?: string; territoryKind?: TerritoryKind; territoryCodes?: string[]; reviewBy?: string; status?: FicheStatusColumn }

export async function updateFiche(trx: TenantTx, tenantId: string, id: string, c: FicheChange, personId: string | null, now: Date): Promise<void> {
  await trx.updateTable('fiche').set({
    ...(c.title !== undefined ? { title: c.title } : {}),
    ...(c.body !== undefined ? { body: c.body } : {}),
    ...(c.territoryKind !== undefined ? { territory_kind: c.territoryKind } : {}),
    ...(c.territoryCodes !== undefined ? { territory_codes: c.territoryCodes } : {}),
    ...(c.reviewBy !== undefined ? { review_by: c.reviewBy, review_reminded_at: null } : {}),
    ...(c.status !== undefined ? { status: c.status } : {}),
    updated_by_person_id: personId, updated_at: now,
  }).where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

export async function setFicheThemes(trx: TenantTx, tenantId: string, ficheId: string, themeIds: string[]): Promise<void> {
  await trx.deleteFrom('fiche_theme').where('tenant_id', '=', tenantId).where('fiche_id', '=', ficheId).execute()
  if (themeIds.length) await trx.insertInto('fiche_theme').values(themeIds.map((theme_id) => ({ tenant_id: tenantId, fiche_id: ficheId, theme_id }))).execute()
}

export interface NewVersion {
  ficheId: string
  version: number
  title: string
  body: string
  /** The body as plain text (Markdown removed): what search indexes and extracts quote. */
  text: string
  themeCodes: string[]
  territoryKind: TerritoryKind
  territoryCodes: string[]
  personId: string | null
  now: Date
}

/** Adds an immutable version and makes it the one readers and search see. */
export async function publishVersion(trx: TenantTx, tenantId: string, v: NewVersion): Promise<void> {
  await trx.insertInto('fiche_version').values({
    tenant_id: tenantId, fiche_id: v.ficheId, version: v.version, title: v.title, body: v.body, theme_codes: v.themeCodes,
    territory_kind: v.territoryKind, territory_codes: v.territoryCodes, published_by_person_id: v.personId, published_at: v.now,
  }).execute()
  await trx.updateTable('fiche').set({
    status: 'published', version: v.version, published_title: v.title, published_text: v.text, published_at: v.now,
    updated_by_person_id: v.personId, updated_at: v.now,
  }).where('tenant_id', '=', tenantId).where('id', '=', v.ficheId).execute()
}

export interface VersionRow { version: number; title: string; body: string; theme_codes: string[]; territory_kind: TerritoryKind; territory_codes: string[]; published_at: Date; published_by: string | null }

export async function listVersions(trx: TenantTx, tenantId: string, ficheId: string): Promise<VersionRow[]> {
  return trx.selectFrom('fiche_version as v').leftJoin('person as p', 'p.id', 'v.published_by_person_id')
    .select(['v.version', 'v.title', 'v.body', 'v.theme_codes', 'v.territory_kind', 'v.territory_codes', 'v.published_at', 'p.name as published_by'])
    .where('v.tenant_id', '=', tenantId).where('v.fiche_id', '=', ficheId).orderBy('v.version', 'desc').execute()
}

export async function findVersion(trx: TenantTx, tenantId: string, ficheId: string, version: number): Promise<VersionRow | undefined> {
  return trx.selectFrom('fiche_version as v').leftJoin('person as p', 'p.id', 'v.published_by_person_id')
    .select(['v.version', 'v.title', 'v.body', 'v.theme_codes', 'v.territory_kind', 'v.territory_codes', 'v.published_at', 'p.name as published_by'])
    .where('v.tenant_id', '=', tenantId).where('v.fiche_id', '=', ficheId).where('v.version', '=', version).executeTakeFirst()
}

// ---------------------------------------------------------------- what a fiche refers to

export async function themesByCodes(trx: TenantTx, tenantId: string, codes: string[]): Promise<{ id: string; code: string; label: string; active: boolean }[]> {
  if (!codes.length) return []
  return trx.selectFrom('theme').select(['id', 'code', 'label', 'active']).where('tenant_id', '=', tenantId).where('code', 'in', codes).execute()
}

export async function activeThemes(trx: TenantTx, tenantId: string): Promise<{ code: string; label: string }[]> {
  return trx.selectFrom('theme').select(['code', 'label']).where('tenant_id', '=', tenantId).where('active', '=', true).orderBy('label').execute()
}

export async function tenantDepartement(trx: TenantTx, tenantId: string): Promise<string> {
  return (await trx.selectFrom('tenant').select('code').where('id', '=', tenantId).executeTakeFirstOrThrow()).code
}

/** Of these codes, the communes (INSEE) of the département. */
export async function communesIn(trx: TenantTx, departement: string, codes: string[]): Promise<string[]> {
  if (!codes.length) return []
  const rows = await trx.selectFrom('commune').select('insee').where('departement', '=', departement).where('insee', 'in', codes).execute()
  return rows.map((r) => r.insee)
}

/** Of these codes, the EPCI (SIREN) with at least one commune in the département. */
export async function epcisIn(trx: TenantTx, departement: string, codes: string[]): Promise<string[]> {
  if (!codes.length) return []
  const rows = await trx.selectFrom('commune').select('epci_code').distinct().where('departement', '=', departement).where('epci_code', 'in', codes).execute()
  return rows.map((r) => r.epci_code!)
}

export async function communePlace(trx: TenantTx, departement: string, insee: string): Promise<{ insee: string; name: string; epci_code: string | null } | undefined> {
  return trx.selectFrom('commune').select(['insee', 'name', 'epci_code']).where('departement', '=', departement).where('insee', '=', insee).executeTakeFirst()
}

export async function organisationFacts(trx: TenantTx, tenantId: string, id: string): Promise<{ id: string; kind: string; name: string; commune_insee: string | null } | undefined> {
  return trx.selectFrom('organisation').select(['id', 'kind', 'name', 'commune_insee']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
}

/** Organisations that may own fiches: partners and the mission TIC (a mairie's admin may write its own too). */
export async function ficheOwners(trx: TenantTx, tenantId: string): Promise<{ id: string; name: string }[]> {
  return trx.selectFrom('organisation').select(['id', 'name']).where('tenant_id', '=', tenantId)
    .where('kind', 'in', ['partner', 'mission_tic']).orderBy('name').execute()
}

// ---------------------------------------------------------------- search

/**
 * For each typed word (folded), the word of the published fiches it stands for: itself when a fiche has it, else
 * the closest one by trigrams (a typo), else null.
 */
export async function matchWords(trx: TenantTx, tenantId: string, words: string[], minSimilarity: number): Promise<Map<string, string | null>> {
  if (!words.length) return new Map()
  const { rows } = await sql<{ word: string; match: string | null }>`
    select q.w as word, coalesce(
      (select fw.word from fiche_word fw where fw.tenant_id = ${tenantId} and fw.word = q.w),
      (select fw.word from fiche_word fw where fw.tenant_id = ${tenantId} and length(q.w) >= 4 and fw.word % q.w
         and similarity(fw.word, q.w) >= ${minSimilarity} order by similarity(fw.word, q.w) desc, fw.word limit 1)) as match
    from unnest(${words}::text[]) as q(w)`.execute(trx)
  return new Map(rows.map((r) => [r.word, r.match]))
}

export interface SearchFilter {
  themeCode?: string
  organisationId?: string
  /** The searcher's commune: fiches for another commune or EPCI are left out. Absent: every territory. */
  place?: { insee: string; epciCode: string | null }
  limit: number
}

export interface SearchRow { id: string; title: string; organisation_id: string; organisation_name: string; score: number; extract: string; review_by: string }

/** The filters as fiche_candidates() takes them (theme, organisation, commune, EPCI, limit); null: any. */
const candidateArgs = (f: SearchFilter) =>
  sql`${f.themeCode ?? null}::text, ${f.organisationId ?? null}::uuid, ${f.place?.insee ?? null}::text, ${f.place?.epciCode ?? null}::text, ${SEARCH_CANDIDATES}::int`

/** The words of an extract's highlights are wrapped in \u0002…\u0003, escaped into <mark> by the caller. */
const HEADLINE = 'StartSel="\u0002", StopSel="\u0003", MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "'

/** A tsquery built by the caller from checked words: `any` matches a fiche with one of them, `all` with every one. */
export interface SearchWords { any: string; all: string }

/** How many fiches each way of finding candidates brings at most; only these are ranked. */
export const SEARCH_CANDIDATES = 200

const tsq = (text: string) => sql`to_tsquery('relais_french', ${text})`

/**
 * Ranked French full-text search over published fiches. Titles weigh more than bodies; long fiches are not favoured.
 * Ranking reads each fiche's whole vector, so it never covers every match of a common word ("demande" may match
 * most of a large base): fiche_candidates() (migration 0014) brings, through the indexes, up to SEARCH_CANDIDATES
 * fiches whose title has every word, then whose text has every word, then with any word, while fewer were found;
 * only those are ranked.
 */
export async function searchFiches(trx: TenantTx, tenantId: string, words: SearchWords, f: SearchFilter): Promise<SearchRow[]> {
  const { rows } = await sql<SearchRow>`
    select s.id, s.title, s.organisation_id, o.name as organisation_name, s.score, s.review_by::text as review_by,
      ts_headline('relais_french', s.text, ${tsq(words.any)}, ${HEADLINE}) as extract
    from (
      select f.id, f.published_title as title, f.published_text as text, f.organisation_id, f.review_by,
        ts_rank(f.search, ${tsq(words.any)}, 1)::float8 as score
      from (select distinct id from fiche_candidates(${candidateArgs(f)}, ${tsq(words.all)}, ${tsq(words.any)}, null)) c
        join fiche f on f.id = c.id
      where f.tenant_id = ${tenantId} and f.status = 'published'
      order by score desc, f.published_title, f.id
      limit ${f.limit}
    ) s join organisation o on o.id = s.organisation_id
    order by s.score desc, s.title, s.id`.execute(trx)
  return rows
}

/**
 * The fallback when the words find nothing: titles that look like what was typed (trigrams, accents ignored).
 * Not for words French search ignores ("la", "de"): they look like every title.
 */
export async function searchTitlesBySimilarity(trx: TenantTx, tenantId: string, folded: string, words: SearchWords, f: SearchFilter): Promise<SearchRow[]> {
  const { rows } = await sql<SearchRow>`
    select f.id, f.published_title as title, f.organisation_id, o.name as organisation_name,
      word_similarity(${folded}, relais_unaccent(lower(f.published_title)))::float8 as score, left(f.published_text, 240) as extract,
      f.review_by::text as review_by
    from fiche_candidates(${candidateArgs(f)}, null, null, ${folded}) c
      join fiche f on f.id = c.id
      join organisation o on o.id = f.organisation_id
    where f.tenant_id = ${tenantId} and f.status = 'published' and numnode(${tsq(words.any)}) > 0
    order by score desc, f.published_title, f.id
    limit ${f.limit}`.execute(trx)
  return rows
}

// ---------------------------------------------------------------- use and figures

export async function insertDeflection(trx: TenantTx, tenantId: string, d: { ficheId: string; themeId: string; communeInsee: string; mairieOrganisationId: string; at: Date }): Promise<string> {
  const row = await trx.insertInto('deflection').values({
    tenant_id: tenantId, fiche_id: d.ficheId, theme_id: d.themeId, commune_insee: d.communeInsee, mairie_organisation_id: d.mairieOrganisationId, at: d.at,
  }).returning('id').executeTakeFirstOrThrow()
  return String(row.id)
}

export async function countOpen(trx: TenantTx, tenantId: string, ficheId: string, day: string): Promise<void> {
  await trx.insertInto('fiche_open_day').values({ tenant_id: tenantId, fiche_id: ficheId, day })
    .onConflict((oc) => oc.columns(['fiche_id', 'day']).doUpdateSet((eb) => ({ opens: sql`${eb.ref('fiche_open_day.opens')} + 1` })))
    .execute()
}

export async function insertSearchMiss(trx: TenantTx, tenantId: string, m: { themeId: string | null; organisationId: string; at: Date }): Promise<void> {
  await trx.insertInto('search_miss').values({ tenant_id: tenantId, theme_id: m.themeId, organisation_id: m.organisationId, at: m.at }).execute()
}

export interface KnowledgeFigures {
  deflectionsByTheme: { code: string; label: string; count: number }[]
  deflectionsByFiche: { id: string; title: string; count: number }[]
  missesByTheme: { code: string | null; label: string | null; count: number }[]
  neverOpened: { id: string; title: string; organisation_name: string; published_at: Date }[]
  stale: { id: string; title: string; organisation_name: string; review_by: string }[]
}

/** Since `since`: deflections per theme and per fiche, searches that found nothing; published fiches never opened; stale ones. */
export async function knowledgeFigures(trx: TenantTx, tenantId: string, since: Date, today: string): Promise<KnowledgeFigures> {
  const byTheme = await sql<{ code: string; label: string; count: number }>`
    select t.code, t.label, count(*)::int as count from deflection d join theme t on t.id = d.theme_id
    where d.tenant_id = ${tenantId} and d.at >= ${since} group by t.code, t.label order by count desc, t.label`.execute(trx)
  const byFiche = await sql<{ id: string; title: string; count: number }>`
    select f.id, coalesce(f.published_title, f.title) as title, count(*)::int as count from deflection d join fiche f on f.id = d.fiche_id
    where d.tenant_id = ${tenantId} and d.at >= ${since} group by f.id order by count desc, title limit 50`.execute(trx)
  const misses = await sql<{ code: string | null; label: string | null; count: number }>`
    select t.code, t.label, count(*)::int as count from search_miss m left join theme t on t.id = m.theme_id
    where m.tenant_id = ${tenantId} and m.at >= ${since} group by t.code, t.label order by count desc, t.label nulls last`.execute(trx)
  const neverOpened = await sql<{ id: string; title: string; organisation_name: string; published_at: Date }>`
    select f.id, f.published_title as title, o.name as organisation_name, f.published_at from fiche f join organisation o on o.id = f.organisation_id
    where f.tenant_id = ${tenantId} and f.status = 'published'
      and not exists (select 1 from fiche_open_day d where d.fiche_id = f.id)
      and not exists (select 1 from deflection d where d.fiche_id = f.id)
    order by f.published_at limit 100`.execute(trx)
  const stale = await sql<{ id: string; title: string; organisation_name: string; review_by: string }>`
    select f.id, f.published_title as title, o.name as organisation_name, f.review_by::text as review_by from fiche f join organisation o on o.id = f.organisation_id
    where f.tenant_id = ${tenantId} and f.status = 'published' and f.review_by < ${today}::date order by f.review_by limit 100`.execute(trx)
  return { deflectionsByTheme: byTheme.rows, deflectionsByFiche: byFiche.rows, missesByTheme: misses.rows, neverOpened: neverOpened.rows, stale: stale.rows }
}

// ---------------------------------------------------------------- review reminders

/** Cross-tenant, for the worker: published fiches past their review-by date whose organisation was not reminded yet. */
export async function fichesReviewDue(db: CrossTenantDb, today: string, limit: number): Promise<{ tenant_id: string; id: string }[]> {
  const { rows } = await sql<{ tenant_id: string; id: string }>`select tenant_id, id from fiche_reviews_due(${today}::date, ${limit})`.execute(db)
  return rows
}

export interface ReviewReminded { id: string; title: string; review_by: string; organisation_id: string; organisation_name: string; organisation_kind: string }

/**
 * Marks the fiche reminded for this review period, if it still is due and nobody marked it (compare-and-set: of two
 * workers, one gets the row). undefined: nothing to remind.
 */
export async function markReviewReminded(trx: TenantTx, tenantId: string, id: string, today: string, now: Date): Promise<ReviewReminded | undefined> {
  const { rows } = await sql<ReviewReminded>`
    update fiche f set review_reminded_at = ${now}
    from organisation o
    where f.tenant_id = ${tenantId} and f.id = ${id} and o.id = f.organisation_id
      and f.status = 'published' and f.review_reminded_at is null and f.review_by < ${today}::date
    returning f.id, coalesce(f.published_title, f.title) as title, f.review_by::text as review_by, f.organisation_id,
      o.name as organisation_name, o.kind as organisation_kind`.execute(trx)
  return rows[0]
}

// ---------------------------------------------------------------- bundles

export interface ExportRow { id: string; title: string; body: string; status: FicheStatusColumn; territory_kind: TerritoryKind; territory_codes: string[]; review_by: string; organisation_name: string; theme_codes: string[] }

/** The working copies of the tenant's fiches (one organisation's when given), archived ones left out, oldest first. */
export async function fichesForExport(trx: TenantTx, tenantId: string, organisationId: string | null): Promise<ExportRow[]> {
  const { rows } = await sql<ExportRow>`
    select f.id, f.title, f.body, f.status, f.territory_kind, f.territory_codes, f.review_by::text as review_by, o.name as organisation_name,
      coalesce((select array_agg(t.code order by t.code) from fiche_theme ft join theme t on t.id = ft.theme_id where ft.fiche_id = f.id), '{}') as theme_codes
    from fiche f join organisation o on o.id = f.organisation_id
    where f.tenant_id = ${tenantId} and f.status <> 'archived' ${organisationId ? sql`and f.organisation_id = ${organisationId}` : sql``}
    order by f.created_at, f.id`.execute(trx)
  return rows
}
