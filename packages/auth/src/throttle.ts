import type { Redis } from 'ioredis'
import { sha256 } from '@relais/db/credentials'

// Failures, not attempts, are counted: a person who types right is never slowed down.
const WINDOW_SECONDS = 15 * 60
const MAX_PER_EMAIL = 5
const MAX_PER_ADDRESS = 30

export class LoginThrottle {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private keys(email: string, ip: string) {
    return [`${this.prefix}:login-fail:email:${sha256(email.toLowerCase())}`, `${this.prefix}:login-fail:ip:${ip}`]
  }

  /** Seconds to wait, or 0 when the attempt may proceed. Redis down: proceed (logged by the caller). */
  async retryAfter(email: string, ip: string): Promise<number> {
    const [emailKey, ipKey] = this.keys(email, ip)
    const [[, e], [, i], [, ttlE], [, ttlI]] = (await this.redis.multi().get(emailKey).get(ipKey).ttl(emailKey).ttl(ipKey).exec()) as [unknown, string | null][]
    if (Number(e ?? 0) >= MAX_PER_EMAIL) return Math.max(1, Number(ttlE))
    if (Number(i ?? 0) >= MAX_PER_ADDRESS) return Math.max(1, Number(ttlI))
    return 0
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const multi = this.redis.multi()
    for (const key of this.keys(email, ip)) multi.incr(key).expire(key, WINDOW_SECONDS, 'NX')
    await multi.exec()
  }

  async recordSuccess(email: string): Promise<void> {
    await this.redis.del(this.keys(email, '')[0])
  }
}
