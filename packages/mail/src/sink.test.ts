import t from 'tap'
import nodemailer, { type SendMailOptions } from 'nodemailer'
import { MailSink } from './sink.ts'

const sink = new MailSink({ httpPort: 0 })
const { smtpPort, httpPort, smtpUrl } = await sink.start()
t.teardown(() => sink.stop())

const transport = (url = smtpUrl) => nodemailer.createTransport(url)
const send = (opts: SendMailOptions, url = smtpUrl) =>
  transport(url).sendMail({ from: 'Relais <ne-pas-repondre@relais.local>', ...opts })
const web = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${httpPort}${path}`, { redirect: 'manual', ...init })

t.test('start gives the ports and an smtp:// URL', async (t) => {
  t.ok(smtpPort > 0)
  t.ok(httpPort! > 0)
  t.equal(smtpUrl, `smtp://127.0.0.1:${smtpPort}`)
})

t.test('accepts a mail and keeps what the recipient would read', async (t) => {
  sink.clear()
  const info = await send({
    to: 'referent@caf36.demo', cc: 'admin@caf36.demo', bcc: 'archive@relais.local',
    subject: 'Nouvelle saisine : aides CAF — réponse attendue sous 72 h',
    text: 'Bonjour,\nUne saisine vous attend.', html: '<p>Bonjour,</p><p>Une <b>saisine</b> vous attend.</p>',
    messageId: '<saisine-42.notification@relais.local>', headers: { 'X-Relais-Referral': '42' },
  })
  t.same(info.accepted.sort(), ['admin@caf36.demo', 'archive@relais.local', 'referent@caf36.demo'])
  const m = await sink.waitFor((m) => m.to.includes('referent@caf36.demo'))
  t.equal(m.subject, 'Nouvelle saisine : aides CAF — réponse attendue sous 72 h', 'accents decoded')
  t.equal(m.from, 'ne-pas-repondre@relais.local')
  t.same([...m.to].sort(), ['admin@caf36.demo', 'archive@relais.local', 'referent@caf36.demo'], 'envelope recipients, Bcc included')
  t.equal(m.messageId, '<saisine-42.notification@relais.local>')
  t.equal(m.messageId, info.messageId, 'same form as nodemailer reports it')
  t.match(m.text, /Une saisine vous attend\./)
  t.match(m.html, /<b>saisine<\/b>/)
  t.equal(m.headers['x-relais-referral'], '42')
  t.equal(m.headers.subject, m.subject)
  t.match(m.headers.to, /referent@caf36\.demo/)
  t.ok(m.receivedAt instanceof Date)
  t.equal(sink.messages.length, 1)
})

t.test('waitFor waits for a mail to come; waitForCount; a timeout says what was received', async (t) => {
  sink.clear()
  const waiting = sink.waitFor((m) => m.subject === 'plus tard', 3000)
  await send({ to: 'a@relais.local', subject: 'autre chose', text: 'x' })
  await send({ to: 'b@relais.local', subject: 'plus tard', text: 'y' })
  t.same((await waiting).to, ['b@relais.local'])
  await sink.waitForCount(2, 1000)
  await t.rejects(sink.waitForCount(3, 50), /2 mail\(s\)/)
  await t.rejects(sink.waitFor((m) => m.subject === 'jamais', 50), /autre chose/)
  sink.clear()
  t.equal(sink.messages.length, 0)
})

t.test('550: a recipient refused for good; the others still get the mail', async (t) => {
  sink.clear()
  sink.rejectRecipient = (address) => (address === 'parti@ddt36.demo' ? 550 : null)
  t.teardown(() => { sink.rejectRecipient = undefined })
  const err = await send({ to: 'parti@ddt36.demo', subject: 'refusé', text: 'x' }).then(() => null, (e) => e)
  t.ok(err, 'sending to the refused address alone fails')
  t.equal(err.responseCode, 550)
  t.same(err.rejected, ['parti@ddt36.demo'])

  const info = await send({ to: ['parti@ddt36.demo', 'referent@ddt36.demo'], subject: 'en partie', text: 'x' })
  t.same(info.rejected, ['parti@ddt36.demo'])
  t.same(info.accepted, ['referent@ddt36.demo'])
  const m = await sink.waitFor((m) => m.subject === 'en partie')
  t.same(m.to, ['referent@ddt36.demo'])
  t.equal(sink.messages.length, 1, 'nothing kept for the refused-only send')
})

