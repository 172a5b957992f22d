// A Martinique tenant (972, America/Martinique, UTC−4 all year) end to end: every time mailed, shown or typed is
// Martinique time, the promise is said in the clock's unit, and the mairie's name takes its article.
import t from 'tap'
import pino from 'pino'
import { buildApp } from '@relais/api/app'
import { startWorker } from '@relais/worker/worker'
import { MailSink } from '@relais/mail/sink'
import { DEMO_PASSWORD } from '@relais/core'
import { createOwnerKysely, createPool } from '@relais/db'
import { hashPassword } from '@relais/db/credentials'
import { seedTenant } from '@relais/db/seed'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, manualClock } from '../helpers/journey.ts'
import { Visitor } from '../helpers/visitor.ts'

const sink = new MailSink({ httpPort: null, smtpPort: 0 })
const { smtpUrl } = await sink.start()
const env = await createTestEnv({ SMTP_URL: smtpUrl, PUBLIC_URL: 'https://relais.martinique.test' })

const pool = createPool(env.config.DATABASE_URL, 2)
await seedTenant(createOwnerKysely(pool), {
  code: '972', name: 'Martinique', timeZone: 'America/Martinique', mairies: ['97213', '97202'],
  orgs: [
    { key: 'tic', kind: 'mission_tic', name: 'Mission TIC de la Martinique', email: 'tic@972.demo' },
    { key: 'caf', kind: 'partner', name: 'CAF de la Martinique', email: 'caf@972.demo', themes: ['aides-caf'] },
    { key: 'fs', kind: 'msap', name: 'France services du Lamentin', communeInsee: '97213', address: 'Place de l’Église, 97232 Le Lamentin' },
  ],
  people: [
    { email: 'tic@972.demo', name: 'Line Joseph', org: 'tic', role: 'network_admin' },
    { email: 'secretaire@lamentin.demo', name: 'Marie-Rose Alexis', org: 'mairie:97213', role: 'secretary' },
    { email: 'referent@caf972.demo', name: 'Joël Bellay', org: 'caf', role: 'referent' },
  ],
}, await hashPassword(DEMO_PASSWORD), new Date())
await pool.end()

// Tuesday 24 November 2026, 10:00 in Fort-de-France (14:00 UTC, 15:00 in Paris).
const clock = manualClock('2026-11-24T14:00:00Z')
const app = await buildApp(env.config, { logger: false, clock: clock.now })
const worker = await startWorker(env.config, { clock: clock.now, relayIntervalMs: 50, sweepIntervalMs: 200, log: pino({ level: 'silent' }) })
t.teardown(async () => { await worker.close(); await app.close(); await sink.stop(); await env.drop() })

// The Lamentin France services and the CAF's Thursday permanence there (issue 14), as the mission TIC declares them.
{
  const tic = await bearer(app, 'tic@972.demo')
  const fs = (await app.inject({ url: '/api/v1/organisations?kind=msap', headers: tic })).json().items[0]
  const caf = (await app.inject({ url: '/api/v1/organisations?kind=partner', headers: tic })).json().items[0]
  const placeRes = await app.inject({ method: 'POST', url: '/api/v1/places', headers: tic, payload: { name: 'France services du Lamentin', organisationId: fs.id, address: 'Place de l’Église, 97232 Le Lamentin', communes: ['97213', '97202'], openingHours: { thu: [{ opens: '08:00', closes: '12:00' }] } } })
  if (placeRes.statusCode !== 201) throw new Error(placeRes.body)
  const perm = await app.inject({ method: 'POST', url: '/api/v1/permanences', headers: tic, payload: { organisationId: caf.id, placeId: placeRes.json().id, weekday: 4, start: '09:00', end: '11:00', validFrom: '2026-11-01', slotMinutes: 30 } })
  if (perm.statusCode !== 201) throw new Error(perm.body)
}

