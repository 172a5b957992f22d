import t from 'tap'
import { Redis } from 'ioredis'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'

// The login throttle under concurrency: a check and an increment that are one step, counted per account and
// address, with a per-account ceiling that slows an attack spread over many addresses without locking the owner out.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
const redis = new Redis(env.config.REDIS_URL)
t.teardown(async () => { await app.close(); redis.disconnect(); await env.drop() })

const login = (email: string, password: string, ip: string) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip })
const tally = (codes: number[]) => Object.entries(codes.reduce<Record<number, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {}))
  .map(([code, n]) => `${n} × ${code}`).join(' + ')

t.test('40 concurrent wrong passwords on one account from one address: 5 checked, 35 refused unchecked', async (t) => {
  const res = await Promise.all(Array.from({ length: 40 }, (_, i) => login('referent@caf36.demo', `mauvais-${i}`, '10.88.0.1')))
  const codes = res.map((r) => r.statusCode)
  t.comment(`40 concurrent wrong passwords, one account, one address: ${tally(codes)}`)
  t.equal(codes.filter((c) => c === 401).length, 5, 'exactly 5 passwords were checked')
  t.equal(codes.filter((c) => c === 429).length, 35, 'the other 35 waited')
  const refused = res.find((r) => r.statusCode === 429)!
  t.ok(Number(refused.headers['retry-after']) > 0, 'with a Retry-After')
  t.match(refused.json().error.message, /réessayez dans \d+ (minutes?|secondes?)/, 'saying in French how long to wait')

  const owner = await login('referent@caf36.demo', 'relais-demo', '10.88.0.2')
  t.equal(owner.statusCode, 200, 'the owner, from her own address, is not locked out by someone else’s failures')
  t.equal((await login('referent@caf36.demo', 'relais-demo', '10.88.0.1')).statusCode, 429, 'the address that failed still waits, right password included')
})

t.test('the same attack spread over 40 addresses slows the account, never locks its owner out', async (t) => {
  const email = 'referent@ddt36.demo'
  const res = await Promise.all(Array.from({ length: 40 }, (_, i) => login(email, `mauvais-${i}`, `10.88.1.${i + 1}`)))
  const codes = res.map((r) => r.statusCode)
  t.comment(`40 concurrent wrong passwords, one account, 40 addresses: ${tally(codes)}`)
  const checked = codes.filter((c) => c === 401).length
  t.ok(checked >= 20 && checked <= 21, `the account ceiling held: ${checked} passwords checked`)
  t.equal(checked + codes.filter((c) => c === 429).length, 40, 'only 401 and 429')
  const slowed = res.find((r) => r.statusCode === 429)!
  const wait = Number(slowed.headers['retry-after'])
  t.ok(wait > 0 && wait <= 30, `the account is slowed for seconds, not locked for minutes (Retry-After ${wait})`)
  t.match(slowed.json().error.message, /réessayez dans \d+ secondes?/)

  // Time passes (the slow-down's slot expires): the owner gets in with the right password from anywhere.
  for (const key of await redis.keys(`${env.config.REDIS_PREFIX}:login:slow:*`)) await redis.pexpire(key, 1)
  await new Promise((r) => setTimeout(r, 20))
  t.equal((await login(email, 'relais-demo', '10.88.2.1')).statusCode, 200, 'the owner logs in once the slot is free')
})

t.test('a success clears its address’s failures on that account', async (t) => {
  const email = 'admin@caf36.demo'
  for (let i = 0; i < 4; i++) t.equal((await login(email, 'faux', '10.88.3.1')).statusCode, 401)
  t.equal((await login(email, 'relais-demo', '10.88.3.1')).statusCode, 200)
  for (let i = 0; i < 4; i++) t.equal((await login(email, 'faux', '10.88.3.1')).statusCode, 401, `after the success, failure ${i + 1} is checked again`)
})
