// Reply addresses (issue 15): r+<outbox id>.<signature>@<MAIL_REPLY_DOMAIN>. The outbox mail names the referral and the
// person it went to, so the address is unique to both; the HMAC proves Relais made it, so nothing secret is stored
// and an address cannot be guessed from another (ids are sequential, signatures are not).
import { createHmac, timingSafeEqual } from 'node:crypto'

const LABEL = 'relais reply address v1'

/** The signing key, derived from the timeline key (one secret to keep, one purpose per derived key). */
export function replyKey(timelineKey: string): Buffer {
  return createHmac('sha256', timelineKey).update(LABEL).digest()
}

const signature = (key: Buffer, outboxId: string) => createHmac('sha256', key).update(`reply:${outboxId}`).digest('hex').slice(0, 24)

export function replyAddress(key: Buffer, outboxId: string, domain: string): string {
  return `r+${outboxId}.${signature(key, outboxId)}@${domain}`
}

/**
 * The outbox id an address names, or null when it is not one of ours (wrong domain, bad shape, bad signature). Case is
 * ignored: some servers lower- or upper-case the local part.
 */
export function parseReplyAddress(key: Buffer, address: string, domain: string): string | null {
  const m = /^r\+([0-9]{1,18})\.([0-9a-f]{24})@(.+)$/i.exec(address.trim())
  if (!m || m[3]!.toLowerCase() !== domain.toLowerCase()) return null
  const expected = Buffer.from(signature(key, m[1]!), 'hex')
  const given = Buffer.from(m[2]!.toLowerCase(), 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected) ? m[1]! : null
}
