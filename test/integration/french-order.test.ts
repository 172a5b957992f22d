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
