// Attachments (issue 15): files added on filing and with the actions, sniffed, limited, kept in PostgreSQL under the
// tenant's RLS, and downloaded exactly by those who see the referral.
import t from 'tap'
import { createHash } from 'node:crypto'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { startApp } from '../helpers/network.ts'
import { docxFile, exeFile, htmlFile, multipart, pdfFile, pdfOfSize, pngFile, type Part } from '../helpers/files.ts'

const { app, db } = await startApp()
const secretary = await bearer(app, 'secretaire@ardentes.demo')
const otherMairie = await bearer(app, 'secretaire@issoudun.demo')
const referent = await bearer(app, 'referent@caf36.demo')
const otherPartner = await bearer(app, 'referent@ddt36.demo')
const tic = await bearer(app, 'tic@indre.demo')
const cher = await bearer(app, 'tic@cher.demo')

const MB = 1024 * 1024
const upload = (headers: Record<string, string>, url: string, files: Part[]) => {
  const body = multipart(files)
  return app.inject({ method: 'POST', url, headers: { ...headers, ...body.headers }, payload: body.payload })
}
const stored = async () => Number((await db.query('select count(*) from attachment')).rows[0].count)
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

const pdf = await pdfFile()
const png = pngFile()
const docx = docxFile()

let referral: { id: string; reference: string }
let filedFiles: { id: string; name: string; type: string; size: number }[]

t.test('a secretary uploads a PDF, a PNG and a Word document, then files the referral with them', async (t) => {
  const res = await upload(secretary, '/api/v1/attachments', [
    { name: 'Notification CAF.pdf', content: pdf, type: 'application/pdf' },
    { name: '../../photo\u0000 du courrier.png', content: png, type: 'image/png' },
    { name: 'Avis d’imposition 2026.docx', content: docx },
  ])
  t.equal(res.statusCode, 201, res.body)
  filedFiles = res.json().items
  t.same(filedFiles.map((f) => [f.name, f.type, f.size]), [
    ['Notification CAF.pdf', 'application/pdf', pdf.length],
    ['photo du courrier.png', 'image/png', png.length],
    ['Avis d’imposition 2026.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', docx.length],
  ], 'names sanitised (no directory, no control character), types sniffed from the content')

  const filed = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, attachmentIds: filedFiles.map((f) => f.id) } })
  t.equal(filed.statusCode, 201, filed.body)
  referral = filed.json()
  const d = (await app.inject({ url: `/api/v1/referrals/${referral.id}`, headers: referent })).json()
  const event = d.timeline.find((e: { kind: string }) => e.kind === 'filed')
  t.same(event.attachments.map((a: { name: string }) => a.name), filedFiles.map((f) => f.name), 'the filing event lists its files')
  t.same(event.data.attachments, filedFiles.map((f, i) => ({ id: f.id, sha256: sha([pdf, png, docx][i]!) })), 'their ids and digests are in the sealed event')
  t.equal(d.attachments.length, 3)

  const again = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, attachmentIds: [filedFiles[0]!.id] } })
  t.equal(again.statusCode, 422, 'a file is linked once')
  t.equal(again.json().error.code, 'attachment_unknown')
})

t.test('the download: the same bytes, as an attachment, never sniffed', async (t) => {
  const res = await app.inject({ url: `/api/v1/referrals/${referral.id}/attachments/${filedFiles[2]!.id}`, headers: referent })
  t.equal(res.statusCode, 200)
  t.same(res.rawPayload, docx, 'the bytes stored are the bytes sent')
  t.equal(res.headers['content-type'], 'application/vnd.openxmlformats-officedocument.wordprocessingml.document')
  t.equal(res.headers['content-disposition'], 'attachment; filename="Avis d_imposition 2026.docx"; filename*=UTF-8\'\'Avis%20d%E2%80%99imposition%202026.docx')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.match(res.headers['content-security-policy'], /sandbox/)
  t.match(res.headers['cache-control'], /no-store/)
  const png = await app.inject({ url: `/api/v1/referrals/${referral.id}/attachments/${filedFiles[1]!.id}`, headers: secretary })
  t.equal(png.statusCode, 200, 'the mairie that filed it downloads too')
  t.equal((await app.inject({ url: `/api/v1/referrals/${referral.id}/attachments/${filedFiles[0]!.id}`, headers: tic })).statusCode, 200, 'and the mission TIC')
})

