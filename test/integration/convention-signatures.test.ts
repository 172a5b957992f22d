// Issue 13, signing a convention: the org admin signs the version in force for her organisation's kind (name,
// capacity, consent, password); the signature is evidence kept append-only with the text's hash, the time, the address
// and the browser; its PDF receipt (text, then signature page) is kept with its own SHA-256 and mailed to her and to
// the mission TIC through the outbox; the mission TIC countersigns.
import t from 'tap'
import { createHash } from 'node:crypto'
import pg from 'pg'
import { startAppWithMail } from '../helpers/network.ts'
import { bearer } from '../helpers/journey.ts'
import { pdfText } from '../helpers/pdf.ts'
import { Visitor } from '../helpers/visitor.ts'

const { app, db, env, sink } = await startAppWithMail()
const api = async (who: string, method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) =>
  app.inject({ method, url: `/api/v1${url}`, headers: { ...await bearer(app, who), ...headers }, ...(payload ? { payload } : {}), remoteAddress: '192.0.2.10' })
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')
const orgId = async (name: string) => (await db.query<{ id: string }>('select id from organisation where name = $1', [name])).rows[0].id

const BODY = '# Convention de partenariat Relais\n\nLa CAF s’engage à répondre aux saisines sous 72 heures.\n\n## Données personnelles\n\nLes données des usagers ne servent qu’à la saisine.'
const publish = async (who: string, kind: string, title: string, body: string, effectiveAt = '2026-01-01T00:00:00+01:00') => {
  const res = await api(who, 'POST', '/conventions', { kind, title, body, effectiveAt })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json() as { id: string; sha256: string; version: number }
}
const partner = await publish('tic@indre.demo', 'partner', 'Convention partenaire 2026', BODY)
const mairie = await publish('tic@indre.demo', 'mairie', 'Convention mairie', 'Texte des mairies.')
const good = { signerName: 'Isabelle Caron', capacity: 'Directrice de la CAF de l’Indre', consent: true, password: 'relais-demo' }
const cafIndre = await orgId('CAF de l’Indre')
// A second org admin (OPAC de l’Indre), with the demo password.
await db.query(`insert into person (tenant_id, organisation_id, email, name, role, password_hash)
  select o.tenant_id, o.id, 'admin@opac36.demo', 'Marc Petit', 'org_admin', (select password_hash from person where email = 'admin@caf36.demo')
  from organisation o where o.name = 'OPAC de l’Indre'`)

t.test('bad input is refused in French, with a code, and nothing is written', async (t) => {
  const noConsent = await api('admin@caf36.demo', 'POST', `/conventions/${partner.id}/signatures`, { ...good, consent: false })
  t.equal(noConsent.statusCode, 400)
  t.equal(noConsent.json().error.code, 'consent_required')
  t.match(noConsent.json().error.message, /Cochez la case/)
  const wrong = await api('admin@caf36.demo', 'POST', `/conventions/${partner.id}/signatures`, { ...good, password: 'pas-le-bon' })
  t.equal(wrong.statusCode, 400)
  t.equal(wrong.json().error.code, 'wrong_password')
  t.match(wrong.json().error.message, /mot de passe est incorrect/)
  const blank = await api('admin@caf36.demo', 'POST', `/conventions/${partner.id}/signatures`, { ...good, signerName: '  ', capacity: ' ' })
  t.equal(blank.statusCode, 400)
  t.same(blank.json().error.details.map((d: { path: string }) => d.path), ['signerName', 'capacity'])
  const schema = await api('admin@caf36.demo', 'POST', `/conventions/${partner.id}/signatures`, { signerName: 'X' })
  t.equal(schema.statusCode, 400)
  t.equal(schema.json().error.code, 'validation_failed')
  const otherKind = await api('admin@caf36.demo', 'POST', `/conventions/${mairie.id}/signatures`, good)
  t.equal(otherKind.statusCode, 409)
  t.equal(otherKind.json().error.code, 'convention_other_kind')
  t.equal((await api('admin@caf36.demo', 'POST', `/conventions/00000000-0000-4000-8000-000000000000/signatures`, good)).statusCode, 404)
  t.equal((await api('referent@caf36.demo', 'POST', `/conventions/${partner.id}/signatures`, good)).statusCode, 403, 'a referent does not sign')
  t.equal((await api('tic@indre.demo', 'POST', `/conventions/${partner.id}/signatures`, good)).statusCode, 403, 'nor the mission TIC')
  t.equal((await api('tic@cher.demo', 'POST', `/organisations/${cafIndre}/countersign`)).statusCode, 404, 'another tenant’s organisation does not exist')
  const early = await api('tic@indre.demo', 'POST', `/organisations/${cafIndre}/countersign`)
  t.equal(early.statusCode, 409)
  t.equal(early.json().error.code, 'not_signed')
  t.equal((await db.query('select count(*)::int as n from convention_signature')).rows[0].n, 0, 'nothing written')
})

