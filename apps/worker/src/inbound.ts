// The inbound SMTP server (issue 15): takes mails to reply addresses at MAIL_REPLY_DOMAIN and hands each to the
// use case, which acts as its person would on the page. Every refusal is an SMTP answer in French or a mail saying why.
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { SMTPServer } from 'smtp-server'
import { replyDomain, timelineKeyring, type Config } from '@relais/config'
import { createKysely, createPool, type DB } from '@relais/db'
import { readInboundMail } from '@relais/mail/inbound'
import { isReplyAddress, receiveReply, replyKey, UNKNOWN_ADDRESS, useTimelineKeys, type InboundDeps } from '@relais/referrals'

/**
 * A reply with its history and a signature is a few kB; its files may add up to a referral's 30 Mo, which base64 makes
 * about 41 Mo on the wire. A larger mail is refused at once (552); the mail is held in memory up to this bound only.
 */
export const INBOUND_MAX_BYTES = 42 * 1024 * 1024

export interface InboundOptions { log: Logger; clock?: () => Date; host?: string; port?: number }

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code })

export async function startInbound(config: Config, opts: InboundOptions) {
  useTimelineKeys(timelineKeyring(config))
  const domain = replyDomain(config)
  if (!domain) throw new Error('MAIL_REPLY_DOMAIN is not set: no reply address exists, the inbound server has nothing to take')
  const pool = createPool(config.APP_DATABASE_URL, 4)
  pool.on('error', (err) => opts.log.warn({ err: err.message }, 'idle database client error'))
  const db: DB = createKysely(pool)
  const deps: InboundDeps = { db, key: replyKey(config.TIMELINE_HMAC_KEY), domain, now: opts.clock ?? (() => new Date()) }
  const log = opts.log

  const server = new SMTPServer({
    // Behind the organisation's mail relay (which does TLS and spam filtering) or local: plain SMTP, no AUTH.
    secure: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: INBOUND_MAX_BYTES,
    logger: false,
    banner: 'Relais, réponses par courriel',
    onRcptTo(address, _session, callback) {
      if (!isReplyAddress(deps, address.address)) return callback(smtpError(550, UNKNOWN_ADDRESS))
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      let size = 0
      // smtp-server stops counting, not reading, past `size`: keep nothing beyond it.
      stream.on('data', (chunk: Buffer) => { size += chunk.length; if (size <= INBOUND_MAX_BYTES) chunks.push(chunk) })
      stream.on('error', callback)
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(smtpError(552, 'Courriel trop volumineux (30 Mo de pièces jointes au plus) : il n’a pas été enregistré. Déposez les pièces jointes dans Relais.'))
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
        void (async () => {
          const mail = await readInboundMail(Buffer.concat(chunks), envelopeFrom)
          // One reply address per mail in practice; each recipient is handled on its own, the first refusal answers.
          let refusal: { code: number; message: string } | null = null
          for (const rcpt of session.envelope.rcptTo) {
            const result = await receiveReply(deps, rcpt.address, mail)
            log.info({ to: rcpt.address, messageId: mail.messageId, outcome: result.outcome }, 'inbound mail')
            if (result.code >= 400) refusal ??= result
          }
          callback(refusal ? smtpError(refusal.code, refusal.message) : null)
        })().catch((err: unknown) => {
          log.error({ err }, 'inbound mail failed')
          // Temporary: the sending server keeps the mail and tries again.
          callback(smtpError(451, 'Erreur momentanée de Relais : réessayez plus tard.'))
        })
      })
    },
  })
  server.on('error', (err) => log.warn({ err: err.message }, 'inbound SMTP error'))
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(opts.port ?? config.MAIL_IN_PORT, opts.host ?? config.HOST, () => { server.server.off('error', reject); resolve() })
  })
  const port = (server.server.address() as AddressInfo).port
  return {
    port,
    domain,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await db.destroy()
    },
  }
}
