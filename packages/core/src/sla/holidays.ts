/**
 * French public holidays (jours fériés) by département, from date-holidays (its 'FR' data knows the
 * Alsace-Moselle départements 57, 67 and 68, which add Good Friday and 26 December, and the overseas ones).
 * Only the 'public' type counts: Whit Sunday, Mother's Day and the like are observances on a Sunday.
 */
import Holidays from 'date-holidays'

/** date-holidays names the overseas départements by ISO 3166-2 code, not by number. */
const STATE_OF_DEPARTEMENT: Record<string, string> = {
  '57': '57',
  '67': '67',
  '68': '68',
  '971': 'GP',
  '972': 'MQ',
  '973': 'GF',
  '974': 'RE',
  '976': 'YT',
  '977': 'BL',
  '978': 'MF',
}

const calendars = new Map<string, Holidays>()
const byYear = new Map<string, Set<string>>()

function calendar(state: string): Holidays {
  let hd = calendars.get(state)
  if (!hd) {
    hd = state ? new Holidays('FR', state, { types: ['public'] }) : new Holidays('FR', { types: ['public'] })
    calendars.set(state, hd)
  }
  return hd
}

/** The public holidays of one year in one département, as 'YYYY-MM-DD' strings. */
export function publicHolidays(year: number, departement: string): Set<string> {
  const state = STATE_OF_DEPARTEMENT[departement] ?? ''
  const key = `${state}|${year}`
  let dates = byYear.get(key)
  if (!dates) {
    dates = new Set(
      calendar(state)
        .getHolidays(year)
        .filter((h) => h.type === 'public')
        .map((h) => h.date.slice(0, 10)),
    )
    byYear.set(key, dates)
  }
  return dates
}

/** True when a local date ('YYYY-MM-DD') is a public holiday in the département ('36', '57', '2A', '974'…). */
export function isHoliday(localDate: string, departement: string): boolean {
  const year = Number(localDate.slice(0, 4))
  if (!Number.isInteger(year)) return false
  return publicHolidays(year, departement).has(localDate.slice(0, 10))
}
