import type { Redis } from 'ioredis'
import { sha256 } from '@relais/db/credentials'

// Failures, not attempts, are counted: a person who types right is never slowed down. Each attempt reserves its
// place in one Redis script (check and increment are one step), so concurrent attempts cannot all slip past the
// check; a success gives its reservation back.
const WINDOW_SECONDS = 15 * 60
/** Failures of one account from one address before that address waits the window out for that account. */
const MAX_PER_ACCOUNT_AND_ADDRESS = 5
/** Failures from one address, whatever the accounts (password spraying). */
const MAX_PER_ADDRESS = 30
/**
 * Failures of one account from every address before it is slowed: then one password check every SLOW_SECONDS.
 * A ceiling that locked would let anyone lock the owner out; this one only slows a spread-out attack.
 */
const ACCOUNT_SLOW_AFTER = 20
const SLOW_SECONDS = 30

const RESERVE = `
local window = tonumber(ARGV[4]) * 1000
local pair = tonumber(redis.call('GET', KEYS[1]) or '0')
if pair >= tonumber(ARGV[1]) then return redis.call('PTTL', KEYS[1]) end
local address = tonumber(redis.call('GET', KEYS[2]) or '0')
if address >= tonumber(ARGV[2]) then return redis.call('PTTL', KEYS[2]) end
local account = tonumber(redis.call('GET', KEYS[3]) or '0')
if account >= tonumber(ARGV[3]) then
  if not redis.call('SET', KEYS[4], '1', 'PX', tonumber(ARGV[5]) * 1000, 'NX') then return redis.call('PTTL', KEYS[4]) end
end
for i = 1, 3 do
  redis.call('INCR', KEYS[i])
  if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], window) end
end
return 0
`

const RELEASE = `
if ARGV[1] == 'forgive' then redis.call('DEL', KEYS[1]) end
for i = (ARGV[1] == 'forgive' and 2 or 1), 3 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
`

export class LoginThrottle {
  /** scope: what is counted — failed logins, requests for a password link (each counts, none is given back), or /suivi's wrong codes (the account is then a reference). */
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly scope: 'login' | 'reset' | 'tracking' = 'login') {}

  private keys(email: string, ip: string) {
    const account = sha256(email.toLowerCase())
    return [
      `${this.prefix}:${this.scope}:fail:pair:${account}:${ip}`,
      `${this.prefix}:${this.scope}:fail:ip:${ip}`,
      `${this.prefix}:${this.scope}:fail:account:${account}`,
      `${this.prefix}:${this.scope}:slow:${account}`,
    ]
  }

  /**
   * Reserves one attempt, counted as a failure until `succeeded` gives it back: seconds to wait (nothing was
   * reserved), or 0 when the password may be checked. Redis down: proceed (logged by the caller).
   */
  async reserve(email: string, ip: string): Promise<number> {
    const ms = Number(await this.redis.eval(RESERVE, 4, ...this.keys(email, ip),
      MAX_PER_ACCOUNT_AND_ADDRESS, MAX_PER_ADDRESS, ACCOUNT_SLOW_AFTER, WINDOW_SECONDS, SLOW_SECONDS))
    return ms > 0 ? Math.ceil(ms / 1000) : ms === 0 ? 0 : 1
  }

  /** The right password: this address's failures on the account are forgiven, the reservation given back. */
  async succeeded(email: string, ip: string): Promise<void> {
    await this.redis.eval(RELEASE, 3, ...this.keys(email, ip).slice(0, 3), 'forgive')
  }

  /** The attempt could not be judged (an outage): its reservation is given back, nothing is forgiven. */
  async release(email: string, ip: string): Promise<void> {
    await this.redis.eval(RELEASE, 3, ...this.keys(email, ip).slice(0, 3), 'release')
  }
}

/** "30 secondes", "15 minutes": how long to wait, in French. */
export function frenchDelay(seconds: number): string {
  if (seconds < 60) return `${seconds} seconde${seconds > 1 ? 's' : ''}`
  const minutes = Math.ceil(seconds / 60)
  return `${minutes} minute${minutes > 1 ? 's' : ''}`
}
