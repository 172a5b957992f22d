// A real SMTP server that keeps what it receives in memory: the local mailbox of `npm start`
// (with a small web page) and the SMTP server the test suites start. Never for production.
import { EventEmitter } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerAddress } from 'smtp-server'
import { simpleParser, type ParsedMail, type AddressObject } from 'mailparser'
import nodemailer from 'nodemailer'

export interface ReceivedMail {
  /** The sink's own id (also the web page's address of the mail). */
  id: string
  /** The Message-ID header as sent, angle brackets included (as nodemailer's info.messageId). */
  messageId: string
  /** Address of the From header (the envelope sender when the header has none). */
  from: string
  /** Envelope recipients the sink accepted (To, Cc and Bcc alike): who actually received the mail. */
  to: string[]
  subject: string
  text: string
  html: string
  /** Header name (lower case) → decoded value; repeated headers are joined with a newline. */
  headers: Record<string, string>
  /** Attachments and non-text parts (a text/calendar alternative among them), their content as text. */
  attachments: { filename: string | null; contentType: string; content: string; bytes: Buffer }[]
  /** The message as received (MIME source). */
  raw: string
  receivedAt: Date
}

export interface MailSinkOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string
  /** 0 = any free port (default). */
  smtpPort?: number
  /** null = no web page (default). 0 = any free port. */
  httpPort?: number | null
  /** Per recipient: return an SMTP code to refuse it (e.g. 550 permanent, 451 temporary) or null to accept. */
  rejectRecipient?: (address: string) => number | null
  /** The inbound server of replies (smtp://host:port): a mail with a Reply-To gets a « Répondre » form on its page. */
  replyRelay?: string
}

export interface MailSinkAddress { smtpPort: number; httpPort: number | null; smtpUrl: string }

const MAX_SIZE = 10 * 1024 * 1024

export class MailSink {
  readonly messages: ReceivedMail[] = []
  /** Settable at run time: a test can make the server refuse a recipient from now on. */
  rejectRecipient?: (address: string) => number | null
  /** Settable at run time too (see MailSinkOptions.replyRelay). */
  replyRelay?: string
  /** What became of the last reply sent from a mail's page, shown on that page. */
  private readonly replyNotes = new Map<string, { ok: boolean; text: string }>()

  private readonly host: string
  // Remembered after the first start, so that stop() then start() comes back on the same ports.
  private smtpPort: number
  private httpPort: number | null
  private smtp: SMTPServer | null = null
  private web: http.Server | null = null
  private readonly events = new EventEmitter()
  private counter = 0

  constructor(opts: MailSinkOptions = {}) {
    this.host = opts.host ?? '127.0.0.1'
    this.smtpPort = opts.smtpPort ?? 0
    this.httpPort = opts.httpPort === undefined ? null : opts.httpPort
    this.rejectRecipient = opts.rejectRecipient
    this.replyRelay = opts.replyRelay
    this.events.setMaxListeners(0)
  }

  get smtpUrl(): string {
    return `smtp://${this.host === '0.0.0.0' || this.host === '::' ? '127.0.0.1' : this.host}:${this.smtpPort}`
  }

  async start(): Promise<MailSinkAddress> {
    if (!this.smtp) {
      const smtp = this.createSmtpServer()
      await listen(smtp.server, this.smtpPort, this.host)
      this.smtp = smtp
      this.smtpPort = (smtp.server.address() as AddressInfo).port
    }
    if (this.httpPort !== null && !this.web) {
      const web = http.createServer((req, res) => this.serve(req, res))
      await listen(web, this.httpPort, this.host)
      this.web = web
      this.httpPort = (web.address() as AddressInfo).port
    }
    return { smtpPort: this.smtpPort, httpPort: this.httpPort, smtpUrl: this.smtpUrl }
  }

  /** Stops both servers at once (a client in the middle of a session gets 421): SMTP "down". */
  async stop(): Promise<void> {
    const smtp = this.smtp
    const web = this.web
    this.smtp = null
    this.web = null
    const closing: Promise<void>[] = []
    if (smtp) {
      closing.push(new Promise<void>((resolve) => smtp.close(() => resolve())))
      for (const connection of [...smtp.connections]) {
        connection.send(421, 'Service indisponible : arrêt du serveur')
        connection.close()
      }
    }
    if (web) {
      closing.push(new Promise<void>((resolve) => web.close(() => resolve())))
      web.closeAllConnections()
    }
    await Promise.all(closing)
  }