t.test('451: temporary refusal set at run time, then accepted once lifted', async (t) => {
  sink.clear()
  const sinkWith451 = new MailSink({ rejectRecipient: (a) => (a.endsWith('@cpam36.demo') ? 451 : null) })
  const { smtpUrl: url } = await sinkWith451.start()
  t.teardown(() => sinkWith451.stop())
  const err = await send({ to: 'referent@cpam36.demo', subject: 'plus tard', text: 'x' }, url).then(() => null, (e) => e)
  t.equal(err?.responseCode, 451, 'option given to the constructor')
  sinkWith451.rejectRecipient = undefined
  await send({ to: 'referent@cpam36.demo', subject: 'maintenant', text: 'x' }, url)
  t.equal((await sinkWith451.waitFor(() => true)).subject, 'maintenant')

  sink.rejectRecipient = () => 451
  const again = await send({ to: 'x@relais.local', subject: 's', text: 'x' }).then(() => null, (e) => e)
  t.equal(again?.responseCode, 451, 'property set on a running sink')
  sink.rejectRecipient = undefined
  t.equal(sink.messages.length, 0)
})

t.test('stop then start on the same port: down, then back', async (t) => {
  const s = new MailSink()
  const first = await s.start()
  await send({ to: 'a@relais.local', subject: 'avant', text: 'x' }, first.smtpUrl)
  await s.stop()
  const down = await send({ to: 'a@relais.local', subject: 'pendant', text: 'x' }, first.smtpUrl).then(() => null, (e) => e)
  t.equal(down?.code, 'ESOCKET', 'connection refused while the server is down')
  const second = await s.start()
  t.equal(second.smtpPort, first.smtpPort)
  await send({ to: 'a@relais.local', subject: 'après', text: 'x' }, second.smtpUrl)
  t.same(s.messages.map((m) => m.subject), ['avant', 'après'], 'mails kept across the restart')
  await s.stop()
  await s.stop()
  t.pass('stop twice is harmless')
})

t.test('stop while a client holds a pooled connection does not hang', async (t) => {
  const s = new MailSink()
  const { smtpUrl: url } = await s.start()
  const pooled = nodemailer.createTransport({ url, pool: true } as any)
  await pooled.sendMail({ from: 'x@relais.local', to: 'a@relais.local', subject: 'pool', text: 'x' })
  const started = Date.now()
  await s.stop()
  t.ok(Date.now() - started < 2500, `stopped in ${Date.now() - started} ms`)
  pooled.close()
})

t.test('a mail over 10 MB is refused and not kept', async (t) => {
  sink.clear()
  const err = await send({ to: 'a@relais.local', subject: 'énorme', text: 'x'.repeat(11 * 1024 * 1024) }).then(() => null, (e) => e)
  t.ok(err, 'refused')
  t.equal(sink.messages.length, 0)
})

t.test('the mailbox page lists the mails, shows one, and escapes their content', async (t) => {
  sink.clear()
  const empty = await web('/')
  t.equal(empty.status, 200)
  t.match(await empty.text(), /Aucun message reçu/)

  await send({ to: 'referent@caf36.demo', subject: 'Saisine <script>alert(1)</script>', text: 'Texte & réponse', html: '<p>Corps <i>HTML</i></p><script>alert(2)</script>' })
  const m = await sink.waitFor(() => true)
  const list = await web('/')
  t.match(list.headers.get('content-type'), /text\/html/)
  const html = await list.text()
  t.match(html, /lang="fr"/)
  t.match(html, /Saisine &lt;script&gt;alert\(1\)&lt;\/script&gt;/)
  t.notMatch(html, /<script>alert\(1\)/)
  t.match(html, /referent@caf36\.demo/)
  t.match(html, new RegExp(`href="/messages/${m.id}"`))

  const one = await (await web(`/messages/${m.id}`)).text()
  t.match(one, /Texte &amp; réponse/)
  t.match(one, /<iframe sandbox src="\/messages\/\d+\/html"/)
  const body = await web(`/messages/${m.id}/html`)
  t.match(body.headers.get('content-security-policy'), /sandbox/)
  t.match(await body.text(), /Corps <i>HTML<\/i>/)

  const json = await (await web('/api/messages')).json() as { subject: string }[]
  t.equal(json[0].subject, 'Saisine <script>alert(1)</script>')
  t.equal((await web('/messages/999999')).status, 404)
  t.equal((await web('/nope')).status, 404)

  const cleared = await web('/vider', { method: 'POST' })
  t.equal(cleared.status, 303)
  t.equal(sink.messages.length, 0)
})

t.test('without httpPort there is no web page', async (t) => {
  const s = new MailSink()
  const info = await s.start()
  t.equal(info.httpPort, null)
  await s.stop()
})

t.test('a taken port is an error from start()', async (t) => {
  const s = new MailSink({ smtpPort })
  await t.rejects(s.start(), { code: 'EADDRINUSE' })
})
