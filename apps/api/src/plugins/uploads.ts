// Files sent as multipart/form-data (issue 15), read as they stream in: each file stops being kept at the size limit
// (busboy's fileSize: `truncated`), and once the files of the request are over a referral's total nothing more is
// kept, only drained. The memory a request may take is bounded whatever its size.
import type { Multipart, MultipartFile } from '@fastify/multipart'
import type { FastifyReply } from 'fastify'
import { attachmentDisposition, ATTACHMENT_MAX_BYTES, ATTACHMENTS_PER_REQUEST, REFERRAL_ATTACHMENTS_MAX_BYTES, attachmentsTotalTooLarge, TooLarge } from '@relais/core'
import type { IncomingFile } from '@relais/referrals'

/** busboy's limits for a request carrying attachments (the form's few fields included). */
export const UPLOAD_LIMITS = { fileSize: ATTACHMENT_MAX_BYTES, files: ATTACHMENTS_PER_REQUEST, fields: 60, fieldSize: 64 * 1024, parts: 80 }
/** The options of request.parts(): a file over the limit is seen as truncated (and refused in French), not thrown. */
export const UPLOAD_OPTIONS = { limits: UPLOAD_LIMITS, throwFileSizeLimit: false }

/** One file part, kept up to the limit; a part without a file chosen (an empty file field) gives null. */
export async function readFilePart(part: MultipartFile, budget: { left: number; over: string | null }): Promise<IncomingFile | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of part.file as AsyncIterable<Buffer>) {
    size += chunk.length
    if (budget.over || size > ATTACHMENT_MAX_BYTES) continue
    if (size > budget.left) { budget.over = part.filename; chunks.length = 0; continue }
    chunks.push(chunk)
  }
  if (!part.filename && size === 0) return null
  if (budget.over) return { name: part.filename, content: Buffer.alloc(0), truncated: true }
  budget.left -= size
  return { name: part.filename || 'sans nom', content: Buffer.concat(chunks), truncated: part.file.truncated }
}

/** Reads every part: the text fields and the files (in the order sent). */
export async function readUploads(parts: AsyncIterableIterator<Multipart>): Promise<{ fields: Record<string, string | string[]>; files: IncomingFile[] }> {
  const fields: Record<string, string | string[]> = {}
  const files: IncomingFile[] = []
  const budget = { left: REFERRAL_ATTACHMENTS_MAX_BYTES, over: null as string | null }
  for await (const part of parts) {
    if (part.type === 'file') {
      const f = await readFilePart(part, budget)
      if (f) files.push(f)
    } else if (typeof part.value === 'string') {
      const prev = fields[part.fieldname]
      fields[part.fieldname] = prev === undefined ? part.value : [...(Array.isArray(prev) ? prev : [prev]), part.value]
    }
  }
  if (budget.over) throw attachmentsTotalTooLarge(budget.over, 0)
  return { fields, files }
}

/** busboy's own limits (too many files, fields or parts) in the product's words. */
export function uploadLimitError(err: unknown): TooLarge | null {
  const code = (err as { code?: string })?.code
  if (code === 'FST_FILES_LIMIT') return new TooLarge('too_many_attachments', `Au plus ${ATTACHMENTS_PER_REQUEST} fichiers à la fois : rien n’a été enregistré.`, [{ path: 'files', message: `Au plus ${ATTACHMENTS_PER_REQUEST} fichiers à la fois.` }])
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') return new TooLarge('payload_too_large', 'Le formulaire envoyé compte trop de champs : rien n’a été enregistré.')
  return null
}

/** A file as a download that no browser renders or sniffs in our origin. */
export function sendAttachment(reply: FastifyReply, a: { name: string; type: string; size: number; sha256: string; content: Buffer }) {
  return reply
    .header('content-type', a.type)
    .header('content-disposition', attachmentDisposition(a.name))
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'private, no-store')
    .header('content-length', String(a.size))
    .header('digest', `sha-256=${Buffer.from(a.sha256, 'hex').toString('base64')}`)
    .send(a.content)
}
