// Lists sort as French does (issue 12): an ICU French collation, not the bytes (where « É » comes after « z »).
import t from 'tap'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { Visitor } from '../helpers/visitor.ts'

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })

t.test('the filing form’s themes and communes in French order', async (t) => {
  const sec = new Visitor(app)
  await sec.login('secretaire@ardentes.demo')
  const page = (await sec.get('/saisines/nouvelle')).body
  const at = (s: string) => { const i = page.indexOf(s); if (i < 0) throw new Error(`${s} missing`); return i }
  t.ok(at('>État civil<') < at('>Logement social<'), 'État civil among the E, not after Z')
  t.ok(at('>Bélâbre (') < at('>Buzançais ('), 'Bélâbre before Buzançais')
  t.ok(at('>Écueillé (') < at('>Fontgombault ('), 'Écueillé among the E')
})

t.test('the directory’s paged lists in French order, page after page (API and pages)', async (t) => {
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'tic@indre.demo', password: 'relais-demo' }, remoteAddress: '10.97.0.1' })
  const headers = { authorization: `Bearer ${login.json().accessToken}` }
  for (const name of ['Zèbre Ordre-test', 'Écueillé Ordre-test', 'Buzançais Ordre-test', 'Eguzon Ordre-test', 'Bélâbre Ordre-test']) {
    const res = await app.inject({ method: 'POST', url: '/api/v1/organisations', headers, payload: { kind: 'partner', name } })
    t.equal(res.statusCode, 201, res.body)
  }
  const names: string[] = []
  let cursor: string | null = null
  do {
    const res: Awaited<ReturnType<typeof app.inject>> = await app.inject({ url: `/api/v1/organisations?q=Ordre-test&limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers })
    t.equal(res.statusCode, 200)
    names.push(...res.json().items.map((o: { name: string }) => o.name.replace(' Ordre-test', '')))
    cursor = res.json().nextCursor
  } while (cursor && names.length < 10)
  t.same(names, ['Bélâbre', 'Buzançais', 'Écueillé', 'Eguzon', 'Zèbre'], 'Bélâbre before Buzançais, Écueillé among the E, two at a time')
  const tic = new Visitor(app)
  await tic.login('tic@indre.demo')
  const page = (await tic.get('/annuaire/organisations?q=Ordre-test')).body
  t.ok(page.indexOf('Écueillé Ordre-test') < page.indexOf('Zèbre Ordre-test') && page.indexOf('Bélâbre Ordre-test') < page.indexOf('Buzançais Ordre-test'), 'the page too')
  const themes = (await tic.get('/annuaire/themes')).body
  t.ok(themes.indexOf('>État civil<') < themes.indexOf('>Logement social<'), 'themes: État civil among the E')
})
