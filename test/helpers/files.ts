// Files as people attach them (issue 15): a real PDF, a PNG, a Word document, and impostors; and a multipart body to
// send them as a browser or a client would.
import { randomBytes } from 'node:crypto'
import { zipSync, strToU8 } from 'fflate'
import { renderPdf } from '@relais/documents'

export const pdfFile = (text = 'Notification de la CAF') => renderPdf({ title: text, blocks: [{ paragraph: `${text} : droits au 1er décembre 2026.` }], createdAt: new Date('2026-11-20T10:00:00Z') })

/** A 1×1 PNG. */
export const pngFile = () => Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

/** A minimal Word document (Office Open XML: a zip with its content types and word/document.xml). */
export function docxFile(): Buffer {
  const types = '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
  const doc = '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Avis d’imposition</w:t></w:r></w:p></w:body></w:document>'
  return Buffer.from(zipSync({ '[Content_Types].xml': strToU8(types), 'word/document.xml': strToU8(doc) }))
}

/** A Windows executable (MZ header) and an HTML page with a script: what a « facture.pdf » may really be. */
export const exeFile = () => Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62), Buffer.from('PE\0\0'), randomBytes(256)])
export const htmlFile = () => Buffer.from('<!doctype html><html><body><script>fetch("/api/v1/me")</script></body></html>')

/** A PDF of exactly `size` bytes (a header, then padding). */
export const pdfOfSize = (size: number) => Buffer.concat([Buffer.from('%PDF-1.4\n%âãÏÓ\n'), Buffer.alloc(size - 16, 0x20)]).subarray(0, size)

export interface Part { field?: string; name: string; content: Buffer; type?: string }

/** A multipart/form-data body: text fields, then files (each with the browser's declared type, which is not trusted). */
export function multipart(files: Part[], fields: Record<string, string | string[]> = {}) {
  const boundary = `----relais${randomBytes(8).toString('hex')}`
  const chunks: Buffer[] = []
  for (const [k, v] of Object.entries(fields)) {
    for (const value of Array.isArray(v) ? v : [v]) chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${value}\r\n`))
  }
  for (const f of files) {
    chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${f.field ?? 'file'}"; filename="${f.name.replace(/"/g, '%22')}"\r\ncontent-type: ${f.type ?? 'application/octet-stream'}\r\n\r\n`))
    chunks.push(f.content, Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}
