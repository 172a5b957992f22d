import t from 'tap'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })

let ip = 0
async function tokenOf(email: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'relais-demo' }, remoteAddress: `10.2.0.${++ip}` })
  if (res.statusCode !== 200) throw new Error(`login ${email}: ${res.statusCode}`)
  return res.json().accessToken
}
const tic = await tokenOf('tic@indre.demo')
const ticCher = await tokenOf('tic@cher.demo')
const secretary = await tokenOf('secretaire@ardentes.demo')

const exportCsv = (what: 'routing-rules' | 'coverage', token = tic) =>
  app.inject({ method: 'GET', url: `/api/v1/${what}.csv`, headers: { authorization: `Bearer ${token}` } })
const importCsv = (what: 'routing-rules' | 'coverage', body: string | Buffer, token = tic, contentType = 'text/csv; charset=utf-8') =>
  app.inject({ method: 'POST', url: `/api/v1/${what}/import`, headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, payload: body })
const list = async (what: string, query = '') =>
  (await app.inject({ url: `/api/v1/${what}?limit=500${query}`, headers: { authorization: `Bearer ${tic}` } })).json().items as Record<string, unknown>[]
/** What a person would compare: the table's content, not the row ids. */
const content = (rows: Record<string, unknown>[]) =>
  rows.map((r) => [r.themeCode, r.territoryKind, r.territoryCode, r.organisationName, r.personEmail ?? ''].join('|')).sort()

const HEADER = 'theme_code;territory_kind;territory_code;organisation;referent_email'

t.test('export: a spreadsheet-ready CSV, one line per territory × theme', async (t) => {
  const res = await exportCsv('routing-rules')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/csv; charset=utf-8/)
  t.match(res.headers['content-disposition'], /attachment; filename="regles-de-routage-36\.csv"/)
  t.ok(res.body.startsWith('\uFEFF'), 'a BOM so that spreadsheet software reads UTF-8')
  const lines = res.body.replace(/^\uFEFF/, '').trimEnd().split('\r\n')
  t.equal(lines[0], HEADER)
  const rules = await list('routing-rules')
  t.equal(lines.length - 1, rules.length, 'every active rule, nothing else')
  t.ok(lines.includes('aides-caf;departement;36;CAF de l’Indre;'), 'organisations by their name, French characters intact')
  t.ok(lines.includes('urbanisme;commune;36088;DDT de l’Indre;referent@ddt36.demo'))

  const coverage = await exportCsv('coverage')
  t.equal(coverage.statusCode, 200)
  t.ok(coverage.body.includes('aides-caf;departement;36;CAF de l’Indre;referent@caf36.demo'))
})

t.test('export then import round-trips to the same table', async (t) => {
  for (const what of ['routing-rules', 'coverage'] as const) {
    const before = await list(what)
    const csv = (await exportCsv(what)).body
    const res = await importCsv(what, csv)
    t.equal(res.statusCode, 200, what)
    t.same(res.json(), { created: 0, unchanged: before.length, deactivated: 0 }, `${what}: nothing to change`)
    const after = await list(what)
    t.same(after.map((r) => r.id).sort(), before.map((r) => r.id).sort(), `${what}: the same rows, ids kept`)
    t.equal((await exportCsv(what)).body, csv, `${what}: the same file again`)
  }
})

t.test('import replaces the active table in one go; history is kept', async (t) => {
  const before = await list('routing-rules')
  const file = [
    HEADER,
    'etat-civil;departement;36;Préfecture de l’Indre;',
    'urbanisme;departement;36;DDT de l’Indre;referent@ddt36.demo',
    'urbanisme;commune;36005;ddt de l’indre;', // names match regardless of case
    'logement-social;epci;243600327;OPAC de l’Indre',
    '',
    ' autre ; departement ; 36 ; Mission TIC du Conseil départemental de l’Indre ; ', // spaces around values are ignored
  ].join('\n')
  const res = await importCsv('routing-rules', file)
  t.equal(res.statusCode, 200, res.body)
  const after = await list('routing-rules')
  t.same(content(after), [
    'autre|departement|36|Mission TIC du Conseil départemental de l’Indre|',
    'etat-civil|departement|36|Préfecture de l’Indre|',
    'logement-social|epci|243600327|OPAC de l’Indre|',
    'urbanisme|commune|36005|DDT de l’Indre|',
    'urbanisme|departement|36|DDT de l’Indre|referent@ddt36.demo',
  ])
  t.equal(res.json().unchanged, 1, 'etat-civil → Préfecture was already there')
  t.equal(res.json().created, 4)
  t.equal(res.json().deactivated, before.length - 1)
  const history = await list('routing-rules', '&active=false')
  t.ok(history.length >= before.length - 1, 'replaced rules are retired, not deleted')
})