  /** Resolves with the first mail (already received or to come) matching predicate; rejects after timeoutMs. */
  waitFor(predicate: (m: ReceivedMail) => boolean, timeoutMs = 5000): Promise<ReceivedMail> {
    const found = this.messages.find(predicate)
    if (found) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const onMail = (m: ReceivedMail) => {
        if (!predicate(m)) return
        cleanup()
        resolve(m)
      }
      const timer = setTimeout(() => {
        cleanup()
        const seen = this.messages.map((m) => `${m.to.join(',')}: ${m.subject}`).join(' | ') || 'aucun'
        reject(new Error(`MailSink: no matching mail within ${timeoutMs} ms (received: ${seen})`))
      }, timeoutMs)
      const cleanup = () => { clearTimeout(timer); this.events.off('mail', onMail) }
      this.events.on('mail', onMail)
    })
  }

  /** Resolves once at least n mails are held; rejects after timeoutMs. */
  waitForCount(n: number, timeoutMs = 5000): Promise<void> {
    if (this.messages.length >= n) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const onMail = () => {
        if (this.messages.length < n) return
        cleanup()
        resolve()
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`MailSink: ${this.messages.length} mail(s) after ${timeoutMs} ms, expected ${n}`))
      }, timeoutMs)
      const cleanup = () => { clearTimeout(timer); this.events.off('mail', onMail) }
      this.events.on('mail', onMail)
    })
  }

  clear(): void {
    this.messages.length = 0
  }

  private createSmtpServer(): SMTPServer {
    const smtp = new SMTPServer({
      secure: false,
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      // Like maildev: any credentials are accepted, so an SMTP_URL with a user works against the sink too.
      allowInsecureAuth: true,
      onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anonyme' }),
      size: MAX_SIZE,
      logger: false,
      banner: 'Relais, boîte de réception de test',
      closeTimeout: 1000,
      onRcptTo: (address: SMTPServerAddress, _session, callback) => {
        const code = this.rejectRecipient?.(address.address) ?? null
        if (code === null) return callback()
        const err = new Error(code >= 500 ? `Destinataire refusé : ${address.address}` : `Destinataire momentanément indisponible : ${address.address}`) as Error & { responseCode: number }
        err.responseCode = code
        callback(err)
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = []
        stream.on('data', (chunk: Buffer) => chunks.push(chunk))
        stream.on('error', callback)
        stream.on('end', () => {
          if (stream.sizeExceeded) {
            const err = new Error('Message trop volumineux (10 Mo au plus)') as Error & { responseCode: number }
            err.responseCode = 552
            return callback(err)
          }
          simpleParser(Buffer.concat(chunks), { skipImageLinks: true }).then((parsed) => {
            const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
            this.receive(parsed, envelopeFrom, session.envelope.rcptTo.map((r) => r.address), Buffer.concat(chunks).toString('utf8'))
            callback()
          }, callback)
        })
      },
    })
    // smtp-server re-emits socket errors (a client that resets, a port taken): without a listener
    // they would crash the process. start() reports listen errors itself.
    smtp.on('error', () => undefined)
    return smtp
  }

  private receive(parsed: ParsedMail, envelopeFrom: string, recipients: string[], raw = '') {
    const mail: ReceivedMail = {
      id: String(++this.counter),
      messageId: parsed.messageId ?? '',
      from: parsed.from?.value[0]?.address ?? envelopeFrom,
      to: recipients,
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: typeof parsed.html === 'string' ? parsed.html : '',
      headers: headersOf(parsed),
      attachments: parsed.attachments.map((a) => ({ filename: a.filename ?? null, contentType: a.contentType, content: a.content.toString('utf8'), bytes: a.content })),
      raw,
      receivedAt: new Date(),
    }
    this.messages.push(mail)
    this.events.emit('mail', mail)
  }

  // The mailbox page: list, one mail, its HTML body (sandboxed), and JSON for scripts.
  private serve(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sink')
    const send = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...extra })
      res.end(body)
    }
    if (req.method === 'POST' && url.pathname === '/vider') {
      this.clear()
      res.writeHead(303, { location: '/' })
      return res.end()
    }
    const replyMatch = /^\/messages\/(\d+)\/repondre$/.exec(url.pathname)
    if (req.method === 'POST' && replyMatch) {
      const chunks: Buffer[] = []
      let size = 0
      req.on('data', (c: Buffer) => { size += c.length; if (size <= 100_000) chunks.push(c) })
      req.on('end', () => {
        const text = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('texte') ?? ''
        void this.reply(replyMatch[1]!, text).then((note) => {
          this.replyNotes.set(replyMatch[1]!, note)
          res.writeHead(303, { location: `/messages/${replyMatch[1]}#reponse` })
          res.end()
        })
      })
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'Méthode non permise')
    if (url.pathname === '/') return send(200, 'text/html; charset=utf-8', listPage(this.messages, this.smtpUrl))
    if (url.pathname === '/api/messages') return send(200, 'application/json; charset=utf-8', JSON.stringify(this.messages))
    const match = /^\/messages\/(\d+)(\/html)?$/.exec(url.pathname)
    const mail = match ? this.messages.find((m) => m.id === match[1]) : undefined
    if (!match || !mail) return send(404, 'text/html; charset=utf-8', page('Introuvable', '<p>Ce message n’existe pas ou a été supprimé. <a href="/">Retour à la boîte</a></p>'))
    if (match[2]) {
      // A mail's HTML is foreign content: no scripts, no same-origin access.
      return send(200, 'text/html; charset=utf-8', mail.html, { 'content-security-policy': "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'" })
    }
    return send(200, 'text/html; charset=utf-8', mailPage(mail, this.replyRelay && mail.headers['reply-to'] ? { note: this.replyNotes.get(mail.id) } : null))
  }

  /**
   * Answers a mail as its recipient would from her mail client: to its Reply-To, through the inbound server, with the
   * original quoted below « Le … a écrit : » as Gmail does (Relais keeps only what is above it).
   */
  async reply(id: string, text: string): Promise<{ ok: boolean; text: string }> {
    const mail = this.messages.find((m) => m.id === id)
    const to = mail?.headers['reply-to']
    if (!mail || !to || !this.replyRelay) return { ok: false, text: 'Ce message n’a pas d’adresse de réponse.' }
    if (!text.trim()) return { ok: false, text: 'Écrivez votre réponse avant de l’envoyer.' }
    const quoted = mail.text.split('\n').map((l) => `> ${l}`).join('\n')
    const transport = nodemailer.createTransport({ url: this.replyRelay, ignoreTLS: true, disableFileAccess: true, disableUrlAccess: true })
    try {
      await transport.sendMail({
        from: mail.to[0], to, subject: /^re\s?:/i.test(mail.subject) ? mail.subject : `Re: ${mail.subject}`, inReplyTo: mail.messageId, references: mail.messageId,
        text: `${text.trim()}\n\nLe ${dateFormat.format(mail.receivedAt)}, ${mail.from} a écrit :\n${quoted}\n`,
      })
      return { ok: true, text: 'Réponse envoyée à Relais : elle arrive dans la saisine comme si vous aviez répondu depuis votre messagerie. La confirmation arrive ici.' }
    } catch (err) {
      const e = err as { response?: string; message?: string }
      return { ok: false, text: `Relais a refusé la réponse : ${(e.response ?? e.message ?? String(err)).replace(/^\d{3}\s*/, '')}` }
    } finally {
      transport.close()
    }
  }
}

