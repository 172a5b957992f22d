// Appointments in a real browser (issue 14): a referent books one of the free slots offered on the referral page,
// moves it, then cancels it, through the pages; the secretary prints the convocation; the agenda and the places page.
// axe-core (WCAG 2.1 A and AA) on each page.
import t from 'tap'
import pg from 'pg'
import { buildApp } from '@relais/api/app'
import { createTestEnv } from '../helpers/db.ts'
import { bearer, sampleReferral } from '../helpers/journey.ts'
import { axeViolations, launchChromium, listen, loggedIn as loggedInAs } from '../helpers/browser.ts'

const env = await createTestEnv()
const app = await buildApp(env.config, { logger: false })
const base = await listen(app)
const owner = new pg.Client({ connectionString: env.config.DATABASE_URL })
await owner.connect()
const browser = await launchChromium()
t.teardown(async () => { await browser.close(); await app.close(); await owner.end(); await env.drop() })

const loggedIn = (email: string, retour: string) => loggedInAs(browser, base, email, retour)

/** 'YYYY-MM-DDTHH:MM' in Paris, as a datetime-local field takes it. */
const parisInput = (iso: string) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(iso)).replace(' ', 'T')

t.test('a referent books a free slot, moves it and cancels it through the pages', async (t) => {
  const filed = (await app.inject({ method: 'POST', url: '/api/v1/referrals', headers: await bearer(app, 'secretaire@ardentes.demo'), payload: sampleReferral })).json()
  const slots = (await app.inject({ url: `/api/v1/referrals/${filed.id}/slots?days=28`, headers: await bearer(app, 'referent@caf36.demo') })).json().items
  t.ok(slots.length >= 2, 'the seed gives free slots at once')
  const { page, errors, close } = await loggedIn('referent@caf36.demo', `/saisines/${filed.id}`)
  t.same(await axeViolations(page), [], 'axe: the referral page with its slots')
  t.match(await page.locator('label[for="rdv-creneau-0"]').textContent(), slots[0].placeName)
  await page.check('#rdv-creneau-0')
  await page.fill('#rdv-message', 'Apportez votre dernier avis d’imposition.')
  await Promise.all([page.waitForURL(/fait=propose_appointment/), page.locator('form[action$="/appointment#erreurs-propose_appointment"] button[type=submit]').click()])
  const row = async () => (await owner.query(`select id, starts_at, status, sequence, cancel_reason from appointment where referral_id = $1`, [filed.id])).rows[0]
  const booked = await row()
  t.equal(booked.starts_at.toISOString(), slots[0].startsAt, 'booked in the slot chosen')
  t.match(await page.locator('#rendez-vous').textContent(), /prévu/)
  t.same(await axeViolations(page), [], 'axe: the referral page with its appointment')

  // Moved to a later slot, with a reason.
  const later = slots.find((s: { startsAt: string; placeId: string }) => s.placeId === slots[0].placeId && s.startsAt > slots[0].startsAt)
  await page.fill(`#rdv-${booked.id}-date`, parisInput(later.startsAt))
  await page.fill(`#rdv-${booked.id}-motif`, 'La référente est en formation ce jour-là.')
  await Promise.all([page.waitForURL(/rdv=rdv_deplace/), page.locator(`form[action="/rendez-vous/${booked.id}/deplacer"] button`).click()])
  const moved = await row()
  t.equal(moved.starts_at.toISOString(), later.startsAt, 'moved')
  t.equal(moved.sequence, 1)
  t.match(await page.locator('#rendez-vous').textContent(), /déplacé/)
  t.match(await page.locator('.timeline').textContent(), /La référente est en formation ce jour-là\./, 'the reason on the timeline')

  // An agenda week, and the convocation to print.
  await page.goto(`${base}/rendez-vous?semaine=${parisInput(later.startsAt).slice(0, 10)}`)
  t.match(await page.locator('main').textContent(), /Jeanne Durand/)
  t.same(await axeViolations(page), [], 'axe: the agenda')
  await page.goto(`${base}/rendez-vous/${booked.id}/convocation`)
  t.match(await page.locator('main').textContent(), /Référence à rappeler/)
  t.same(await axeViolations(page), [], 'axe: the convocation')

  // Cancelled, with a reason.
  await page.goto(`${base}/saisines/${filed.id}`)
  await page.fill(`#rdv-${booked.id}-annulation`, 'Dossier réglé par téléphone.')
  await Promise.all([page.waitForURL(/rdv=rdv_annule/), page.locator(`form[action="/rendez-vous/${booked.id}/annuler"] button`).click()])
  const cancelled = await row()
  t.match(cancelled, { status: 'cancelled', sequence: 2, cancel_reason: 'Dossier réglé par téléphone.' })
  t.match(await page.locator('#rendez-vous').textContent(), /annulé/)
  t.same(await axeViolations(page), [], 'axe: after the cancellation')
  t.same(errors, [])
  await close()
})

