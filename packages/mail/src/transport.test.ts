import t from 'tap'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { MailSink } from './sink.ts'
import { renderMail } from './render.ts'
import { classifySendError, createMailTransport, deterministicMessageId, type OutgoingMail } from './transport.ts'

const FROM = 'Relais <ne-pas-repondre@relais.local>'

// The mail sink the whole project uses: refuses some recipients like a real server would.
const sink = new MailSink({
  rejectRecipient: (address) => (address.startsWith('inconnu@') ? 550 : address.startsWith('plein@') ? 451 : null),
})
const { smtpUrl } = await sink.start()
const transport = createMailTransport(smtpUrl, FROM)
t.teardown(async () => {
  transport.close()
  await sink.stop()
})

const rendered = renderMail('referral_new', {
  publicUrl: 'https://relais.indre.example',
  referralId: 'ref-1',
  reference: '36-2026-000042',
  theme: 'Aides CAF',
  commune: 'Ardentes',
  mairie: 'Mairie d’Ardentes',
  question: 'Mon aide au logement a baissé <script>alert(1)</script>\nPourquoi ?',
  citizen: { name: 'Jeanne Durand', email: 'jeanne@example.org', preferredChannel: 'email' },
  dueAt: new Date('2026-05-25T07:00:00Z'),
})
const mail = (to: string[], key: string): OutgoingMail => ({ to, ...rendered, messageId: deterministicMessageId(key), kind: 'referral_new' })

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

t.test('delivers the rendered mail under the given Message-ID, with the automatic-mail headers', async (t) => {
  const result = await transport.send(mail(['referent@caf36.demo'], 'outbox-42'))
  t.ok(result.ok && /^250/.test(result.response), 'the server said 250')
  t.notOk(result.ok && result.rejected, 'nobody refused')
  const got = await sink.waitFor((m) => m.messageId === '<outbox-42@relais.local>')
  t.same(got.to, ['referent@caf36.demo'])
  t.equal(got.from, 'ne-pas-repondre@relais.local')
  t.equal(got.subject, 'Nouvelle saisine 36-2026-000042 : Aides CAF (Ardentes)', 'French subject decoded intact')
  t.match(got.text, 'Mon aide au logement a baissé <script>alert(1)</script>\nPourquoi ?')
  t.match(got.html, 'Mon aide au logement a baissé &lt;script&gt;alert(1)&lt;/script&gt;<br>')
  t.match(got.text, 'https://relais.indre.example/saisines/ref-1')
  t.equal(got.headers['auto-submitted'], 'auto-generated')
  t.equal(got.headers['x-relais-kind'], 'referral_new')
  t.equal(got.headers['x-auto-response-suppress'], 'All')
})

t.test('the same outbox row sent twice carries the same Message-ID both times', async (t) => {
  sink.clear()
  t.ok((await transport.send(mail(['referent@caf36.demo'], 'outbox-43'))).ok)
  t.ok((await transport.send(mail(['referent@caf36.demo'], 'outbox-43'))).ok)
  await sink.waitForCount(2)
  t.same(sink.messages.map((m) => m.messageId), ['<outbox-43@relais.local>', '<outbox-43@relais.local>'])
})

t.test('550 on RCPT is a permanent failure that names the address', async (t) => {
  sink.clear()
  const result = await transport.send(mail(['inconnu@caf36.demo'], 'outbox-44'))
  t.match(result, { ok: false, permanent: true, code: 550 })
  t.ok(!result.ok && result.rejected?.[0]?.address === 'inconnu@caf36.demo')
  t.equal(sink.messages.length, 0, 'nothing delivered')
})

t.test('451 on RCPT is a temporary failure', async (t) => {
  sink.clear()
  const result = await transport.send(mail(['plein@caf36.demo'], 'outbox-45'))
  t.match(result, { ok: false, permanent: false, code: 451 })
  t.equal(sink.messages.length, 0)
})

t.test('one refused recipient among several: the others get it and the refusal is reported', async (t) => {
  sink.clear()
  const result = await transport.send(mail(['admin@caf36.demo', 'inconnu@caf36.demo'], 'outbox-46'))
  t.ok(result.ok)
  t.match(result, { rejected: [{ address: 'inconnu@caf36.demo', permanent: true, code: 550 }] })
  const got = await sink.waitFor((m) => m.messageId === '<outbox-46@relais.local>')
  t.same(got.to, ['admin@caf36.demo'])

  const none = await transport.send(mail(['inconnu@caf36.demo', 'plein@caf36.demo'], 'outbox-47'))
  t.match(none, { ok: false, permanent: false }, 'not permanent while one refusal is temporary')
  const all = await transport.send(mail(['inconnu@caf36.demo', 'inconnu@cpam36.demo'], 'outbox-48'))
  t.match(all, { ok: false, permanent: true })
})

