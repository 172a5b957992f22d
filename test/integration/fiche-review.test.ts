import t from 'tap'
import pg from 'pg'
import pino from 'pino'
import { buildApp } from '@relais/api/app'
import { createKysely, createPool } from '@relais/db'
import { remindStaleFiches } from '@relais/knowledge'
import { MailSink } from '@relais/mail/sink'
import { startWorker } from '@relais/worker/worker'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock } from '../helpers/journey.ts'

// A fiche past its review-by date is flagged in lists and pages, and its organisation's admins get one reminder by
// mail per review period: written by the worker through the outbox, BullMQ and SMTP, never again at the next tick.

const sink = new MailSink({ httpPort: null, smtpPort: 0 })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl })
const clock = manualClock(new Date())
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
const db = createKysely(createPool(env.config.APP_DATABASE_URL, 4))
t.teardown(async () => { await db.destroy(); await owner.end(); await app.close(); await sink.stop(); await env.drop() })

const ymd = (d: Date) => d.toISOString().slice(0, 10)
const inDays = (n: number) => ymd(new Date(clock.now().getTime() + n * 86400_000))
const api = async (email: string, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  app.inject({ method, url: `/api/v1${url}`, headers: await bearer(app, email), ...(payload ? { payload } : {}) })
const remindersOf = async (ficheId: string) => (await owner.query<{ recipient_email: string; sent_at: Date | null }>(
  `select recipient_email, sent_at from outbox where kind = 'fiche_review' and payload->>'ficheId' = $1 order by id`, [ficheId])).rows

// A CAF fiche to review within two days, published.
const created = await api('referent@caf36.demo', 'POST', '/fiches', { title: 'Aide aux vacances des familles', body: 'La CAF aide les familles à partir en vacances (**VACAF**).', themeCodes: ['aides-caf'], reviewBy: inDays(2) })
const fiche = created.json() as { id: string }
await api('referent@caf36.demo', 'POST', `/fiches/${fiche.id}/publish`)

t.test('before its date the fiche is not stale and nobody is reminded', async (t) => {
  t.equal(created.statusCode, 201, created.body)
  t.equal((await api('secretaire@ardentes.demo', 'GET', `/fiches/${fiche.id}`)).json().stale, false)
  await remindStaleFiches(db, clock.now())
  t.same(await remindersOf(fiche.id), [], 'no reminder yet')
})

t.test('past its date: flagged, and the worker mails the CAF’s admins once', async (t) => {
  clock.set(new Date(clock.now().getTime() + 3 * 86400_000))
  const read = (await api('secretaire@ardentes.demo', 'GET', `/fiches/${fiche.id}`)).json()
  t.equal(read.stale, true, 'the API flags it')
  const listed = (await api('secretaire@ardentes.demo', 'GET', '/fiches?stale=true')).json().items
  t.ok(listed.some((i: { id: string; stale: boolean }) => i.id === fiche.id && i.stale), 'listed among the stale ones')
  const found = (await api('secretaire@ardentes.demo', 'GET', '/fiches/search?q=vacances+familles+vacaf')).json().items
  t.match(found.find((i: { id: string }) => i.id === fiche.id), { stale: true }, 'search flags it')

  const worker = await startWorker(env.config, { clock: clock.now, relayIntervalMs: 50, reviewIntervalMs: 50, log: pino({ level: 'silent' }) })
  try {
    const mail = await sink.waitFor((m) => m.headers['x-relais-kind'] === 'fiche_review' && m.subject.includes('Aide aux vacances des familles'), 15_000)
    t.same(mail.to, ['admin@caf36.demo'], 'to the organisation’s admin')
    t.match(mail.subject, /Fiche à relire/)
    t.ok(mail.text.includes(`/fiches/${fiche.id}`), 'with a link to the fiche')
    t.match(mail.text, /nouvelle date de relecture/)
    // The event proving later ticks ran: the reminders counted after the first one. None is added for this fiche.
    const ticks = worker.stats.ficheReminders
    t.equal(await worker.remindFichesOnce(), 0, 'a tick after the reminder finds nothing due')
    t.ok(ticks >= 1)
  } finally {
    await worker.close()
  }
  const rows = await remindersOf(fiche.id)
  t.equal(rows.length, 1, 'one reminder for the period')
  t.ok(rows[0].sent_at, 'sent through SMTP')
  const marked = (await owner.query('select review_reminded_at from fiche where id = $1', [fiche.id])).rows[0]
  t.ok(marked.review_reminded_at, 'the fiche remembers it was reminded')

  // A page visit: the access token in the page cookie.
  const cookies = { relais_session: (await bearer(app, 'secretaire@ardentes.demo')).authorization.slice('Bearer '.length) }
  const page = await app.inject({ method: 'GET', url: `/fiches/${fiche.id}`, cookies })
  t.equal(page.statusCode, 200)
  t.match(page.body, /date de relecture dépassée/, 'the page flags it')
  const results = await app.inject({ method: 'GET', url: '/fiches?q=vacances+familles', cookies })
  t.match(results.body, /Aide aux vacances des familles<\/a><\/h3>\s*<p class="meta">CAF de l’Indre — <strong class="stale">à relire/, 'search results flag it')
})

t.test('two workers at once: one reminder per fiche', async (t) => {
  await owner.query(`update fiche set review_reminded_at = null where id = $1`, [fiche.id])
  await owner.query(`delete from outbox where kind = 'fiche_review' and payload->>'ficheId' = $1`, [fiche.id])
  const [a, b] = await Promise.all([remindStaleFiches(db, clock.now()), remindStaleFiches(db, clock.now())])
  t.ok(a + b >= 1)
  t.equal((await remindersOf(fiche.id)).length, 1, 'not twice')
})

t.test('a new review-by date starts a new period: reminded again once it passes', async (t) => {
  const patched = await api('admin@caf36.demo', 'PATCH', `/fiches/${fiche.id}`, { reviewBy: inDays(30) })
  t.equal(patched.statusCode, 200, patched.body)
  t.equal(patched.json().stale, false, 'no longer stale')
  t.equal((await owner.query('select review_reminded_at from fiche where id = $1', [fiche.id])).rows[0].review_reminded_at, null)
  await remindStaleFiches(db, clock.now())
  t.equal((await remindersOf(fiche.id)).length, 1, 'nothing new before the new date')
  clock.set(new Date(clock.now().getTime() + 31 * 86400_000))
  t.ok(await remindStaleFiches(db, clock.now()) >= 1)
  t.equal((await remindersOf(fiche.id)).length, 2, 'reminded for the new period')
  t.equal(await remindStaleFiches(db, clock.now()), 0, 'and only once')
})

t.test('the mission TIC’s own stale fiche goes to the network admins', async (t) => {
  const id = (await owner.query(`select id from fiche where title like 'Chèque énergie%' and status = 'published'`)).rows[0].id
  const rows = await remindersOf(id)
  t.equal(rows.length, 1)
  t.equal(rows[0].recipient_email, 'tic@indre.demo')
})
