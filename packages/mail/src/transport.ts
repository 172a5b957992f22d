// Sends one rendered mail over SMTP and says whether a failure is worth retrying.
import { createHash } from 'node:crypto'
import nodemailer, { type NodemailerError } from 'nodemailer'
import type { MailKind } from './render.ts'

export interface OutgoingMail {
  to: string[]
  subject: string
  text: string
  html: string
  /** Deterministic, e.g. <outbox-42@relais.local> (see deterministicMessageId): a resend keeps the same Message-ID. */
  messageId: string
  /** Sets the X-Relais-Kind header. */
  kind?: MailKind
  headers?: Record<string, string>
  /** Where a reply goes (a reply address of the inbound server); also the envelope sender, so that a DSN comes back there. */
  replyTo?: string
  /** A calendar invitation: sent as a text/calendar alternative and as an .ics attachment (Outlook shows one, others the other). */
  calendar?: { method: 'REQUEST' | 'CANCEL'; content: string }
  /** Files attached (a convention's signature receipt). */
  attachments?: { filename: string; content: Buffer; contentType: string }[]
  /**
   * Sent in someone's name (a mairie writing to a citizen): the From header shows that name over the platform's own
   * address (the envelope is unchanged, so SPF and bounces stay ours), and a reply goes to replyTo.
   */
  sender?: { name: string; replyTo?: string }
}

/** A recipient the server refused while others were accepted (the mail went to the others). */
export interface RejectedRecipient { address: string; permanent: boolean; code: number | null; message: string }

export type SendResult =
  | { ok: true; response: string; rejected?: RejectedRecipient[] }
  | { ok: false; permanent: boolean; code: number | null; message: string; rejected?: RejectedRecipient[] }

export interface MailTransportOptions {
  /** Milliseconds; defaults 5 s, 5 s and 15 s. Tests shorten them. */
  connectionTimeout?: number
  greetingTimeout?: number
  socketTimeout?: number
  /** SMTP connections kept open and shared by concurrent sends (default 8, the mail worker's concurrency). */
  maxConnections?: number
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<SendResult>
  close(): void
}

// Only a refusal of the recipient or of the message itself is final. A 5xx elsewhere (MAIL FROM, AUTH,
// the greeting) says our side or the relay is misconfigured: retry, and never blame the recipient's address.
const PERMANENT_COMMANDS = new Set(['RCPT TO', 'DATA'])

function isPermanentCode(code: number | null | undefined): boolean {
  // 503 is "bad sequence of commands": the session, not the message (RFC 5321 §4.2.4 and nodemailer agree).
  return typeof code === 'number' && code >= 500 && code < 600 && code !== 503
}

function rejectedOf(err: NodemailerError): RejectedRecipient[] | undefined {
  const list = err.rejectedErrors
  if (!list?.length) return undefined
  return list.map((e) => ({
    address: e.recipient ?? '',
    permanent: isPermanentCode(e.responseCode),
    code: e.responseCode ?? null,
    message: e.response ?? e.message,
  }))
}

/** Classifies a nodemailer failure: SMTP 5xx on RCPT/DATA is permanent; 4xx, refused connections and timeouts are not. */
export function classifySendError(err: unknown): Extract<SendResult, { ok: false }> {
  const e = (err ?? {}) as NodemailerError
  const code = typeof e.responseCode === 'number' ? e.responseCode : null
  const rejected = rejectedOf(e)
  // Several recipients all refused: permanent only if every one of them was refused for good.
  const permanent = rejected
    ? rejected.every((r) => r.permanent)
    : code !== null && isPermanentCode(code) && PERMANENT_COMMANDS.has(e.command ?? '')
  const message = e.response ?? (e.code ? `${e.code}: ${e.message}` : String(e.message ?? err))
  return { ok: false, permanent, code, message, ...(rejected ? { rejected } : {}) }
}

/**
 * The Message-ID for a key that identifies one mail for good (e.g. "outbox-42"): the same key always gives
 * the same header, so a resend after a crash is recognisable downstream. Characters not allowed in a
 * Message-ID are replaced and a short hash of the key keeps distinct keys distinct.
 */
export function deterministicMessageId(key: string, domain = 'relais.local'): string {
  if (!key) throw new Error('deterministicMessageId: empty key')
  const safe = key.replace(/[^A-Za-z0-9_-]+/g, '-')
  const local = safe === key ? key : `${safe}.${createHash('sha256').update(key).digest('hex').slice(0, 12)}`
  const host = domain.replace(/[^A-Za-z0-9.-]+/g, '-') || 'relais.local'
  return `<${local}@${host}>`
}

/**
 * A pool of SMTP connections: opening one per send (connect, greeting, EHLO) capped the worker at about 80 mails per
 * second. A connection is renewed after 100 messages, closes when idle past the socket timeout, and a broken one is dropped and replaced by the next
 * send (the failed send itself is a temporary failure, retried like any other).
 */
export function createMailTransport(smtpUrl: string, from: string, opts: MailTransportOptions = {}): MailTransport {
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: opts.maxConnections ?? 8,
    maxMessages: 100,
    connectionTimeout: opts.connectionTimeout ?? 5_000,
    greetingTimeout: opts.greetingTimeout ?? 5_000,
    socketTimeout: opts.socketTimeout ?? 15_000,
    dnsTimeout: opts.connectionTimeout ?? 5_000,
    // Bodies carry people's text: never let the composer read files or URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  })

  // « Relais <ne-pas-repondre@relais.local> » → the address alone, for a From shown in someone else's name.
  const fromAddress = /<([^>]+)>/.exec(from)?.[1] ?? from.trim()
  return {
    async send(mail: OutgoingMail): Promise<SendResult> {
      if (!mail.to.length) return { ok: false, permanent: true, code: null, message: 'No recipient' }
      try {
        const info = await transporter.sendMail({
          from: mail.sender ? { name: mail.sender.name, address: fromAddress } : from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: mail.messageId,
          ...(mail.replyTo ? { replyTo: mail.replyTo, envelope: { from: mail.replyTo, to: mail.to } } : {}),
          ...(!mail.replyTo && mail.sender?.replyTo ? { replyTo: mail.sender.replyTo } : {}),
          ...(mail.calendar ? {
            icalEvent: { method: mail.calendar.method, content: mail.calendar.content, filename: 'invitation.ics' },
            attachments: [{ filename: mail.calendar.method === 'CANCEL' ? 'annulation.ics' : 'rendez-vous.ics', content: mail.calendar.content, contentType: `application/ics; method=${mail.calendar.method}; charset=UTF-8` }],
          } : {}),
          ...(mail.attachments?.length ? { attachments: mail.attachments } : {}),
          headers: {
            // Tells mail servers and out-of-office robots that nobody typed this (RFC 3834; Exchange's variant);
            // an answer to a person's mail says auto-replied instead.
            'Auto-Submitted': 'auto-generated',
            ...mail.headers,
            'X-Auto-Response-Suppress': 'All',
            ...(mail.kind ? { 'X-Relais-Kind': mail.kind } : {}),
          },
        })
        const refused = (info as { rejectedErrors?: NodemailerError[] }).rejectedErrors
        const rejected = refused?.length ? rejectedOf({ rejectedErrors: refused } as NodemailerError) : undefined
        return { ok: true, response: String(info.response ?? ''), ...(rejected ? { rejected } : {}) }
      } catch (err) {
        return classifySendError(err)
      }
    },
    close() {
      transporter.close()
    },
  }
}