t.test('server down is a temporary failure, and the same transport delivers once it is back', async (t) => {
  sink.clear()
  await sink.stop()
  const down = await transport.send(mail(['referent@caf36.demo'], 'outbox-49'))
  t.match(down, { ok: false, permanent: false, code: null })
  t.ok(!down.ok && /ECONNREFUSED/.test(down.message), 'the message says why')
  await sink.start()
  t.ok((await transport.send(mail(['referent@caf36.demo'], 'outbox-49'))).ok)
  await sink.waitFor((m) => m.messageId === '<outbox-49@relais.local>')

  const nowhere = createMailTransport(`smtp://127.0.0.1:${await freePort()}`, FROM)
  t.match(await nowhere.send(mail(['referent@caf36.demo'], 'outbox-50')), { ok: false, permanent: false })
  nowhere.close()
})

t.test('a server that never greets is a temporary failure within the greeting timeout', async (t) => {
  const sockets = new Set<net.Socket>()
  const silent = net.createServer((s) => { sockets.add(s) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); silent.close() })
  const slow = createMailTransport(`smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`, FROM, { greetingTimeout: 300 })
  const started = Date.now()
  const result = await slow.send(mail(['referent@caf36.demo'], 'outbox-51'))
  t.match(result, { ok: false, permanent: false, code: null, message: /ETIMEDOUT/ })
  t.ok(Date.now() - started < 3000, 'gave up quickly')
  slow.close()
})

t.test('a refusal after DATA is permanent; one of the sender (MAIL FROM) is not the recipient’s fault', async (t) => {
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onMailFrom(address, _session, cb) {
      if (address.address.startsWith('bloque@')) return cb(Object.assign(new Error('Expéditeur refusé'), { responseCode: 550 }))
      cb()
    },
    onData(stream, _session, cb) {
      stream.resume()
      stream.on('end', () => cb(Object.assign(new Error('Contenu refusé'), { responseCode: 554 })))
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`

  const data = createMailTransport(url, FROM)
  t.match(await data.send(mail(['referent@caf36.demo'], 'outbox-52')), { ok: false, permanent: true, code: 554, message: /Contenu refusé/ })
  data.close()
  const sender = createMailTransport(url, 'bloque@relais.local')
  t.match(await sender.send(mail(['referent@caf36.demo'], 'outbox-53')), { ok: false, permanent: false, code: 550 })
  sender.close()
})

t.test('classifySendError', async (t) => {
  t.match(classifySendError({ responseCode: 550, command: 'RCPT TO', response: '550 no' }), { permanent: true, code: 550, message: '550 no' })
  t.match(classifySendError({ responseCode: 552, command: 'DATA' }), { permanent: true })
  t.match(classifySendError({ responseCode: 503, command: 'RCPT TO' }), { permanent: false }, '503 is a session problem')
  t.match(classifySendError({ responseCode: 421, command: 'CONN' }), { permanent: false })
  t.match(classifySendError({ responseCode: 535, command: 'AUTH PLAIN' }), { permanent: false }, 'bad credentials are ours to fix')
  t.match(classifySendError({ code: 'ETIMEDOUT', message: 'Timeout' }), { permanent: false, code: null, message: 'ETIMEDOUT: Timeout' })
  t.match(classifySendError(undefined), { ok: false, permanent: false })
})

t.test('deterministicMessageId', async (t) => {
  t.equal(deterministicMessageId('outbox-42'), '<outbox-42@relais.local>')
  t.equal(deterministicMessageId('outbox-42', 'indre.fr'), '<outbox-42@indre.fr>')
  t.equal(deterministicMessageId('outbox-42'), deterministicMessageId('outbox-42'), 'same key, same id')
  const a = deterministicMessageId('referral:1:reminder')
  const b = deterministicMessageId('referral 1 reminder')
  t.match(a, /^<referral-1-reminder\.[0-9a-f]{12}@relais\.local>$/)
  t.not(a, b, 'keys that differ only by unsafe characters stay distinct')
  t.throws(() => deterministicMessageId(''), /empty key/)
})
