// Knowledge-base search over 50,000 published fiches in one tenant, as a secretary types, beside a lookup by id on
// the same table in the same kind of tenant transaction. Generated fiches read like the demo ones: their words are
// chained from the demo fiches' sentences, so common words ("demande", "carte", "mairie") match thousands of fiches.
import pg from 'pg'
import { randomUUID } from 'node:crypto'
import { createKysely, createPool, sql, withTenant } from '@relais/db'
import { markdownToText } from '@relais/core/knowledge'
import { INDRE_FICHES } from '@relais/db/seed-fiches'
import { searchFiches, type Principal } from '@relais/knowledge'
import type { Config } from '@relais/config'

const FICHES = Number(process.env.BENCH_FICHES ?? 50_000)
const ROUNDS = Number(process.env.BENCH_SEARCH_ROUNDS ?? 3)

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

// A small deterministic generator, so two runs search the same base.
function rng(seed: number) {
  let s = seed >>> 0
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296 }
}

/** Order-1 word chain over sentences: what follows each word, and how sentences start. */
function chain(texts: string[]) {
  const next = new Map<string, string[]>()
  const starts: string[] = []
  for (const text of texts) {
    for (const sentence of text.split(/(?<=[.;:!?])\s+|\n+/)) {
      const words = sentence.split(/\s+/).filter(Boolean)
      if (words.length < 3) continue
      starts.push(words[0])
      for (let i = 0; i < words.length; i++) {
        const k = words[i]
        if (!next.has(k)) next.set(k, [])
        next.get(k)!.push(words[i + 1] ?? '\n')
      }
    }
  }
  return { next, starts }
}
type Chain = ReturnType<typeof chain>

/**
 * Prose on one topic: mostly the topic's own word chain (a fiche about the carte grise talks about the carte
 * grise), now and then a word borrowed from any fiche, so topics share the common words of administrative French.
 */
function prose(rand: () => number, topic: Chain, all: Chain, minWords: number): string {
  const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)]
  const out: string[] = []
  let w = pick(topic.starts)
  while (out.length < minWords || !/[.;!?]$/.test(out[out.length - 1] ?? '')) {
    out.push(w)
    const options = rand() < 0.9 ? topic.next.get(w) ?? all.next.get(w) : all.next.get(w) ?? topic.next.get(w)
    const n = options && pick(options)
    w = !n || n === '\n' ? pick(rand() < 0.9 ? topic.starts : all.starts) : n
    if (out.length > minWords * 3) break
  }
  return out.join(' ')
}

const TITLE_TAILS = ['', '', '', ' : pièces à fournir', ' : délais et recours', ' : questions fréquentes', ' pour les personnes âgées', ' en cas d’urgence',
  ' : le cas des jeunes', ' pour les familles', ' : ce qui change cette année', ' après un déménagement', ' : cas particuliers', ' pour les agriculteurs']
const DAYS = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi']

/** What a secretary types: the relevance questions, some one-word and common-word ones, and the words as she types them. */
export const TYPED = [
  'apl etudiant logement', 'APL étudiant', 'carte grise demenagement', 'carte grise déménagement', 'changement adresse carte grise',
  'carte grise demenagment', 'achat voiture occasion carte grise', 'permis perdu', 'vol permis de conduire', 'renouvellement carte identite',
  'passeport delai', 'copie acte de naissance', 'pacs mairie', 'recensement 16 ans', 'abri de jardin declaration', 'permis de construir maison',
  'terrain constructible', 'fosse septique controle vente', 'puits forage declaration', 'demande hlm', 'renouveler demande logement social',
  'chauffage en panne opac', 'carte vitale perdue', 'mutuelle gratuite', 'changer de medecin traitant', 'arret maladie indemnites', 'rsa demande',
  'prime activité', 'allocation rentree scolaire', 'trop percu caf rembourser', 'assistante maternelle aide', 'naissance caf declarer',
  'inscription car scolaire', 'handicap allocation',
  // Single common words: the worst case for ranking (they match a large share of the base).
  'demande', 'carte', 'mairie', 'logement', 'aide', 'dossier', 'la demande de la carte',
]
/** The live suggestions send the question after each word: "carte", "carte grise", "carte grise demenagement". */
const typing = (q: string) => q.split(' ').map((_, i, all) => all.slice(0, i + 1).join(' '))