t.test('another organisation or another tenant: 404, like a missing file', async (t) => {
  for (const [who, headers] of [['another mairie', otherMairie], ['another partner', otherPartner], ['another tenant', cher]] as const) {
    const res = await app.inject({ url: `/api/v1/referrals/${referral.id}/attachments/${filedFiles[0]!.id}`, headers })
    t.equal(res.statusCode, 404, who)
    t.notOk(res.rawPayload.includes(pdf.subarray(0, 64)), `${who}: no byte of the file`)
    t.notMatch(res.body, 'Notification CAF')
    const up = await upload(headers, `/api/v1/referrals/${referral.id}/attachments`, [{ name: 'x.png', content: png }])
    t.equal(up.statusCode, 404, `${who} cannot add to it either`)
  }
  const unknown = await app.inject({ url: `/api/v1/referrals/${referral.id}/attachments/00000000-0000-4000-8000-000000000000`, headers: referent })
  t.equal(unknown.statusCode, 404)
  t.equal((await app.inject({ url: `/api/v1/referrals/00000000-0000-4000-8000-000000000000/attachments/${filedFiles[0]!.id}`, headers: referent })).statusCode, 404, 'a file is read through its own referral only')
  const rls = await db.query(`select count(*) from attachment where tenant_id = (select id from tenant where code = '18')`)
  t.equal(Number(rls.rows[0].count), 0)
})

t.test('the type comes from the content: an executable or a web page named .pdf is refused (415), nothing stored', async (t) => {
  const before = await stored()
  for (const [what, content] of [['an executable', exeFile()], ['an HTML page', htmlFile()]] as const) {
    const res = await upload(secretary, '/api/v1/attachments', [{ name: 'facture.pdf', content, type: 'application/pdf' }])
    t.equal(res.statusCode, 415, what)
    t.equal(res.json().error.code, 'attachment_type_refused')
    t.match(res.json().error.message, /« facture\.pdf » n’est pas d’un type accepté/)
  }
  const zip = await upload(secretary, '/api/v1/attachments', [{ name: 'ok.pdf', content: pdf }, { name: 'archive.docx', content: Buffer.from(exeFile()) }])
  t.equal(zip.statusCode, 415, 'one refused file: none of the request is kept')
  t.equal(await stored(), before, 'nothing half-written')
  const png2 = await upload(secretary, '/api/v1/attachments', [{ name: 'scan.pdf', content: png }])
  t.equal(png2.json().items[0].name, 'scan.png', 'a PNG named .pdf is kept as the PNG it is')
  const empty = await upload(secretary, '/api/v1/attachments', [{ name: 'vide.pdf', content: Buffer.alloc(0) }])
  t.equal(empty.statusCode, 422)
  t.equal(empty.json().error.code, 'attachment_empty')
  const none = await app.inject({ method: 'POST', url: '/api/v1/attachments', headers: { ...secretary, 'content-type': 'application/json' }, payload: {} })
  t.equal(none.statusCode, 415)
})

t.test('10 Mo per file: 10 Mo pass, one byte more is refused (413)', async (t) => {
  const exact = await upload(referent, `/api/v1/referrals/${referral.id}/attachments`, [{ name: 'dix.pdf', content: pdfOfSize(10 * MB) }])
  t.equal(exact.statusCode, 201, exact.body)
  const before = await stored()
  const over = await upload(referent, `/api/v1/referrals/${referral.id}/attachments`, [{ name: 'trop gros.pdf', content: pdfOfSize(10 * MB + 1) }])
  t.equal(over.statusCode, 413)
  t.equal(over.json().error.code, 'attachment_too_large')
  t.match(over.json().error.message, '« trop gros.pdf » dépasse 10 Mo')
  t.equal(await stored(), before)
  const pending = exact.json().items[0].id
  t.equal((await app.inject({ url: `/api/v1/referrals/${referral.id}/attachments/${pending}`, headers: referent })).statusCode, 200, 'its uploader reads a pending file')
  t.equal((await app.inject({ url: `/api/v1/referrals/${referral.id}/attachments/${pending}`, headers: secretary })).statusCode, 404, 'nobody else until an action carries it')
})

