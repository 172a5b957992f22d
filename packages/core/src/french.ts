/**
 * French as an administration writes it: dates and times in the tenant's time zone (« lundi 25 mai 2026 à 9 h 00 »),
 * the SLA's promise in the clock's own unit (« 3 jours ouvrés »), and commune names after « de » with elision and
 * contraction (« Mairie du Blanc », « Mairie des Bordes », « Mairie d’Ardentes »). Pure; used by pages and mails.
 */
import type { ClockMode } from './sla.ts'

const longFormats = new Map<string, Intl.DateTimeFormat>()
const shortFormats = new Map<string, Intl.DateTimeFormat>()

function formatter(cache: Map<string, Intl.DateTimeFormat>, timeZone: string, long: boolean): Intl.DateTimeFormat {
  let f = cache.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('fr-FR', long
      ? { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: 'numeric', minute: '2-digit', hourCycle: 'h23', timeZone }
      : { day: '2-digit', month: '2-digit', year: 'numeric', hour: 'numeric', minute: '2-digit', hourCycle: 'h23', timeZone })
    cache.set(timeZone, f)
  }
  return f
}

function toDate(value: Date | string | number): Date {
  const date = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(date.getTime())) throw new Error(`Not a valid date: ${JSON.stringify(value)}`)
  return date
}

function parts(f: Intl.DateTimeFormat, value: Date | string | number): Record<string, string> {
  const out: Record<string, string> = {}
  for (const p of f.formatToParts(toDate(value))) out[p.type] = p.value
  return out
}

/** « lundi 25 mai 2026 à 9 h 00 », « vendredi 1er mai 2026 à 14 h 30 », in the given time zone. */
export function dateTimeFr(value: Date | string | number, timeZone: string): string {
  const p = parts(formatter(longFormats, timeZone, true), value)
  return `${p.weekday} ${p.day === '1' ? '1er' : p.day} ${p.month} ${p.year} à ${p.hour} h ${p.minute}`
}

/** « 25/05/2026 à 9 h 00 », for lists. */
export function shortDateTimeFr(value: Date | string | number, timeZone: string): string {
  const p = parts(formatter(shortFormats, timeZone, false), value)
  return `${p.day}/${p.month}/${p.year} à ${p.hour} h ${p.minute}`
}

const plural = (n: number, one: string, many: string) => `${n} ${n > 1 ? many : one}`

/**
 * What the network promises, in the clock's own unit: « 3 jours ouvrés » (working days), « 24 heures ouvrées »
 * (business hours), « 72 heures » (calendar). Minutes that do not make a whole unit are written as hours.
 */
export function slaPromise(policy: { responseMinutes: number; clockMode: ClockMode }): string {
  const m = policy.responseMinutes
  const hours = m % 60 === 0 ? `${m / 60}` : (m / 60).toFixed(1).replace('.', ',')
  switch (policy.clockMode) {
    case 'working_days':
      return m % 1440 === 0 ? plural(m / 1440, 'jour ouvré', 'jours ouvrés') : `${hours} heures de jours ouvrés`
    case 'business_hours':
      return m === 60 ? '1 heure ouvrée' : `${hours} heures ouvrées`
    case 'calendar':
      return m === 60 ? '1 heure' : `${hours} heures`
  }
}

/**
 * A duration the SLA counted, in its clock's unit: « 2 j ouvrés 5 h » (working days), « 31 h ouvrées » (business
 * hours), « 31 h » (calendar); minutes shown only under an hour.
 */
export function slaDuration(minutes: number, clockMode: ClockMode): string {
  const m = Math.max(0, Math.round(minutes))
  if (clockMode === 'working_days') {
    const days = Math.floor(m / 1440)
    const hours = Math.floor((m % 1440) / 60)
    if (days) return `${days} j ouvré${days > 1 ? 's' : ''}${hours ? ` ${hours} h` : ''}`
    return hours ? `${hours} h` : `${m % 60} min`
  }
  const text = m < 60 ? `${m} min` : `${Math.floor(m / 60)} h`
  return clockMode === 'business_hours' ? `${text} ouvrée${m >= 120 ? 's' : ''}` : text
}

const VOWEL = /^[aeiouyàâäéèêëîïôöùûüœæ]/i
// Whether an « h » is mute differs from name to name: no elision before it (« Mairie de Heugnes »), as before
// a « y » followed by a vowel (« de Yèvre »).
const NO_ELISION = /^y[aeiouéèê]/i

/**
 * « de » before a commune's name, as French writes it: « du Blanc » (Le Blanc), « des Bordes » (Les Bordes),
 * « de La Châtre », « de L’Île-Bouchard », « d’Ardentes », « d’Écueillé », « de Valençay ».
 */
export function deCommune(name: string): string {
  const n = name.trim()
  const article = /^(Le|Les)\s+(.+)$/.exec(n)
  if (article) return `${article[1] === 'Le' ? 'du' : 'des'} ${article[2]}`
  if (/^(La\s|L['’])/.test(n)) return `de ${n}`
  return VOWEL.test(n) && !NO_ELISION.test(n) ? `d’${n}` : `de ${n}`
}

/** « Mairie du Blanc », « Mairie d’Ardentes ». */
export const mairieOf = (communeName: string) => `Mairie ${deCommune(communeName)}`