t.test('the places page: the mission TIC adds a place, a CAF admin a permanence', async (t) => {
  const tic = await loggedIn('tic@indre.demo', '/lieux')
  t.match(await tic.page.locator('main').textContent(), /France services d’Aigurande/)
  t.same(await axeViolations(tic.page), [], 'axe: the places page')
  await tic.page.fill('#lieu-nom', 'Mairie de Saint-Août')
  await tic.page.fill('#lieu-communes', '36179')
  await Promise.all([tic.page.waitForURL(/fait=lieu/), tic.page.locator('form[action="/lieux"] button').click()])
  t.match(await tic.page.locator('main').textContent(), /Mairie de Saint-Août/)
  await tic.close()
  const admin = await loggedIn('admin@caf36.demo', '/lieux')
  await admin.page.selectOption('#perm-lieu', { label: 'Mairie de Saint-Août' })
  await admin.page.fill('#perm-du', '2026-12-01')
  await Promise.all([admin.page.waitForURL(/fait=permanence/), admin.page.locator('form[action="/permanences"] button').click()])
  t.match(await admin.page.locator('main').textContent(), /CAF de l’Indre : lundi 09:00–12:00, chaque semaine/)
  // She ends it: its last day, then no slot after it.
  const saintAout = admin.page.getByRole('region', { name: 'Mairie de Saint-Août' })
  await saintAout.locator('input[id^="fin-"]').fill('2027-01-25')
  await Promise.all([admin.page.waitForURL(/fait=permanence-arretee/), saintAout.locator('form[action$="/fin"] button').click()])
  t.match(await admin.page.locator('main').textContent(), /CAF de l’Indre : lundi 09:00–12:00, chaque semaine, créneaux de 30 min, jusqu’au 25\/01\/2027/)
  t.same(await axeViolations(admin.page), [], 'axe: the places page of an org admin')
  t.same(admin.errors, [])
  await admin.close()
})

t.test('the mission TIC edits a place in its page: opening hours per weekday, closures; imports places from a CSV', async (t) => {
  const { page, errors, close } = await loggedIn('tic@indre.demo', '/lieux')
  await Promise.all([page.waitForURL(/\/lieux\/[0-9a-f-]{36}$/), page.click('a[aria-label="Modifier le lieu : Mairie de Saint-Août"]')])
  t.equal(await page.locator('h1').textContent(), 'Mairie de Saint-Août')
  t.same(await axeViolations(page), [], 'axe: a place’s page')
  await page.fill('#lieu-tel', '02 54 00 00 77')
  await page.fill('#h-tue-1-opens', '09:00')
  await page.fill('#h-tue-1-closes', '12:00')
  await page.fill('#h-wed-1-opens', '14:00')
  await page.fill('#h-wed-1-closes', '10:00')
  await page.locator('form[action$="#erreurs-lieu"] button[type=submit]').click()
  await page.locator('#erreurs-lieu').waitFor()
  t.match(await page.locator('#erreurs-lieu').textContent(), /Horaires du mercredi, plage 1 : L’ouverture doit précéder la fermeture/)
  t.same(await axeViolations(page), [], 'axe: the place’s page with its error summary')
  await page.fill('#h-wed-1-closes', '17:00')
  await Promise.all([page.waitForURL(/fait=lieu/), page.locator('form[action$="#erreurs-lieu"] button[type=submit]').click()])
  t.equal(await page.inputValue('#h-tue-1-closes'), '12:00', 'saved')
  await page.fill('#fermeture-du', '2026-12-24')
  await page.fill('#fermeture-au', '2026-12-31')
  await page.fill('#fermeture-motif', 'Congés de fin d’année')
  await Promise.all([page.waitForURL(/fait=fermeture/), page.locator('form[action$="/fermetures#erreurs-fermeture"] button').click()])
  t.match(await page.locator('#fermetures + ul, .closures').first().textContent(), /Du 24\/12\/2026 au 31\/12\/2026 — Congés de fin d’année/)
  t.same(await axeViolations(page), [], 'axe: with a closure')
  await Promise.all([page.waitForURL(/fait=fermeture-retiree/), page.click('button[aria-label^="Retirer la fermeture"]')])
  t.equal(await page.locator('.closures').count(), 0, 'removed')

  // A CSV with a refused line: nothing imported, each refusal said with its line.
  await page.goto(`${base}/lieux`)
  await page.fill('#contenu-csv', 'nom;adresse;telephone;communes;bureaux\nFrance services de Buzançais;Place de l’Hôtel de Ville;;36031;2\nMairie de Saint-Août;;;36179;1\n')
  await page.locator('form[action="/lieux/import#erreurs-import"] button').click()
  await page.locator('#erreurs-import').waitFor()
  t.match(await page.locator('#erreurs-import').textContent(), /Ligne 3 \(colonne « nom »\) : Un lieu s’appelle déjà « Mairie de Saint-Août »/)
  t.same(await axeViolations(page), [], 'axe: the refused import')
  await page.fill('#contenu-csv', 'nom;adresse;telephone;communes;bureaux\nFrance services de Buzançais;Place de l’Hôtel de Ville;;36031;2\n')
  await Promise.all([page.waitForURL(/fait=import&crees=1/), page.locator('form[action="/lieux/import#erreurs-import"] button').click()])
  t.match(await page.locator('main').textContent(), /France services de Buzançais/)
  t.same(errors.filter((e) => !e.startsWith('400 ')), [], 'nothing broken (the 400s are the refused forms)')
  await close()
})
