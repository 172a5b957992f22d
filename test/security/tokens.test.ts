import t from 'tap'
import pg from 'pg'
import { generateKeyPairSync, createSign } from 'node:crypto'
import { buildApp } from '@relais/api/app'
import { JWT_AUDIENCE, JWT_ISSUER } from '@relais/api/plugins/auth'
import { createTestEnv } from '../helpers/db.ts'
import { accessToken, auth, signJwt } from '../helpers/security.ts'

// Login throttling, refresh-token revocation and every forged access token we know of.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
t.teardown(async () => { await app.close(); await owner.end(); await env.drop() })
/** Time passes for the rotations already made: past the grace window (10 s) that answers two tabs refreshing at once. */
const pastGraceWindow = () => owner.query(`update refresh_session set revoked_at = revoked_at - interval '11 seconds' where revoked_at is not null`)

const me = (token: string) => app.inject({ url: '/api/v1/me', headers: auth(token) })
const login = (email: string, password: string, ip: string) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip })

t.test('1,000 wrong passwords from one address: throttled', async (t) => {
  const ip = '10.66.0.1'
  const counts: Record<number, number> = {}
  const started = Date.now()
  for (let i = 0; i < 1000; i++) {
    // Many accounts from one address (password spraying), and the same one again and again.
    const email = i % 2 ? 'referent@caf36.demo' : `inconnu${i}@indre.demo`
    const res = await login(email, `mauvais-${i}`, ip)
    counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1
  }
  t.comment(`1000 wrong passwords from ${ip}: ${counts[401] ?? 0} × 401, ${counts[429] ?? 0} × 429, others ${1000 - (counts[401] ?? 0) - (counts[429] ?? 0)} (${Date.now() - started} ms)`)
  t.same(Object.keys(counts).sort(), ['401', '429'], 'only 401 and 429')
  t.ok((counts[401] ?? 0) <= 30, `at most 30 passwords were checked (${counts[401]})`)
  t.ok((counts[429] ?? 0) >= 970, `the rest was refused unchecked (${counts[429]})`)

  const right = await login('tic@indre.demo', 'relais-demo', ip)
  t.equal(right.statusCode, 429, 'even the right password from that address waits')
  t.ok(Number(right.headers['retry-after']) > 0, 'with a Retry-After')
  t.equal((await login('tic@indre.demo', 'relais-demo', '10.66.0.2')).statusCode, 200, 'another address is not punished')
  // Issue 10 changed this rule: failures are counted per account and address, so an attacker no longer locks the owner out.
  t.equal((await login('referent@caf36.demo', 'relais-demo', '10.66.0.3')).statusCode, 200, 'the attacked account’s owner still gets in from her own address')
  t.equal((await login('referent@caf36.demo', 'relais-demo', ip)).statusCode, 429, 'while the attacking address waits, right password included')
})

t.test('a revoked refresh token never works again', async (t) => {
  const refresh = (value: string) => app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { relais_refresh: value } })
  const cookieOf = (res: Awaited<ReturnType<typeof refresh>>) => res.cookies.find((c) => c.name === 'relais_refresh')!.value
  const first = cookieOf(await login('secretaire@ardentes.demo', 'relais-demo', '10.66.1.1'))
  const rotated = await refresh(first)
  t.equal(rotated.statusCode, 200)
  const second = cookieOf(rotated)
  await pastGraceWindow()
  let replays = 0
  for (let i = 0; i < 20; i++) if ((await refresh(first)).statusCode === 200) replays++
  t.equal(replays, 0, 'the rotated-away token: 20 replays, none accepted')
  t.equal((await refresh(second)).statusCode, 401, 'its replay ended the whole family, the newer token too')

  const third = cookieOf(await login('secretaire@ardentes.demo', 'relais-demo', '10.66.1.1'))
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies: { relais_refresh: third } })).statusCode, 204)
  for (let i = 0; i < 5; i++) t.equal((await refresh(third)).statusCode, 401, `logged out token, attempt ${i + 1}`)
  const [tenant, id, secret] = third.split('.')
  t.equal((await refresh(`${tenant}.${id}.${secret}x`)).statusCode, 401, 'a guessed secret for a known session id')
  t.equal((await refresh(`${tenant}.${id}`)).statusCode, 401, 'a truncated cookie')
})

