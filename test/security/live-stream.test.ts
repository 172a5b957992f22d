import t from 'tap'
import net from 'node:net'
import { Redis } from 'ioredis'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { accessToken, auth } from '../helpers/security.ts'
import { Visitor } from '../helpers/visitor.ts'

// The live inbox stream lives only as long as its session, a person opens a few at most, and a Redis that was
// down when the first stream opened does not leave every later stream deaf.

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false, liveRecheckMs: 200 })
await app.listen({ port: 0, host: '127.0.0.1' })
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
t.teardown(async () => {
  // fetch keeps its sockets alive for reuse: let them go rather than wait for their timeout.
  app.server.closeAllConnections()
  await app.close()
  await env.drop()
})

const cookieHeader = (v: Visitor) => Object.entries(v.cookies).map(([k, val]) => `${k}=${val}`).join('; ')

/** Opens the stream over HTTP; `ended(ms)` says whether the server closed it within ms; `next(ms)` reads a chunk. */
async function stream(v: Visitor) {
  const ctrl = new AbortController()
  const res = await fetch(`${base}/saisines/flux`, { headers: { cookie: cookieHeader(v) }, signal: ctrl.signal })
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let closed = false
  let pending: Promise<{ done: boolean; value?: Uint8Array }> | null = null
  const read = async (ms: number): Promise<string | null> => {
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())
    pending ??= reader.read().catch(() => ({ done: true, value: undefined }))
    const chunk = await Promise.race([pending, timer])
    if (chunk === 'timeout') return null
    pending = null
    if (chunk.done) { closed = true; return '' }
    return decoder.decode(chunk.value!)
  }
  return {
    status: res.status,
    async ended(ms: number) {
      const deadline = Date.now() + ms
      while (!closed && Date.now() < deadline) await read(deadline - Date.now())
      return closed
    },
    async next(ms: number) { return read(ms) },
    stop() { ctrl.abort() },
  }
}

async function referent(email = 'referent@caf36.demo') {
  const v = new Visitor(app)
  t.equal((await v.login(email)).statusCode, 303)
  return v
}

t.test('logging out closes the open stream', async (t) => {
  const v = await referent()
  const s = await stream(v)
  t.equal(s.status, 200)
  t.match(await s.next(2000), /retry: 5000/)
  t.equal(await s.ended(600), false, 'open while the session holds')
  await app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies: { relais_refresh: v.cookies.relais_refresh } })
  const closed = await s.ended(3000)
  t.comment(`stream after logout: ${closed ? 'closed' : 'still open after 3 s'}`)
  t.ok(closed, 'the server ended the stream')
  s.stop()
})

t.test('deactivating the person closes her open stream', async (t) => {
  const v = await referent('referent@ddt36.demo')
  const s = await stream(v)
  t.match(await s.next(2000), /retry: 5000/)
  const tic = await accessToken(app, 'tic@indre.demo')
  const personId = (await app.inject({ url: '/api/v1/me', headers: auth(v.cookies.relais_session) })).json().person.id as string
  t.equal((await app.inject({ method: 'POST', url: `/api/v1/people/${personId}/deactivate`, headers: auth(tic) })).statusCode, 200)
  const closed = await s.ended(3000)
  t.comment(`stream after deactivation: ${closed ? 'closed' : 'still open after 3 s'}`)
  t.ok(closed, 'the server ended the stream')
  s.stop()
})

t.test('a person opens a few streams at most', async (t) => {
  const tic = new Visitor(app)
  await tic.login('tic@indre.demo')
  const streams = []
  for (let i = 0; i < 8; i++) streams.push(await stream(tic))
  const codes = streams.map((s) => s.status)
  t.comment(`8 streams for one person: ${codes.join(', ')}`)
  t.same(codes.filter((c) => c === 200).length, 5, 'five open')
  t.same(codes.filter((c) => c === 429).length, 3, 'the others refused')
  for (const s of streams) s.stop()
  await new Promise((r) => setTimeout(r, 300))
  const again = await stream(tic)
  t.equal(again.status, 200, 'closing tabs frees their places')
  again.stop()
})

t.test('a Redis down at the first stream: the subscription is tried again', async (t) => {
  // Redis reached through a door that is shut at first, then opened.
  const port = await new Promise<number>((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)) }) })
  const flaky = await buildApp({ ...env.config, REDIS_URL: `redis://127.0.0.1:${port}` }, { logger: false, liveRecheckMs: 200 })
  await flaky.listen({ port: 0, host: '127.0.0.1' })
  const flakyBase = `http://127.0.0.1:${(flaky.server.address() as { port: number }).port}`
  const v = await referent('referent@caf18.demo')
  // The login went through the first app (its Redis is fine); the stream is opened on the flaky one.
  const ctrl = new AbortController()
  const res = await fetch(`${flakyBase}/saisines/flux`, { headers: { cookie: cookieHeader(v) }, signal: ctrl.signal })
  t.equal(res.status, 200, 'the stream opens even though Redis is down')
  const sockets = new Set<net.Socket>()
  const door = net.createServer((client) => {
    const upstream = net.connect(6379, '127.0.0.1')
    sockets.add(client).add(upstream)
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>((r) => door.listen(port, '127.0.0.1', () => r()))
  t.teardown(async () => {
    ctrl.abort()
    await flaky.close()
    for (const socket of sockets) socket.destroy()
    door.close()
  })

  const me = (await app.inject({ url: '/api/v1/me', headers: auth(v.cookies.relais_session) })).json()
  const publisher = new Redis(env.config.REDIS_URL)
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let got = ''
  const deadline = Date.now() + 10_000
  // One read pending at a time: a chunk must not go to a read whose race was already lost.
  let pending: ReturnType<typeof reader.read> | null = null
  while (!got.includes('event: saisine') && Date.now() < deadline) {
    await publisher.publish(`${env.config.REDIS_PREFIX}:live:${me.tenant.id}:${me.organisation.id}`, JSON.stringify({ id: 'x', reference: '18-TEST' }))
    pending ??= reader.read()
    const chunk = await Promise.race([pending, new Promise<null>((r) => setTimeout(() => r(null), 500))])
    if (chunk) { pending = null; if (!chunk.done) got += decoder.decode(chunk.value) }
  }
  publisher.disconnect()
  t.comment(`new referral on a stream opened while Redis was down: ${got.includes('event: saisine') ? 'received' : 'never received'}`)
  t.match(got, /event: saisine/, 'once Redis is back, the stream receives new referrals')
})