t.test('30 Mo per referral, pending files included; an answer carries the files uploaded for it', async (t) => {
  // Already: the three filed files and the 10 Mo one just uploaded (pending, for this referral).
  const ten = await upload(referent, `/api/v1/referrals/${referral.id}/attachments`, [{ name: 'deux.pdf', content: pdfOfSize(10 * MB) }])
  t.equal(ten.statusCode, 201)
  const over = await upload(referent, `/api/v1/referrals/${referral.id}/attachments`, [{ name: 'trois.pdf', content: pdfOfSize(10 * MB) }])
  t.equal(over.statusCode, 413)
  t.equal(over.json().error.code, 'attachments_total_too_large')
  t.match(over.json().error.message, /dépasseraient 30 Mo/)
  const small = await upload(referent, `/api/v1/referrals/${referral.id}/attachments`, [{ name: 'courrier.png', content: png }])
  t.equal(small.statusCode, 201, 'what still fits is taken')
  const ids = [ten.json().items[0].id, small.json().items[0].id]
  const foreign = await app.inject({ method: 'POST', url: `/api/v1/referrals/${referral.id}/answer`, headers: tic, payload: { body: 'Réponse', attachmentIds: ids } })
  t.equal(foreign.statusCode, 422, 'someone else’s pending files cannot be linked')
  const answered = await app.inject({ method: 'POST', url: `/api/v1/referrals/${referral.id}/answer`, headers: referent, payload: { body: 'Voici le justificatif demandé.', attachmentIds: ids } })
  t.equal(answered.statusCode, 200, answered.body)
  const event = answered.json().timeline.find((e: { kind: string }) => e.kind === 'answered')
  t.same(event.attachments.map((a: { name: string }) => a.name), ['deux.pdf', 'courrier.png'])
  t.same(answered.json().answers[0].attachments.length, 2)
  const d = (await app.inject({ url: `/api/v1/referrals/${referral.id}`, headers: secretary })).json()
  t.equal(d.attachments.length, 5, 'the mairie sees the answer’s files')
  t.notOk(d.attachments.some((a: { name: string }) => a.name === 'dix.pdf'), 'a pending file is not on the timeline')
})

t.test('the table is under the tenant’s RLS, forced, like the referral', async (t) => {
  const { rows } = await db.query(`select relrowsecurity, relforcerowsecurity from pg_class where relname = 'attachment'`)
  t.same(rows[0], { relrowsecurity: true, relforcerowsecurity: true })
})

t.test('a download is logged as a display of citizen data; erasing the person’s data erases her files', async (t) => {
  const up = await upload(secretary, '/api/v1/attachments', [{ name: 'Relevé de situation.pdf', content: pdf, type: 'application/pdf' }])
  t.equal(up.statusCode, 201, up.body)
  const fileId = up.json().items[0].id as string
  const citizen = { ...sampleReferral.citizen, name: 'Paul Effacement', email: 'paul.effacement@example.org' }
  const filed = await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: secretary, payload: { ...sampleReferral, citizen, attachmentIds: [fileId] } })
  t.equal(filed.statusCode, 201, filed.body)
  const { id } = filed.json() as { id: string }
  const url = `/api/v1/referrals/${id}/attachments/${fileId}`
  t.equal((await app.inject({ url, headers: referent })).statusCode, 200)
  const log = (await app.inject({ url: `/api/v1/referrals/${id}/access-log`, headers: tic })).json() as { items: { via: string; person: { name: string } }[] }
  t.equal(log.items.filter((e) => e.via === 'download').length, 1, 'the referent’s download is in the referral’s access log')

  t.equal((await app.inject({ method: 'POST', url: `/api/v1/referrals/${id}/cancel`, headers: secretary, payload: { body: 'Demande retirée par l’usager.' } })).statusCode, 200)
  const erased = await app.inject({ method: 'POST', url: '/api/v1/privacy/subjects/erase', headers: tic, payload: { email: citizen.email } })
  t.equal(erased.statusCode, 200, erased.body)
  t.equal(erased.json().erasedAttachments, 1, 'the erasure counts her file')
  t.equal((await app.inject({ url, headers: referent })).statusCode, 404, 'her document cannot be downloaded any more')
  const row = (await db.query('select name, octet_length(content) as bytes, sha256, erased_at from attachment where id = $1', [fileId])).rows[0]
  t.same([row.name, row.bytes, row.sha256], ['Pièce jointe effacée', 0, sha(pdf)], 'content and name gone, the digest the timeline seals stays')
  t.ok(row.erased_at)
  const d = (await app.inject({ url: `/api/v1/referrals/${id}`, headers: tic })).json() as { attachments: unknown[] }
  t.same(d.attachments, [], 'no longer listed on the referral')
})
