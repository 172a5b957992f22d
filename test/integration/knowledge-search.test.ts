import t from 'tap'
import pg from 'pg'
import { createKysely, createPool, withTenant } from '@relais/db'
import { searchFiches, type Principal } from '@relais/knowledge'
import { INDRE_FICHES } from '@relais/db/seed-fiches'
import { createTestEnv } from '../helpers/db.ts'

// Relevance: questions worded as a secretary types them must find the intended demo fiche in the first three.

const env = await createTestEnv()
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
const db = createKysely(createPool(env.config.APP_DATABASE_URL, 2))
t.teardown(async () => { await db.destroy(); await owner.end(); await env.drop() })

const person = async (email: string): Promise<Principal> => {
  const r = (await owner.query('select id, tenant_id, organisation_id, role from person where email = $1', [email])).rows[0]
  return { personId: r.id, tenantId: r.tenant_id, organisationId: r.organisation_id, role: r.role }
}
const ardentes = await person('secretaire@ardentes.demo')
const issoudun = await person('secretaire@issoudun.demo')
const bourges = await person('secretaire@bourges.demo')
const now = new Date()

const titleOf = new Map(INDRE_FICHES.map((f) => [f.key, f.title]))
const search = (p: Principal, q: string, extra: Record<string, string> = {}) => withTenant(db, p, (trx) => searchFiches(trx, p, { q, ...extra }, now))

const QUESTIONS: [question: string, fiche: string][] = [
  ['apl etudiant logement', 'apl-etudiant'],
  ['APL étudiant', 'apl-etudiant'],
  ['carte grise demenagement', 'carte-grise-adresse'],
  ['carte grise déménagement', 'carte-grise-adresse'],
  ['changement adresse carte grise', 'carte-grise-adresse'],
  ['carte grise demenagment', 'carte-grise-adresse'],
  ['achat voiture occasion carte grise', 'carte-grise-occasion'],
  ['permis perdu', 'permis-perdu'],
  ['vol permis de conduire', 'permis-perdu'],
  ['renouvellement carte identite', 'cni'],
  ['passeport delai', 'passeport'],
  ['copie acte de naissance', 'acte-naissance'],
  ['pacs mairie', 'pacs'],
  ['recensement 16 ans', 'recensement'],
  ['abri de jardin declaration', 'declaration-prealable'],
  ['permis de construir maison', 'permis-construire'],
  ['terrain constructible', 'certificat-urbanisme'],
  ['fosse septique controle vente', 'spanc'],
  ['puits forage declaration', 'forage'],
  ['demande hlm', 'demande-logement-social'],
  ['renouveler demande logement social', 'demande-logement-social'],
  ['chauffage en panne opac', 'panne-logement'],
  ['carte vitale perdue', 'carte-vitale'],
  ['mutuelle gratuite', 'c2s'],
  ['changer de medecin traitant', 'medecin-traitant'],
  ['arret maladie indemnites', 'arret-travail'],
  ['rsa demande', 'rsa'],
  ['prime activité', 'prime-activite'],
  ['allocation rentree scolaire', 'ars'],
  ['trop percu caf rembourser', 'trop-percu'],
  ['assistante maternelle aide', 'garde-enfant'],
  ['naissance caf declarer', 'naissance-caf'],
  ['inscription car scolaire', 'transport-scolaire'],
  ['handicap allocation', 'aah'],
]

t.test(`${QUESTIONS.length} questions as a secretary types them find their fiche in the first three`, async (t) => {
  let top1 = 0
  const misses: string[] = []
  for (const [q, key] of QUESTIONS) {
    const { items } = await search(ardentes, q)
    const titles = items.slice(0, 3).map((i) => i.title)
    const want = titleOf.get(key)!
    t.ok(titles.includes(want), `« ${q} » → ${want}`, { found: titles })
    if (!titles.includes(want)) misses.push(`${q} → ${titles.join(' | ')}`)
    if (titles[0] === want) top1++
  }
  t.comment(`relevance: ${QUESTIONS.length - misses.length}/${QUESTIONS.length} in the first three, ${top1}/${QUESTIONS.length} first`)
  t.ok(QUESTIONS.length >= 20)
})