function listen(server: { listen: (port: number, host: string) => unknown; once: (ev: string, fn: (...a: any[]) => void) => unknown; off: (ev: string, fn: (...a: any[]) => void) => unknown }, port: number, host: string) {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err)
    server.once('error', onError)
    server.once('listening', () => { server.off('error', onError); resolve() })
    server.listen(port, host)
  })
}

function headersOf(parsed: ParsedMail): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const { key, line } of parsed.headerLines) {
    const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim()
    headers[key] = key in headers ? `${headers[key]}\n${value}` : value
  }
  // Decoded values where mailparser has them (encoded words in Subject, names in addresses).
  for (const [key, value] of parsed.headers) {
    if (typeof value === 'string') headers[key] = value
    else if (isAddressObject(value)) headers[key] = value.text
  }
  return headers
}

function isAddressObject(value: unknown): value is AddressObject {
  return typeof value === 'object' && value !== null && 'value' in value && 'text' in value && Array.isArray((value as AddressObject).value)
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'medium', timeZone: 'Europe/Paris' })

function page(title: string, body: string, refresh = false): string {
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Relais, boîte de test</title>
${refresh ? '<meta http-equiv="refresh" content="5">' : ''}
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1e1e1e}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f3f3f3}pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem;border-radius:4px}
iframe{width:100%;height:32rem;border:1px solid #ccc}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}
.muted{color:#666}.ok{color:#1d6b2f;font-weight:600}.ko{color:#a4161a;font-weight:600}textarea{width:100%;font:inherit}
</style></head><body>${body}</body></html>`
}

function listPage(messages: ReceivedMail[], smtpUrl: string): string {
  const rows = [...messages].reverse().map((m) => `<tr>
<td>${escapeHtml(dateFormat.format(m.receivedAt))}</td>
<td>${escapeHtml(m.to.join(', '))}</td>
<td><a href="/messages/${m.id}">${escapeHtml(m.subject || '(sans objet)')}</a></td>
<td>${escapeHtml(m.from)}</td></tr>`).join('\n')
  return page('Boîte de réception', `<h1>Boîte de réception de test</h1>
<p class="muted">Tous les courriels envoyés par Relais à ${escapeHtml(smtpUrl)} arrivent ici, quel que soit le destinataire. Aucun ne part vraiment. La page se rafraîchit toutes les 5 secondes.</p>
<form method="post" action="/vider"><button type="submit">Vider la boîte</button></form>
${messages.length === 0 ? '<p>Aucun message reçu pour l’instant.</p>' : `<p>${messages.length} message${messages.length > 1 ? 's' : ''}</p>
<table><thead><tr><th>Reçu le</th><th>Destinataires</th><th>Objet</th><th>Expéditeur</th></tr></thead><tbody>
${rows}
</tbody></table>`}`, true)
}

function mailPage(m: ReceivedMail, replying: { note?: { ok: boolean; text: string } } | null): string {
  const headers = Object.entries(m.headers).map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')
  return page(m.subject || '(sans objet)', `<p><a href="/">← Boîte de réception</a></p>
<h1>${escapeHtml(m.subject || '(sans objet)')}</h1>
<dl><dt>De</dt><dd>${escapeHtml(m.from)}</dd><dt>À</dt><dd>${escapeHtml(m.to.join(', '))}</dd>
<dt>Reçu le</dt><dd>${escapeHtml(dateFormat.format(m.receivedAt))}</dd><dt>Message-ID</dt><dd>${escapeHtml(m.messageId)}</dd></dl>
${m.html ? `<h2>Version HTML</h2><iframe sandbox src="/messages/${m.id}/html" title="Version HTML du message"></iframe>` : ''}
<h2>Version texte</h2>${m.text ? `<pre>${escapeHtml(m.text)}</pre>` : '<p class="muted">Pas de version texte.</p>'}
${replying ? `<h2 id="reponse">Répondre</h2>
${replying.note ? `<p role="status" class="${replying.note.ok ? 'ok' : 'ko'}">${escapeHtml(replying.note.text)}</p>` : ''}
<p class="muted">Comme depuis la messagerie de ${escapeHtml(m.to[0] ?? '')} : la réponse part à ${escapeHtml(m.headers['reply-to'] ?? '')}.</p>
<form method="post" action="/messages/${m.id}/repondre"><p><label for="texte">Votre réponse</label><br>
<textarea id="texte" name="texte" rows="6" cols="80" required></textarea></p><p><button type="submit">Envoyer la réponse</button></p></form>` : ''}
<details><summary>En-têtes</summary><dl>${headers}</dl></details>`)
}