let signatureId = ''
let receiptSha = ''
t.test('the org admin signs: evidence stored, receipt kept with its hash, mailed with the PDF to her and the mission TIC', async (t) => {
  const res = await api('admin@caf36.demo', 'POST', `/conventions/${partner.id}/signatures`, good, { 'user-agent': 'Navigateur de test/1.0' })
  t.equal(res.statusCode, 201, res.body)
  const body = res.json()
  t.match(body, { id: String, sha256: /^[0-9a-f]{64}$/, documentSha256: partner.sha256, signedAt: '2026-11-24T09:00:00.000Z' })
  signatureId = body.id
  receiptSha = body.sha256
  const row = (await db.query('select * from convention_signature where id = $1', [body.id])).rows[0]
  t.match(row, { signer_name: 'Isabelle Caron', capacity: 'Directrice de la CAF de l’Indre', document_sha256: partner.sha256, ip: '192.0.2.10', user_agent: 'Navigateur de test/1.0', organisation_id: cafIndre })
  t.equal(sha(row.receipt_pdf), body.sha256, 'the stored hash is the receipt’s')

  const download = await api('admin@caf36.demo', 'GET', `/signatures/${body.id}/receipt.pdf`)
  t.equal(download.statusCode, 200)
  t.equal(download.headers['content-type'], 'application/pdf')
  t.equal(sha(download.rawPayload), body.sha256, 'the download is the very receipt')
  const text = await pdfText(download.rawPayload)
  t.match(text, /La CAF s’engage à répondre aux saisines sous 72 heures/, 'the convention’s text')
  t.match(text, /Isabelle Caron/)
  t.match(text, /Directrice de la CAF de l’Indre/)
  t.ok(text.replace(/\s/g, '').includes(partner.sha256), 'the text’s hash on the signature page')
  t.match(text, /version 1/)
  t.match(text, /192\.0\.2\.10/)

  for (const to of ['admin@caf36.demo', 'tic@indre.demo']) {
    const mail = await sink.waitFor((m) => m.to.includes(to) && m.headers['x-relais-kind'] === 'convention_signed', 15_000)
    t.match(mail.subject, /Convention signée : CAF de l’Indre/)
    const pdf = mail.attachments.find((a) => a.contentType === 'application/pdf')
    t.ok(pdf, `${to}: the receipt attached`)
    t.equal(sha(pdf!.bytes), body.sha256, `${to}: the attached receipt is the stored one`)
    t.ok(mail.text.includes(body.sha256), 'the mail names the receipt’s hash')
  }

  const again = await api('admin@caf36.demo', 'POST', `/conventions/${partner.id}/signatures`, good)
  t.equal(again.statusCode, 409)
  t.equal(again.json().error.code, 'already_signed')
  t.match(again.json().error.message, /déjà signé cette version/)
})

t.test('the receipt is the signer’s organisation’s and the mission TIC’s only', async (t) => {
  t.equal((await api('tic@indre.demo', 'GET', `/signatures/${signatureId}/receipt.pdf`)).statusCode, 200)
  t.equal((await api('admin@opac36.demo', 'GET', `/signatures/${signatureId}/receipt.pdf`)).statusCode, 404, 'another organisation’s admin')
  t.equal((await api('referent@caf36.demo', 'GET', `/signatures/${signatureId}/receipt.pdf`)).statusCode, 403, 'a referent (the role never reads receipts)')
  t.equal((await api('tic@cher.demo', 'GET', `/signatures/${signatureId}/receipt.pdf`)).statusCode, 404, 'another tenant')
})

