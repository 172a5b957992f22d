// Issue 13, the register and the verification: the mission TIC sees every organisation against the version in force
// for its kind (countersigned, signed, to sign), as a page, JSON and CSV, with each receipt; a receipt uploaded or its
// hash pasted names the signature it belongs to, and a tampered one matches none.
import t from 'tap'
import { startApp } from '../helpers/network.ts'
import { bearer } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'

const { app, db } = await startApp()
const api = async (who: string, method: 'GET' | 'POST', url: string, payload?: object | Buffer, headers: Record<string, string> = {}) =>
  app.inject({ method, url: `/api/v1${url}`, headers: { ...await bearer(app, who), ...headers }, ...(payload ? { payload } : {}) })
const convention = (await db.query<{ id: string }>(`select v.id from convention_version v join tenant t on t.id = v.tenant_id where t.code = '18' and v.kind = 'partner'`)).rows[0].id

const signed = await api('admin@msa18.demo', 'POST', `/conventions/${convention}/signatures`, { signerName: 'Sandrine Lefèvre', capacity: 'Directrice de la MSA Berry-Touraine', consent: true, password: 'relais-demo' })
if (signed.statusCode !== 201) throw new Error(signed.body)
const signature = signed.json() as { id: string; sha256: string }
const receipt = (await api('tic@cher.demo', 'GET', `/signatures/${signature.id}/receipt.pdf`)).rawPayload

t.test('the register: every organisation against the version in force, JSON and CSV', async (t) => {
  const res = await api('tic@cher.demo', 'GET', '/conventions/register')
  t.equal(res.statusCode, 200, res.body)
  const items = res.json().items as { organisation: { name: string; kind: string }; state: string; signature: { signerName: string } | null }[]
  t.match(items.find((r) => r.organisation.name === 'MSA Berry-Touraine'), { state: 'signed', signature: { signerName: 'Sandrine Lefèvre', capacity: 'Directrice de la MSA Berry-Touraine', receiptSha256: signature.sha256 } })
  t.match(items.find((r) => r.organisation.name === 'CAF du Cher'), { state: 'pending', signature: null })
  t.ok(items.filter((r) => r.organisation.kind === 'mairie').every((r) => r.state === 'no_convention'), 'no mairie convention published in the Cher')
  t.notOk(items.some((r) => /Mission TIC/.test(r.organisation.name)), 'the mission TIC signs nothing')
  const csv = await api('tic@cher.demo', 'GET', '/conventions/register.csv')
  t.equal(csv.statusCode, 200)
  t.match(csv.headers['content-type'], /text\/csv/)
  t.match(csv.body, /^\uFEFF?organisme;type;/)
  t.match(csv.body, /MSA Berry-Touraine;Organismes partenaires;onboarding;Convention de partenariat Relais;1;;signée, à contresigner;Sandrine Lefèvre;Directrice de la MSA Berry-Touraine/)
  t.ok(csv.body.includes(signature.sha256))
  t.equal((await api('admin@caf36.demo', 'GET', '/conventions/register')).statusCode, 403, 'an org admin does not read the register')
  t.equal((await api('admin@msa18.demo', 'GET', '/conventions/register')).statusCode, 403)
  const indre = (await api('tic@indre.demo', 'GET', '/conventions/register')).json().items as { organisation: { name: string } }[]
  t.notOk(indre.some((r) => r.organisation.name === 'MSA Berry-Touraine'), 'another tenant’s register does not list it')
})

t.test('verification: the receipt or its hash names its signature; a tampered one matches none', async (t) => {
  const byPdf = await api('tic@cher.demo', 'POST', '/signatures/verify', receipt, { 'content-type': 'application/pdf' })
  t.equal(byPdf.statusCode, 200, byPdf.body)
  t.match(byPdf.json(), { match: true, sha256: signature.sha256, signature: { id: signature.id, organisation: 'MSA Berry-Touraine', signerName: 'Sandrine Lefèvre', version: 1 } })
  const byHash = await api('tic@cher.demo', 'POST', '/signatures/verify', { sha256: signature.sha256.toUpperCase() })
  t.match(byHash.json(), { match: true, signature: { id: signature.id } })
  const tamperedHash = signature.sha256.slice(0, -1) + (signature.sha256.endsWith('0') ? '1' : '0')
  t.match((await api('tic@cher.demo', 'POST', '/signatures/verify', { sha256: tamperedHash })).json(), { match: false, sha256: tamperedHash })
  const tamperedPdf = Buffer.from(receipt)
  tamperedPdf[tamperedPdf.length - 20] ^= 1
  t.match((await api('tic@cher.demo', 'POST', '/signatures/verify', tamperedPdf, { 'content-type': 'application/pdf' })).json(), { match: false })
  const bad = await api('tic@cher.demo', 'POST', '/signatures/verify', { sha256: 'pas une empreinte' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().error.code, 'invalid_hash')
  t.match(bad.json().error.message, /64 caractères hexadécimaux/)
  t.match((await api('tic@indre.demo', 'POST', '/signatures/verify', { sha256: signature.sha256 })).json(), { match: false }, 'another tenant’s receipt matches nothing here')
  t.equal((await api('admin@msa18.demo', 'POST', '/signatures/verify', { sha256: signature.sha256 })).statusCode, 403)
})

t.test('the pages: the register, its CSV and the verification form', async (t) => {
  const tic = await Visitor.as(app, 'tic@cher.demo')
  const page = await tic.get('/conventions/registre')
  t.equal(page.statusCode, 200)
  t.match(page.body, /Registre des conventions/)
  t.match(page.body, /MSA Berry-Touraine/)
  t.match(page.body, /signée, à contresigner/)
  t.match(page.body, new RegExp(`/conventions/signatures/${signature.id}/recu.pdf`))
  t.match((await tic.get('/conventions/registre.csv')).body, /Sandrine Lefèvre/)
  const ok = await tic.post('/conventions/verification', { empreinte: signature.sha256 })
  t.equal(ok.statusCode, 200)
  t.match(ok.body, /Ce reçu est authentique/)
  const none = await tic.post('/conventions/verification', { empreinte: 'f'.repeat(64) })
  t.match(none.body, /Aucune signature du registre ne correspond/)
  const bad = await tic.post('/conventions/verification', { empreinte: 'xyz' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /Le reçu n’a pas été vérifié/)
  t.match((await tic.get('/conventions')).body, /href="\/conventions\/registre"/, 'linked from the conventions page')
})