t.test('a bad line is reported by its number and nothing of the file is applied', async (t) => {
  const before = (await exportCsv('routing-rules')).body
  const file = [
    HEADER,
    'aides-caf;departement;36;CAF de l’Indre;', // 2: fine
    'carte-grise-permis;departement;36;Préfecture de l’Indre;', // 3: fine
    'inconnu;departement;36;CAF de l’Indre;', // 4: unknown theme
    'urbanisme;commune;18033;DDT de l’Indre;', // 5: a commune of the Cher
    'urbanisme;canton;36005;DDT de l’Indre;', // 6: unknown territory kind
    'urbanisme;commune;36088;Organisme imaginaire;', // 7: unknown organisation
    'urbanisme;commune;36044;DDT de l’Indre;referent@caf36.demo', // 8: referent of another organisation
    'urbanisme;commune;36044;Mairie d’Ardentes;', // 9: a mairie
    'aides-caf;departement;36;CAF de l’Indre;', // 10: duplicate of line 2
    'aides-caf;departement', // 11: too few columns
    ';departement;36;CAF de l’Indre;', // 12: empty theme
  ].join('\r\n')
  const res = await importCsv('routing-rules', file)
  t.equal(res.statusCode, 400)
  const { error } = res.json()
  t.equal(error.code, 'csv_invalid')
  t.match(error.message, /rien n’a été importé/)
  t.match(error.details, [
    { line: 4, column: 'theme_code', message: /Thème inconnu/ },
    { line: 5, column: 'territory_code', message: /département 36/ },
    { line: 6, column: 'territory_kind', message: /commune, epci ou departement/ },
    { line: 7, column: 'organisation', message: /introuvable/ },
    { line: 8, column: 'referent_email', message: /n’appartient pas/ },
    { line: 9, column: 'organisation', message: /mairie/ },
    { line: 10, message: /ligne 2/ },
    { line: 11, message: /colonne/ },
    { line: 12, column: 'theme_code', message: /obligatoire/ },
  ])
  t.equal(error.details.length, 9)
  t.equal((await exportCsv('routing-rules')).body, before, 'the table is unchanged')
})

t.test('unreadable files: header, separator, quotes, encoding, type', async (t) => {
  const before = (await exportCsv('coverage')).body
  const cases: [string | Buffer, number, RegExp][] = [
    ['', 1, /vide/],
    ['aides-caf;departement;36;CAF de l’Indre;', 1, /En-tête invalide/],
    ['theme_code,territory_kind,territory_code,organisation,referent_email\naides-caf,departement,36,CAF,', 1, /point-virgule/],
    [`${HEADER}\naides-caf;departement;36;CAF de l’Indre;\n"urbanisme;commune;36005;DDT;\n`, 3, /guillemet/i],
    [Buffer.concat([Buffer.from(`${HEADER}\naides-caf;departement;36;CAF de l`), Buffer.from([0x92]), Buffer.from('Indre;\n')]), 2, /UTF-8/],
  ]
  for (const [body, line, message] of cases) {
    const res = await importCsv('coverage', body)
    t.equal(res.statusCode, 400, String(body).slice(0, 40))
    t.equal(res.json().error.code, 'csv_invalid')
    t.match(res.json().error.details, [{ line, message }], String(body).slice(0, 40))
  }
  const json = await importCsv('coverage', JSON.stringify({ rows: [] }), tic, 'application/json')
  t.equal(json.statusCode, 400, 'a JSON body is not a CSV file')
  t.equal((await importCsv('coverage', 'a;b', tic, 'application/vnd.ms-excel')).statusCode, 415)
  t.equal((await exportCsv('coverage')).body, before)
})

t.test('a file with a BOM, LF line ends and an organisation given by id imports', async (t) => {
  const ddt = (await list('organisations', '&q=DDT')).find((o) => o.name === 'DDT de l’Indre')!
  const file = `\uFEFF${HEADER}\nurbanisme;departement;36;${ddt.id};referent@ddt36.demo\nurbanisme;epci;243600236;${ddt.id};\n`
  const res = await importCsv('coverage', file)
  t.equal(res.statusCode, 200, res.body)
  t.same(content(await list('coverage')), ['urbanisme|departement|36|DDT de l’Indre|referent@ddt36.demo', 'urbanisme|epci|243600236|DDT de l’Indre|'])
  t.equal(res.json().created + res.json().unchanged, 2)
})

t.test('only the mission TIC exports and imports; tenants stay apart', async (t) => {
  t.equal((await exportCsv('routing-rules', secretary)).statusCode, 403)
  t.equal((await importCsv('routing-rules', `${HEADER}\n`, secretary)).statusCode, 403)
  t.equal((await exportCsv('coverage', secretary)).statusCode, 403)

  const cher = await exportCsv('routing-rules', ticCher)
  t.equal(cher.statusCode, 200)
  t.notMatch(cher.body, /Indre|;36;/, 'the Cher file holds nothing of the Indre')
  const res = await importCsv('routing-rules', `${HEADER}\naides-caf;departement;18;CAF de l’Indre;\nurbanisme;commune;36005;Préfecture du Cher;\n`, ticCher)
  t.equal(res.statusCode, 400)
  t.match(res.json().error.details, [{ line: 2, column: 'organisation' }, { line: 3, column: 'territory_code' }])
  const roundTrip = await importCsv('routing-rules', cher.body, ticCher)
  t.equal(roundTrip.statusCode, 200, roundTrip.body)
  t.equal(roundTrip.json().created, 0)
})