t.test('forged access tokens are refused', async (t) => {
  const good = await accessToken(app, 'tic@indre.demo')
  const claims = JSON.parse(Buffer.from(good.split('.')[1], 'base64url').toString()) as Record<string, unknown>
  const secret = env.config.JWT_SECRET
  const now = Math.floor(Date.now() / 1000)
  const hs = { alg: 'HS256', typ: 'JWT' }
  const base = { sub: claims.sub, tid: claims.tid, org: claims.org, role: claims.role, sid: claims.sid, iss: JWT_ISSUER, aud: JWT_AUDIENCE, iat: now, exp: now + 600 }

  // The control: a token built by hand the same way is accepted, so each refusal below is for its one change.
  t.equal((await me(signJwt(hs, base, secret))).statusCode, 200, 'control: a well-formed hand-made token works')

  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string
  const rs256 = (() => {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
    const input = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc(base)}`
    return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')}`
  })()
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const forged: [string, string][] = [
    ['expired', signJwt(hs, { ...base, iat: now - 3600, exp: now - 60 }, secret)],
    ['not yet valid (nbf in the future)', signJwt(hs, { ...base, nbf: now + 3600 }, secret)],
    ['issued in the future', signJwt(hs, { ...base, iat: now + 3600, exp: now + 7200 }, secret)],
    ['wrong audience', signJwt(hs, { ...base, aud: 'autre-api' }, secret)],
    ['no audience', signJwt(hs, { ...base, aud: undefined }, secret)],
    ['wrong issuer', signJwt(hs, { ...base, iss: 'quelqu-un' }, secret)],
    ['no issuer', signJwt(hs, { ...base, iss: undefined }, secret)],
    ['no expiry', signJwt(hs, { ...base, exp: undefined }, secret)],
    ['alg: none', `${enc({ alg: 'none', typ: 'JWT' })}.${enc(base)}.`],
    ['alg: NONE', `${enc({ alg: 'NONE', typ: 'JWT' })}.${enc(base)}.`],
    ['HS256 signed with an RSA public key as its secret', signJwt(hs, base, publicPem)],
    ['RS256 signed with a private key we do not trust', rs256],
    ['HS512 with the right secret', (() => { const input = `${enc({ alg: 'HS512', typ: 'JWT' })}.${enc(base)}`; return `${input}.${signJwt({ alg: 'HS512' }, {}, secret).split('.')[2]}` })()],
    ['HS256 with another secret', signJwt(hs, base, 'x'.repeat(64))],
    ['HS256 with an empty secret', signJwt(hs, base, '')],
    ['unknown person', signJwt(hs, { ...base, sub: '00000000-0000-4000-8000-000000000000' }, secret)],
    ['person of the Indre claimed in another tenant', signJwt(hs, { ...base, tid: '00000000-0000-4000-8000-000000000001' }, secret)],
    ['tid that is not a uuid', signJwt(hs, { ...base, tid: "' or 1=1 --" }, secret)],
    ['sub as a number', signJwt(hs, { ...base, sub: 1 }, secret)],
    ['payload tampered after signing', `${good.split('.')[0]}.${enc({ ...claims, role: 'network_admin', sub: claims.sub })}x.${good.split('.')[2]}`],
  ]
  for (const [why, token] of forged) {
    const res = await me(token)
    t.equal(res.statusCode, 401, why)
    t.equal(res.json().error?.code, 'unauthenticated', `${why}: the usual answer`)
  }
  t.comment(`${forged.length} forged tokens, all refused with 401`)
})

t.test('a deactivated person’s token stops working at once', async (t) => {
  const tic = await accessToken(app, 'tic@indre.demo')
  const login1 = await login('referent@ddt36.demo', 'relais-demo', '10.66.2.1')
  const token = login1.json().accessToken as string
  const cookie = login1.cookies.find((c) => c.name === 'relais_refresh')!.value
  const res = await me(token)
  t.equal(res.statusCode, 200)
  const personId = res.json().person.id as string
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/people/${personId}/deactivate`, headers: auth(tic) })).statusCode, 200)
  t.equal((await me(token)).statusCode, 401, 'the access token, still unexpired, is refused')
  t.equal((await app.inject({ url: '/api/v1/referrals', headers: auth(token) })).statusCode, 401, 'on every route')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies: { relais_refresh: cookie } })).statusCode, 401, 'the refresh token too')
  t.equal((await login('referent@ddt36.demo', 'relais-demo', '10.66.2.2')).statusCode, 401, 'and the password')

  // Reactivated: old tokens stay dead (sessions were revoked), a new login works.
  t.equal((await app.inject({ method: 'PATCH', url: `/api/v1/people/${personId}`, headers: auth(tic), payload: { active: true } })).statusCode, 200)
  t.equal((await me(token)).statusCode, 401, 'reactivation does not revive the old token')
  t.equal((await me(await accessToken(app, 'referent@ddt36.demo'))).statusCode, 200, 'a new login works')

  const before = await accessToken(app, 'referent@caf36.demo'.replace('referent', 'referent2'))
  const karim = (await me(before)).json().person.id as string
  t.equal((await app.inject({ method: 'PATCH', url: `/api/v1/people/${karim}`, headers: auth(tic), payload: { password: 'Un-nouveau-mot-de-passe-2025!' } })).statusCode, 200)
  t.equal((await me(before)).statusCode, 401, 'a password change ends the tokens issued before it')
})