export async function benchKnowledge(config: Config, opts: { generate?: boolean } = {}) {
  const owner = new pg.Client({ connectionString: config.DATABASE_URL })
  await owner.connect()
  const pool = createPool(config.APP_DATABASE_URL, 2)
  const db = createKysely(pool)
  try {
    const tenant = (await owner.query(`select id from tenant where code = '36'`)).rows[0].id as string
    const orgs = (await owner.query(`select id from organisation where tenant_id = $1 and kind in ('partner', 'mission_tic') order by name`, [tenant])).rows.map((r) => r.id as string)
    const themes = (await owner.query(`select id, code from theme where tenant_id = $1 and active order by code`, [tenant])).rows as { id: string; code: string }[]
    const communes = (await owner.query(`select insee, epci_code from commune where departement = '36' and epci_code is not null order by insee`)).rows as { insee: string; epci_code: string }[]
    const secretary = (await owner.query(`select id, tenant_id, organisation_id, role from person where email = 'secretaire@ardentes.demo'`)).rows[0]
    const p: Principal = { personId: secretary.id, tenantId: secretary.tenant_id, organisationId: secretary.organisation_id, role: secretary.role }

    // Each generated fiche takes one demo fiche as its topic: its themes, its title (with a variant) and its words,
    // plus the place and hours of a local office, as a partner's « fiche personnalisée » would.
    const topics = INDRE_FICHES.filter((f) => !f.draft).map((f) => ({ fiche: f, words: chain([markdownToText(f.body)]), themeIds: f.themes.map((c) => themes.find((t) => t.code === c)).filter(Boolean) as { id: string; code: string }[] }))
    const all = chain(INDRE_FICHES.map((f) => markdownToText(f.body)))
    const names = (await owner.query(`select name from commune where departement = '36' order by insee`)).rows.map((r) => r.name as string)
    const rand = rng(36)
    const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)]
    const genStart = performance.now()
    const BATCH = 2000
    for (let done = 0; opts.generate !== false && done < FICHES; done += BATCH) {
      const n = Math.min(BATCH, FICHES - done)
      const cols = { id: [] as string[], org: [] as string[], title: [] as string[], body: [] as string[], kind: [] as string[], codes: [] as string[], theme: [] as string[], themeCode: [] as string[] }
      for (let i = 0; i < n; i++) {
        const topic = pick(topics)
        const place = pick(names)
        const title = `${topic.fiche.title}${pick(TITLE_TAILS)}${rand() < 0.3 ? ` (${place})` : ''}`.slice(0, 200)
        const paragraphs = Array.from({ length: 2 + Math.floor(rand() * 3) }, () => prose(rand, topic.words, all, 20 + Math.floor(rand() * 40)))
        paragraphs.splice(1, 0, `À ${place}, une permanence se tient à la mairie le ${pick(DAYS)} de ${8 + Math.floor(rand() * 4)} h à ${12 + Math.floor(rand() * 6)} h, sur rendez-vous.`)
        // Most fiches serve the whole département; some one EPCI or a few communes.
        const r = rand()
        const c = pick(communes)
        const [kind, codes] = r < 0.8 ? ['departement', '{}'] : r < 0.9 ? ['epci', `{${c.epci_code}}`] : ['commune', `{${c.insee}}`]
        const th = topic.themeIds[0] ?? pick(themes)
        cols.id.push(randomUUID()); cols.org.push(pick(orgs)); cols.title.push(title)
        cols.body.push(paragraphs.join('\n\n')); cols.kind.push(kind); cols.codes.push(codes); cols.theme.push(th.id); cols.themeCode.push(th.code)
      }
      await owner.query(`
        with g as (
          select * from unnest($9::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::text[])
            as g(id, org, title, body, kind, codes, theme, theme_code)),
        f as (
          insert into fiche (id, tenant_id, organisation_id, status, title, body, territory_kind, territory_codes, review_by, version, published_title, published_text, published_at, theme_ids)
          select id, $1, org, 'published', title, body, kind, codes::text[], current_date + 365, 1, title, body, now() - interval '30 days', array[theme] from g
          returning id),
        ft as (insert into fiche_theme (tenant_id, fiche_id, theme_id) select $1, f.id, g.theme from f join g using (id))
        insert into fiche_version (tenant_id, fiche_id, version, title, body, theme_codes, territory_kind, territory_codes, published_at)
        select $1, g.id, 1, g.title, g.body, array[g.theme_code], g.kind, g.codes::text[], now() - interval '30 days'
        from f join g using (id)`,
      [tenant, cols.org, cols.title, cols.body, cols.kind, cols.codes, cols.theme, cols.themeCode, cols.id])
    }
    await owner.query('analyze fiche; analyze fiche_theme; analyze fiche_word')
    const count = Number((await owner.query(`select count(*) from fiche where tenant_id = $1 and status = 'published'`, [tenant])).rows[0].count)
    const ids = (await owner.query(`select id from fiche where tenant_id = $1 order by random() limit 500`, [tenant])).rows.map((r) => r.id as string)
    const share = async (word: string) => Number((await owner.query(`select count(*) from fiche where tenant_id = $1 and status = 'published' and search @@ to_tsquery('relais_french', $2)`, [tenant, word])).rows[0].count)
    console.log(`knowledge: ${count} published fiches in one tenant generated in ${((performance.now() - genStart) / 1000).toFixed(1)} s; « demande » matches ${await share('demande')}, « carte » ${await share('carte')}`)

    const typed = [...new Set(TYPED.flatMap(typing))]
    const timeIt = async (fn: () => Promise<unknown>) => { const s = performance.now(); await fn(); return performance.now() - s }
    const lookup = (id: string) => withTenant(db, p, (trx) => sql`select id, title from fiche where tenant_id = ${p.tenantId} and id = ${id}`.execute(trx))
    const search = (q: string, themeCode?: string) => withTenant(db, p, (trx) => searchFiches(trx, p, { q, themeCode, limit: 5 }, new Date()))
    for (const q of typed.slice(0, 10)) await search(q) // warm the caches
    for (const id of ids.slice(0, 50)) await lookup(id)

    const base: number[] = []
    const plain: number[] = []
    const themed: number[] = []
    const slowest: [number, string][] = []
    for (let round = 0; round < ROUNDS; round++) {
      for (const id of ids) base.push(await timeIt(() => lookup(id)))
      for (const q of typed) {
        const ms = await timeIt(() => search(q))
        plain.push(ms); slowest.push([ms, `« ${q} »`])
      }
      // The filing form also sends the chosen theme, often not the one the words are about.
      for (const q of TYPED) {
        const theme = themes[Math.floor(rand() * themes.length)].code
        const ms = await timeIt(() => search(q, theme))
        themed.push(ms); slowest.push([ms, `« ${q} » in ${theme}`])
      }
    }
    const searches = [...plain, ...themed]
    for (const a of [base, plain, themed, searches]) a.sort((x, y) => x - y)
    slowest.sort((a, b) => b[0] - a[0])
    const f = (x: number) => x.toFixed(1)
    const line = (a: number[]) => `p50 ${f(percentile(a, 50))} ms, p95 ${f(percentile(a, 95))} ms, max ${f(a[a.length - 1])} ms`
    console.log(`knowledge search over ${count} fiches, ${searches.length} searches: ${line(searches)} (aim p95 <= 50 ms)`)
    console.log(`  ${plain.length} as typed (${typed.length} questions and their first words): ${line(plain)}`)
    console.log(`  ${themed.length} with a theme chosen at random: ${line(themed)}`)
    console.log(`baseline: a lookup by id on fiche in a tenant transaction: ${line(base)}`)
    console.log(`ratio search/baseline: p50 ${(percentile(searches, 50) / percentile(base, 50)).toFixed(1)}, p95 ${(percentile(searches, 95) / percentile(base, 95)).toFixed(1)}`)
    console.log(`slowest: ${slowest.slice(0, 5).map(([ms, what]) => `${what} ${f(ms)} ms`).join(', ')}`)
  } finally {
    await db.destroy()
    await owner.end()
  }
}
