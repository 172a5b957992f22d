import t from 'tap'
import { dateTimeFr, deCommune, mairieOf, shortDateTimeFr, slaDuration, slaPromise } from './french.ts'

t.test('dates in the tenant time zone, hours without a leading zero', async (t) => {
  const at = '2026-11-24T14:00:00Z'
  t.equal(dateTimeFr(at, 'Europe/Paris'), 'mardi 24 novembre 2026 à 15 h 00')
  // A Martinique deadline at 10:00 local is 14:00 UTC, not « 16 h 00 » (Paris).
  t.equal(dateTimeFr(at, 'America/Martinique'), 'mardi 24 novembre 2026 à 10 h 00')
  t.equal(dateTimeFr('2026-05-25T07:00:00Z', 'Europe/Paris'), 'lundi 25 mai 2026 à 9 h 00')
  t.equal(dateTimeFr('2026-05-01T12:30:00Z', 'Europe/Paris'), 'vendredi 1er mai 2026 à 14 h 30')
  t.equal(shortDateTimeFr('2026-05-25T07:05:00Z', 'Europe/Paris'), '25/05/2026 à 9 h 05')
  t.equal(shortDateTimeFr('2026-05-25T07:05:00Z', 'Indian/Reunion'), '25/05/2026 à 11 h 05')
  t.throws(() => dateTimeFr('pas une date', 'Europe/Paris'), /Not a valid date/)
})

t.test('the promise in the clock own unit', async (t) => {
  t.equal(slaPromise({ responseMinutes: 4320, clockMode: 'working_days' }), '3 jours ouvrés')
  t.equal(slaPromise({ responseMinutes: 1440, clockMode: 'working_days' }), '1 jour ouvré')
  t.equal(slaPromise({ responseMinutes: 2160, clockMode: 'working_days' }), '36 heures de jours ouvrés')
  t.equal(slaPromise({ responseMinutes: 1440, clockMode: 'business_hours' }), '24 heures ouvrées')
  t.equal(slaPromise({ responseMinutes: 4320, clockMode: 'calendar' }), '72 heures')
  t.equal(slaPromise({ responseMinutes: 90, clockMode: 'calendar' }), '1,5 heures')
  t.equal(slaDuration(1440 * 2 + 300, 'working_days'), '2 j ouvrés 5 h')
  t.equal(slaDuration(1440, 'working_days'), '1 j ouvré')
  t.equal(slaDuration(31 * 60, 'business_hours'), '31 h ouvrées')
  t.equal(slaDuration(31 * 60, 'calendar'), '31 h')
  t.equal(slaDuration(40, 'calendar'), '40 min')
})

t.test('« de » before a commune name: elision and contraction', async (t) => {
  const cases: [string, string][] = [
    ['Le Blanc', 'Mairie du Blanc'], ['Les Bordes', 'Mairie des Bordes'], ['La Châtre', 'Mairie de La Châtre'],
    ['L’Île-Bouchard', 'Mairie de L’Île-Bouchard'], ['Ardentes', 'Mairie d’Ardentes'], ['Écueillé', 'Mairie d’Écueillé'],
    ['Issoudun', 'Mairie d’Issoudun'], ['Valençay', 'Mairie de Valençay'], ['Buzançais', 'Mairie de Buzançais'],
    ['Yzeures-sur-Creuse', 'Mairie d’Yzeures-sur-Creuse'], ['Heugnes', 'Mairie de Heugnes'], ['Le Poinçonnet', 'Mairie du Poinçonnet'],
  ]
  for (const [commune, want] of cases) t.equal(mairieOf(commune), want, commune)
  t.equal(deCommune('Levroux'), 'de Levroux', 'a name that starts with « Le » but has no article')
})