t.test('a Martinique referral: mails, pages and the appointment form speak Martinique time', async (t) => {
  const secretary = await bearer(app, 'secretaire@lamentin.demo')
  const filed = await app.inject({
    method: 'POST', url: '/api/v1/referrals', headers: secretary,
    payload: { themeCode: 'aides-caf', question: 'Une mère isolée peut-elle toucher l’ASF ?', citizen: { name: 'Léa Charles', preferredChannel: 'post' } },
  })
  t.equal(filed.statusCode, 201, filed.body)
  const { id, reference, dueAt } = filed.json()
  t.match(reference, /^972-2026-\d{6}$/)
  // Three working days from Tuesday 10:00 local: Friday 10:00 local, 14:00 UTC.
  t.equal(dueAt, '2026-11-27T14:00:00.000Z')

  const mail = await sink.waitFor((m) => m.to.includes('referent@caf972.demo') && m.subject.includes(reference), 10_000)
  t.match(mail.text, 'Réponse attendue au plus tard le : vendredi 27 novembre 2026 à 10 h 00', 'the deadline in Martinique time, not « 15 h 00 »')
  t.match(mail.text, 'Délai de réponse : 3 jours ouvrés', 'the promise in the working-days unit')
  t.notMatch(mail.text, /72 heures/)
  t.match(mail.text, 'Mairie du Lamentin', 'the article contracts: du Lamentin, not de Le Lamentin')

  const referent = new Visitor(app)
  await referent.login('referent@caf972.demo')
  const page = await referent.get(`/saisines/${id}`)
  t.equal(page.statusCode, 200)
  t.match(page.body, 'réponse au plus tard le vendredi 27 novembre 2026 à 10 h 00')
  t.match(page.body, 'mardi 24 novembre 2026 à 10 h 00', 'filed at 10:00 local')
  t.match(page.body, 'sous 3 jours ouvrés', 'the footer promises the clock unit')
  t.match(page.body, 'France services du Lamentin')
  t.match(page.body, /jeudi 26 novembre 2026 à 9 h 00 — France services du Lamentin \(Joël Bellay\)/, 'the permanence’s slots in Martinique time')

  // « 26/11 at 9:30 » typed in the form (« Autre horaire ») is 9:30 in Martinique (13:30 UTC).
  const place = /<option value="([0-9a-f-]{36})"[^>]*>France services du Lamentin/.exec(page.body)?.[1]
  t.ok(place, 'the France services site is offered')
  const booked = await referent.post(`/saisines/${id}/appointment`, { slot: 'autre', placeId: place!, at: '2026-11-26T09:30' })
  t.equal(booked.statusCode, 303, booked.body)
  const detail = (await app.inject({ url: `/api/v1/referrals/${id}`, headers: secretary })).json()
  const event = detail.timeline.find((e: { kind: string }) => e.kind === 'appointment_proposed')
  t.equal(event.data.at, '2026-11-26T13:30:00.000Z')
  const toMairie = await sink.waitFor((m) => m.to.includes('secretaire@lamentin.demo') && m.subject.includes(reference), 10_000)
  t.match(toMairie.text, 'jeudi 26 novembre 2026 à 9 h 30')
  const after = await referent.get(`/saisines/${id}`)
  t.match(after.body, 'jeudi 26 novembre 2026 à 9 h 30')
  t.match(after.body, /réponse en \d+ (h|min)\b/, 'the time taken in the working-days clock, without « h ouvrées »')
  t.notMatch(after.body, /ouvrées/)
})

t.test('the legal pages are linked from every page and open without an account', async (t) => {
  const visitor = new Visitor(app)
  const login = await visitor.get('/connexion')
  for (const [href, heading] of [['/mentions-legales', 'Mentions légales'], ['/donnees-personnelles', 'Données personnelles'], ['/accessibilite', 'Déclaration d’accessibilité']]) {
    t.match(login.body, `href="${href}"`)
    const res = await visitor.get(href)
    t.equal(res.statusCode, 200, href)
    t.match(res.body, `<h1>${heading}</h1>`)
  }
  t.match((await visitor.get('/accessibilite')).body, /partiellement conforme/)
  t.match(login.body, 'dans le délai convenu', 'no promise is made before the tenant is known')
})
