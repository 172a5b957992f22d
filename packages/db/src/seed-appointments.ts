// Demo places and permanences (issue 14): the three cantonal France services of the seed documents (Aigurande,
// Valençay, Vatan) plus a few more, so that a newcomer can book at once. Each place serves the communes of its
// arrondissement (the demo has no canton map); a commune served by none sees every place.
import { createRequire } from 'node:module'
import type { Kysely } from 'kysely'
import type { WeeklyHours } from '@relais/core'
import type { Database } from './schema.ts'

const require = createRequire(import.meta.url)
const communes: { code: string; departement: string; type: string; arrondissement?: string }[] = require('@etalab/decoupage-administratif/data/communes.json')

const w = (opens: string, closes: string) => ({ opens, closes })
const FRANCE_SERVICES: WeeklyHours = {
  mon: [w('09:00', '12:00'), w('13:30', '17:00')], tue: [w('09:00', '12:00'), w('13:30', '17:00')], wed: [w('09:00', '12:00')],
  thu: [w('09:00', '12:00'), w('13:30', '17:00')], fri: [w('09:00', '12:00'), w('13:30', '16:30')],
}
const BRING = 'Une pièce d’identité, la convocation, et les justificatifs liés à la demande (dernier avis d’imposition, attestation de la CAF ou de la CPAM, quittance de loyer…).'

interface DemoPlace { key: string; name: string; address: string; phone: string; commune: string; desks: number; msap?: string; hours?: WeeklyHours }
interface DemoPermanence { place: string; org: string; person: string; weekday: number; start: number; end: number; everyWeeks: number; slot: number }

const INDRE_PLACES: DemoPlace[] = [
  { key: 'aigurande', name: 'France services d’Aigurande', address: 'Place du Champ de Foire, 36140 Aigurande', phone: '02 54 06 00 00', commune: '36001', desks: 1, msap: 'msap-aigurande' },
  { key: 'valencay', name: 'France services de Valençay', address: '2 rue de la Tour, 36600 Valençay', phone: '02 54 00 00 01', commune: '36228', desks: 2, msap: 'msap-valencay' },
  { key: 'vatan', name: 'France services de Vatan', address: 'Place de la République, 36150 Vatan', phone: '02 54 49 00 02', commune: '36230', desks: 1, msap: 'msap-vatan' },
  { key: 'la-chatre', name: 'France services de La Châtre', address: '10 rue Nationale, 36400 La Châtre', phone: '02 54 48 00 03', commune: '36046', desks: 2 },
  { key: 'le-blanc', name: 'France services du Blanc', address: '1 place de la Libération, 36300 Le Blanc', phone: '02 54 37 00 04', commune: '36018', desks: 1 },
  { key: 'ecueille', name: 'France services d’Écueillé', address: 'Place du Marché, 36240 Écueillé', phone: '02 54 40 00 05', commune: '36069', desks: 1 },
  { key: 'caf-chateauroux', name: 'Accueil CAF de Châteauroux', address: '26 rue de la République, 36000 Châteauroux', phone: '02 54 00 36 36', commune: '36044', desks: 3 },
]

const m = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))
const INDRE_PERMANENCES: DemoPermanence[] = [
  // « CAF at France services d’Aigurande, Tuesday 9:00–12:00, every two weeks, 30 min » (the example).
  { place: 'aigurande', org: 'caf', person: 'referent@caf36.demo', weekday: 2, start: m('09:00'), end: m('12:00'), everyWeeks: 2, slot: 30 },
  { place: 'valencay', org: 'caf', person: 'referent@caf36.demo', weekday: 4, start: m('14:00'), end: m('16:30'), everyWeeks: 1, slot: 30 },
  { place: 'caf-chateauroux', org: 'caf', person: 'referent@caf36.demo', weekday: 1, start: m('09:00'), end: m('12:00'), everyWeeks: 1, slot: 30 },
  { place: 'caf-chateauroux', org: 'caf', person: 'referent@caf36.demo', weekday: 3, start: m('09:00'), end: m('11:00'), everyWeeks: 1, slot: 30 },
  { place: 'vatan', org: 'cpam', person: 'referent@cpam36.demo', weekday: 3, start: m('09:00'), end: m('12:00'), everyWeeks: 1, slot: 30 },
  { place: 'la-chatre', org: 'ddt', person: 'referent@ddt36.demo', weekday: 5, start: m('09:00'), end: m('11:15'), everyWeeks: 1, slot: 45 },
  { place: 'le-blanc', org: 'opac', person: 'referent@opac36.demo', weekday: 2, start: m('14:00'), end: m('16:00'), everyWeeks: 2, slot: 30 },
  { place: 'ecueille', org: 'prefecture', person: 'referent@prefecture36.demo', weekday: 4, start: m('09:00'), end: m('11:00'), everyWeeks: 4, slot: 20 },
]

export async function seedAppointments(trx: Kysely<Database>, tenantId: string, code: string, ids: { orgs: Map<string, string>; people: Map<string, string> }): Promise<number> {
  if (code !== '36') return 0
  const arrondissement = new Map(communes.filter((c) => c.departement === code && c.type === 'commune-actuelle').map((c) => [c.code, c.arrondissement ?? '']))
  const placeIds = new Map<string, string>()
  for (const p of INDRE_PLACES) {
    const served = [...arrondissement].filter(([, a]) => a && a === arrondissement.get(p.commune)).map(([c]) => c)
    const row = await trx.insertInto('place').values({
      tenant_id: tenantId, name: p.name, address: p.address, phone: p.phone, organisation_id: p.msap ? ids.orgs.get(p.msap) ?? null : null,
      opening_hours: JSON.stringify(p.hours ?? FRANCE_SERVICES), closures: JSON.stringify([{ from: '2026-12-24', to: '2027-01-01', reason: 'Fermeture de fin d’année' }]),
      communes: served, desks: p.desks, what_to_bring: BRING,
    }).returning('id').executeTakeFirstOrThrow()
    placeIds.set(p.key, row.id)
  }
  for (const pm of INDRE_PERMANENCES) {
    await trx.insertInto('permanence').values({
      tenant_id: tenantId, organisation_id: ids.orgs.get(pm.org)!, place_id: placeIds.get(pm.place)!, person_id: ids.people.get(pm.person) ?? null,
      weekday: pm.weekday, start_minute: pm.start, end_minute: pm.end, every_weeks: pm.everyWeeks, valid_from: '2026-01-05', valid_until: null, slot_minutes: pm.slot,
    }).execute()
  }
  return INDRE_PLACES.length
}