t.test('evidence never changes, even for the tables’ owner', async (t) => {
  const appRole = new pg.Client({ connectionString: env.config.APP_DATABASE_URL })
  await appRole.connect()
  t.teardown(() => appRole.end())
  await t.rejects(appRole.query(`update convention_signature set capacity = 'autre'`), /permission denied/)
  await t.rejects(appRole.query('delete from convention_signature'), /permission denied/)
  await t.rejects(db.query(`update convention_signature set capacity = 'autre'`), /ne change jamais/)
  await t.rejects(db.query('delete from convention_signature'), /ne change jamais/)
  await t.rejects(db.query('truncate convention_signature cascade'), /ne change jamais/)
})

t.test('the mission TIC countersigns once: the organisation is active', async (t) => {
  const res = await api('tic@indre.demo', 'POST', `/organisations/${cafIndre}/countersign`)
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { organisationId: cafIndre, status: 'active', signatureId })
  const twice = await api('tic@indre.demo', 'POST', `/organisations/${cafIndre}/countersign`)
  t.equal(twice.statusCode, 409)
  t.equal(twice.json().error.code, 'already_countersigned')
  t.equal((await api('admin@caf36.demo', 'POST', `/organisations/${cafIndre}/countersign`)).statusCode, 403)
  t.ok(receiptSha)
})

t.test('the pages: the org admin signs from the convention’s page; errors next to their fields', async (t) => {
  const opac = await Visitor.as(app, 'admin@opac36.demo')
  const page = await opac.get(`/conventions/${partner.id}`)
  t.match(page.body, /Signer pour OPAC de l’Indre/)
  const failed = await opac.post(`/conventions/${partner.id}/signer`, { signerName: 'Marc Petit', capacity: '', password: 'relais-demo' })
  t.equal(failed.statusCode, 400)
  t.match(failed.body, /La convention n’a pas été signée/)
  t.match(failed.body, /id="signature-qualite-erreur"/)
  t.match(failed.body, /id="signature-accord-erreur"/)
  t.match(failed.body, /value="Marc Petit"/, 'what she typed is kept')
  const wrong = await opac.post(`/conventions/${partner.id}/signer`, { signerName: 'Marc Petit', capacity: 'Directeur général', consent: '1', password: 'faux' })
  t.equal(wrong.statusCode, 400)
  t.match(wrong.body, /id="signature-mot-de-passe-erreur"/)
  const ok = await opac.post(`/conventions/${partner.id}/signer`, { signerName: 'Marc Petit', capacity: 'Directeur général', consent: '1', password: 'relais-demo' })
  t.equal(ok.statusCode, 303)
  const shown = await opac.get(ok.headers.location as string)
  t.match(shown.body, /La convention est signée/)
  t.match(shown.body, /Directeur général/)
  t.match(shown.body, /en attente de la mission TIC/)
  const pdfLink = /href="([^"]+recu\.pdf)"/.exec(shown.body)![1]
  const pdf = await opac.get(pdfLink)
  t.equal(pdf.headers['content-type'], 'application/pdf')
  t.match(await pdfText(pdf.rawPayload), /Marc Petit/)
  t.match((await opac.get(`/conventions/${partner.id}`)).body, /Votre organisme a signé cette version/)

  const tic = await Visitor.as(app, 'tic@indre.demo')
  const seen = await tic.get(ok.headers.location as string)
  t.match(seen.body, /Contresigner et activer OPAC de l’Indre/)
  const cs = await tic.post(`${(ok.headers.location as string).split('?')[0]}/contresigner`, {})
  t.equal(cs.statusCode, 303)
  t.match((await tic.get(cs.headers.location as string)).body, /est actif et reçoit désormais/)
})
