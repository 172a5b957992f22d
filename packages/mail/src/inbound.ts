// Reading a mail that came to a reply address (issue 15): who wrote, whether a robot did, whether it is a delivery
// status notification, and what the person wrote above the quoted history. No I/O apart from parsing.
import { createHash } from 'node:crypto'
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser'
import EmailReplyParser from 'email-reply-parser'

export interface InboundMail {
  /** The Message-ID header, or a digest of the raw mail when it has none (a replay is still the same mail). */
  messageId: string
  /** The From header's address, lower-cased ('' when absent). */
  from: string
  /** The envelope sender ('' for the null sender <> of bounces and robots). */
  envelopeFrom: string
  subject: string
  /** The whole text (the HTML turned into text when the mail has no text part). */
  text: string
  headers: Record<string, string>
  /** Set when the mail is a delivery status notification (RFC 3464). */
  dsn: DeliveryStatus | null
  /** Names of the files attached (not the images inside an HTML body, such as a signature's logo). */
  attachments: string[]
  /** The same files with their content, in the same order (kept on the referral within the attachments' limits). */
  files: { name: string; content: Buffer }[]
}

export interface DeliveryStatus { action: string; status: string; recipient: string; diagnostic: string; permanent: boolean }

export async function readInboundMail(raw: Buffer, envelopeFrom: string): Promise<InboundMail> {
  const parsed = await simpleParser(raw, { skipImageLinks: true })
  const files = parsed.attachments.filter((a) => !a.related && a.contentType !== 'message/delivery-status' && a.contentType !== 'text/rfc822-headers')
    .map((a) => ({ name: (a.filename ?? 'sans nom').replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 200), content: a.content }))
  return {
    messageId: parsed.messageId?.trim() || `<sha256-${createHash('sha256').update(raw).digest('hex')}@relais.invalid>`,
    from: firstAddress(parsed.from) ?? '',
    envelopeFrom: envelopeFrom.toLowerCase(),
    subject: parsed.subject ?? '',
    text: (parsed.text ?? '').replace(/\r\n/g, '\n'),
    headers: headerMap(parsed),
    dsn: deliveryStatus(parsed),
    attachments: files.map((f) => f.name),
    files,
  }
}

const firstAddress = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a[0] : a)?.value[0]?.address?.toLowerCase()

function headerMap(parsed: ParsedMail): Record<string, string> {
  const out: Record<string, string> = {}
  for (const { key, line } of parsed.headerLines) {
    const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim()
    out[key] = key in out ? `${out[key]}\n${value}` : value
  }
  return out
}

/** RFC 3464: a multipart/report of type delivery-status, read from its message/delivery-status part. */
function deliveryStatus(parsed: ParsedMail): DeliveryStatus | null {
  const type = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined
  const part = parsed.attachments.find((a) => a.contentType === 'message/delivery-status')
  if (!part && !(type?.value === 'multipart/report' && type.params?.['report-type']?.toLowerCase() === 'delivery-status')) return null
  const fields = new Map<string, string>()
  // mailparser shows the message/delivery-status part inline with the text when it is not an attachment.
  for (const line of (part?.content.toString('utf8') ?? parsed.text ?? '').replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line)
    // The per-recipient fields come after the per-message ones: the last value of each name is the recipient's.
    if (m) fields.set(m[1]!.toLowerCase(), m[2]!.trim())
  }
  const status = fields.get('status') ?? ''
  const action = (fields.get('action') ?? '').toLowerCase()
  return {
    action, status,
    recipient: (fields.get('final-recipient') ?? fields.get('original-recipient') ?? '').replace(/^[^;]*;\s*/, '').toLowerCase(),
    diagnostic: (fields.get('diagnostic-code') ?? '').replace(/^[^;]*;\s*/, ''),
    permanent: action === 'failed' && status.startsWith('5'),
  }
}

// Out-of-office subjects of French and English mail clients (Outlook, Gmail, Thunderbird, webmails).
const AUTO_SUBJECT = /(r[ée]ponse automatique|absence du bureau|message d[’']absence|je suis absente?\b|absente? jusqu|auto(matic)?[ -]?reply|out of office|autoreply|vacation reply|accus[ée] de r[ée]ception automatique)/i

/**
 * Why a mail was written by a robot, or null when a person wrote it: RFC 3834 Auto-Submitted, Precedence bulk/junk/list,
 * the X-Autoreply family, a mailing list, the null sender, an out-of-office subject. Such a mail never acts.
 */
export function robotReason(m: InboundMail): string | null {
  const h = m.headers
  const auto = h['auto-submitted']?.toLowerCase()
  if (auto && auto.split(';')[0]!.trim() !== 'no') return `Auto-Submitted: ${auto}`
  if (/^(bulk|junk|list|auto_reply)$/i.test(h.precedence?.trim() ?? '')) return `Precedence: ${h.precedence}`
  for (const name of ['x-autoreply', 'x-autorespond', 'x-auto-reply', 'x-autoresponder']) if (name in h) return name
  if ('list-id' in h || 'list-unsubscribe' in h) return 'liste de diffusion'
  if (m.envelopeFrom === '') return 'expéditeur vide (<>)'
  if (AUTO_SUBJECT.test(m.subject)) return `objet : ${m.subject}`
  return null
}

// Quote headers email-reply-parser may miss: Outlook's French block (De : … Envoyé : …) and a lone « Le … a écrit : »
// wrapped over two lines. Everything from them down is the history.
const QUOTE_STARTS = [
  /^_{10,}\s*$/m,
  /^-{2,}\s*(message d[’']origine|original message)\s*-{2,}\s*$/im,
  /^\*?De\s?:\*?\s.+\n\*?(Envoy[ée]|Date)\s?:\*?\s/im,
  /^\*?From:\*?\s.+\n\*?(Sent|Date):\*?\s/im,
  /^Le .{4,200}\n?.{0,200}a [ée]crit\s?:\s*$/m,
]

/**
 * What the person wrote: the text above the quoted history and the signature (email-reply-parser, with the French and
 * Outlook blocks above); when nothing is left, the whole text, so that nothing a person wrote is lost.
 */
export function replyText(text: string): string {
  let head = text
  for (const re of QUOTE_STARTS) {
    const m = re.exec(head)
    if (m) head = head.slice(0, m.index)
  }
  const stripped = new EmailReplyParser().parseReply(head).trim()
  return stripped || head.trim() || text.trim()
}
