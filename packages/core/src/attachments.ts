/**
 * Attachments (issue 15): which files are accepted and under what names. The type is sniffed from the content with
 * file-type (never taken from the name nor from what the browser says); pure, no I/O.
 */
import { fileTypeFromBuffer } from 'file-type'
import { TooLarge, UnsupportedType, Unprocessable } from './errors.ts'

/** At most this many bytes per file… */
export const ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
/** …and this many for all the files of one referral. */
export const REFERRAL_ATTACHMENTS_MAX_BYTES = 30 * 1024 * 1024
/** Files sent at once (a form, an API call, a mail). */
export const ATTACHMENTS_PER_REQUEST = 10
/** A file uploaded but never linked to a filing or an action stops counting (and cannot be linked) after this. */
export const PENDING_ATTACHMENT_HOURS = 24

/** What people read for each accepted type. */
export const ATTACHMENT_TYPES: Record<string, { label: string; ext: string }> = {
  'application/pdf': { label: 'PDF', ext: 'pdf' },
  'image/png': { label: 'Image PNG', ext: 'png' },
  'image/jpeg': { label: 'Image JPEG', ext: 'jpg' },
  'image/gif': { label: 'Image GIF', ext: 'gif' },
  'image/webp': { label: 'Image WebP', ext: 'webp' },
  'image/heic': { label: 'Image HEIC', ext: 'heic' },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { label: 'Document Word', ext: 'docx' },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { label: 'Classeur Excel', ext: 'xlsx' },
  'application/vnd.oasis.opendocument.text': { label: 'Document OpenDocument', ext: 'odt' },
  'application/vnd.oasis.opendocument.spreadsheet': { label: 'Classeur OpenDocument', ext: 'ods' },
  'application/msword': { label: 'Document Word 97-2003', ext: 'doc' },
  'application/vnd.ms-excel': { label: 'Classeur Excel 97-2003', ext: 'xls' },
}

export const ACCEPTED_FILES_TEXT = 'PDF, images (PNG, JPEG, GIF, WebP, HEIC), documents Word, Excel ou OpenDocument'
/** The `accept` attribute of the pages' file fields (a hint for the browser; the server sniffs anyway). */
export const ACCEPT_ATTRIBUTE = '.pdf,.png,.jpg,.jpeg,.gif,.webp,.heic,.docx,.xlsx,.odt,.ods,.doc,.xls'

export const megabytes = (n: number) => `${Math.round(n / 1024 / 1024)} Mo`
/** « 1,2 Mo », « 340 ko » */
export function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo`
  return `${Math.max(1, Math.round(bytes / 1024))} ko`
}

// An old Word or Excel file is an OLE compound file (so is an .msi installer): the name of its main stream, in
// UTF-16LE in the directory, tells which.
const utf16 = (s: string) => Buffer.from(s, 'utf16le')
const WORD_STREAM = utf16('WordDocument')
const EXCEL_STREAMS = [utf16('Workbook'), utf16('Book')]

/** The accepted type of this content, or null. */
export async function sniffAttachment(content: Uint8Array): Promise<string | null> {
  const found = await fileTypeFromBuffer(content)
  if (!found) return null
  if (found.mime === 'application/x-cfb') {
    const b = Buffer.from(content.buffer, content.byteOffset, content.byteLength)
    if (b.includes(WORD_STREAM)) return 'application/msword'
    if (EXCEL_STREAMS.some((s) => b.includes(s))) return 'application/vnd.ms-excel'
    return null
  }
  return found.mime in ATTACHMENT_TYPES ? found.mime : null
}

/**
 * The stored name: no directory, no control or reserved characters, no leading dots, at most 120 characters, and the
 * extension of the sniffed type (a « facture.pdf » that is a PNG is stored as « facture.png »).
 */
export function sanitiseFileName(given: string, type: string): string {
  const ext = ATTACHMENT_TYPES[type]?.ext ?? 'bin'
  const base = (given.split(/[\\/]/).pop() ?? '').normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069"*:<>?|]/g, '')
    .replace(/\s+/g, ' ').trim().replace(/^\.+/, '')
  const stem = base.replace(/\.[^.]{1,8}$/, '').trim().replace(/[. ]+$/, '').slice(0, 110) || 'piece-jointe'
  const sameKind = ext === 'jpg' ? /\.(jpe?g)$/i.exec(base)?.[1]?.toLowerCase() : undefined
  return `${stem}.${sameKind ?? ext}`
}

/** Content-Disposition of a download: an ASCII fallback and the UTF-8 name (RFC 6266, RFC 5987). */
export function attachmentDisposition(name: string): string {
  const ascii = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]/g, '_').replace(/["\\%;]/g, '_')
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}

// The refusals, each with its stable code; `file` names the file in question.
export const attachmentTooLarge = (file: string) =>
  new TooLarge('attachment_too_large', `Le fichier « ${file} » dépasse ${megabytes(ATTACHMENT_MAX_BYTES)} : il n’a pas été enregistré.`, [{ path: 'files', message: `« ${file} » dépasse ${megabytes(ATTACHMENT_MAX_BYTES)}.` }])
export const attachmentsTotalTooLarge = (file: string, already: number) =>
  new TooLarge('attachments_total_too_large', `Avec « ${file} », les pièces jointes de la saisine dépasseraient ${megabytes(REFERRAL_ATTACHMENTS_MAX_BYTES)} (déjà ${sizeText(already)}) : rien n’a été enregistré.`, [{ path: 'files', message: `Au plus ${megabytes(REFERRAL_ATTACHMENTS_MAX_BYTES)} de pièces jointes par saisine.` }])
export const tooManyAttachments = () =>
  new TooLarge('too_many_attachments', `Au plus ${ATTACHMENTS_PER_REQUEST} fichiers à la fois : rien n’a été enregistré.`, [{ path: 'files', message: `Au plus ${ATTACHMENTS_PER_REQUEST} fichiers à la fois.` }])
export const attachmentTypeRefused = (file: string) =>
  new UnsupportedType('attachment_type_refused', `Le fichier « ${file} » n’est pas d’un type accepté (${ACCEPTED_FILES_TEXT}) : son contenu a été vérifié, pas seulement son nom. Rien n’a été enregistré.`, [{ path: 'files', message: `« ${file} » : type non accepté.` }])
export const attachmentEmpty = (file: string) =>
  new Unprocessable('attachment_empty', `Le fichier « ${file} » est vide : rien n’a été enregistré.`, [{ path: 'files', message: `« ${file} » est vide.` }])
export const attachmentUnknown = () =>
  new Unprocessable('attachment_unknown', 'Une pièce jointe indiquée est inconnue, déjà rattachée ou trop ancienne : déposez-la de nouveau.', [{ path: 'attachmentIds', message: 'Pièce jointe inconnue ou déjà rattachée.' }])
export const noFileGiven = () =>
  new Unprocessable('attachment_missing', 'Aucun fichier reçu : choisissez au moins un fichier.', [{ path: 'files', message: 'Choisissez un fichier.' }])