t.test('extracts are escaped HTML with highlighted words', async (t) => {
  const { items } = await search(ardentes, 'carte grise déménagement')
  t.match(items[0].extract, /<mark>[^<]+<\/mark>/, 'a highlight')
  t.notMatch(items[0].extract.replace(/<\/?mark>/g, ''), /[<>]/, 'nothing else of HTML')
  t.ok(items[0].score > 0)
})

t.test('a typo is read as the closest word of the fiches', async (t) => {
  const r = await search(ardentes, 'cartte grise demenagment')
  t.equal(r.items[0]?.title, titleOf.get('carte-grise-adresse'))
  t.ok(r.corrections.some((c) => c.typed === 'demenagment'))
})

t.test('only the searcher’s territory: a commune’s fiche for that commune, an EPCI’s for its communes', async (t) => {
  const plu = titleOf.get('plu-issoudun')!
  const water = titleOf.get('eau-chateauroux')!
  t.ok((await search(issoudun, 'plan local urbanisme')).items.some((i) => i.title === plu), 'Issoudun sees the PLU of Issoudun')
  t.notOk((await search(ardentes, 'plan local urbanisme')).items.some((i) => i.title === plu), 'Ardentes does not')
  t.ok((await search(ardentes, 'abonnement eau')).items.some((i) => i.title === water), 'Ardentes is in Châteauroux Métropole')
  t.notOk((await search(issoudun, 'abonnement eau')).items.some((i) => i.title === water), 'Issoudun is not')
  t.ok((await search(ardentes, 'plan local urbanisme', { communeInsee: '36088' })).items.some((i) => i.title === plu), 'a question about another commune')
})

t.test('filters by theme and organisation; drafts never found; nothing from another département', async (t) => {
  const byTheme = await search(ardentes, 'carte', { themeCode: 'assurance-maladie' })
  t.ok(byTheme.items.length > 0)
  t.ok(byTheme.items.every((i) => i.organisation.name.includes('CPAM')), 'carte vitale, not carte grise')
  const caf = byTheme.items[0].organisation.id
  const byOrg = await search(ardentes, 'demande', { organisationId: caf })
  t.ok(byOrg.items.every((i) => i.organisation.id === caf))
  t.same((await search(ardentes, 'vacances VACAF')).items.filter((i) => /brouillon/.test(i.title)), [], 'the draft is not searchable')
  const cher = await search(bourges, 'apl etudiant')
  t.ok(cher.items.length > 0)
  t.ok(cher.items.every((i) => /Bourges|Cher/.test(i.title) || i.organisation.name.includes('Cher')), 'the Cher sees its own fiches')
  t.notOk((await search(ardentes, 'apl etudiant')).items.some((i) => /Bourges/.test(i.title)))
})

t.test('odd input finds nothing without failing', async (t) => {
  for (const q of ['', '   ', '!!!', "' or 1=1 --", 'a & b | !c', ':* <-> (', 'x'.repeat(5000), 'le la les de']) {
    const r = await search(ardentes, q)
    t.ok(Array.isArray(r.items), JSON.stringify(q.slice(0, 20)))
  }
})

t.test('fiche_candidates (the indexed way to candidates) sees only the current tenant, none without one', async (t) => {
  const app = new pg.Client({ connectionString: env.config.APP_DATABASE_URL })
  await app.connect()
  t.teardown(() => app.end())
  const candidates = `select c.id from fiche_candidates(null, null, null, null, 200, to_tsquery('relais_french', 'carte'), to_tsquery('relais_french', 'carte | apl | demande'), null) c`
  const ofTenant = async (tenantId: string) => (await owner.query('select id from fiche where tenant_id = $1', [tenantId])).rows.map((r) => r.id as string)
  await app.query('begin')
  const none = await app.query(candidates)
  t.equal(none.rowCount, 0, 'no tenant set: nothing')
  await app.query(`select set_config('app.tenant_id', $1, true)`, [bourges.tenantId])
  const cher = (await app.query(candidates)).rows.map((r) => r.id as string)
  await app.query('rollback')
  t.ok(cher.length > 0)
  const own = new Set(await ofTenant(bourges.tenantId))
  t.ok(cher.every((id) => own.has(id)), 'only the Cher’s fiches')
  const indre = new Set(await ofTenant(ardentes.tenantId))
  t.notOk(cher.some((id) => indre.has(id)), 'none of the Indre’s')
})
