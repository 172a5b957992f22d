// Appointments at France services (issue 14): places, permanences, free slots and booking. Booking is the
// referral's « proposer un rendez-vous » action (service.ts calls bookAppointment inside act()), so the SLA is met
// at booking; whether the time is free is decided by the exclusion constraints of migration 0080.
import {
  adHocRefusal, authorize, authorizeRole, badRequest, canSeeReferral, conflict, freeSlots, invalidFields, notFound, openingHoursIssues,
  reaches, referralListScope, workingDayBefore, type Closure, type PlaceFacts, type Slot, type WeeklyHours,
} from '@relais/core'
import { crossTenant, withTenant, type DB, type TenantTx } from '@relais/db'
import { dayOfIsoDate, fromLocalMs } from '@relais/core/sla/time-zone'
import type { ReferralRow } from '@relais/db/repositories/referrals'
import * as repo from '@relais/db/repositories/appointments'
import { activeMember, organisationFacts } from '@relais/db/repositories/parties'
import type { Principal } from './service.ts'
import { invitationIcs } from '@relais/mail'
import { lockReferral as lockReferralRow } from '@relais/db/repositories/referrals'
import { appendEvent } from './timeline.ts'
import { enqueueMail } from './outbox.ts'
import { personRecipient } from './recipients.ts'

const DAY = 86_400_000
const DATE = /^\d{4}-\d{2}-\d{2}$/
const INSEE = /^(\d{5}|2[AB]\d{3})$/

export interface PlaceInput {
  name?: string; address?: string | null; phone?: string | null; organisationId?: string | null; openingHours?: WeeklyHours
  closures?: Closure[]; communes?: string[]; desks?: number; whatToBring?: string | null; active?: boolean
}

export interface PlaceView {
  id: string; name: string; address: string | null; phone: string | null; organisationId: string | null; openingHours: WeeklyHours
  closures: Closure[]; communes: string[]; desks: number; whatToBring: string | null; active: boolean
}

const placeView = (r: NonNullable<Awaited<ReturnType<typeof repo.placeById>>>): PlaceView => ({
  id: r.id, name: r.name, address: r.address, phone: r.phone, organisationId: r.organisation_id, openingHours: (r.opening_hours ?? {}) as WeeklyHours,
  closures: (r.closures ?? []) as Closure[], communes: r.communes, desks: r.desks, whatToBring: r.what_to_bring, active: r.active,
})

function placeIssues(v: PlaceInput): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = []
  if (v.name !== undefined && !v.name.trim()) issues.push({ path: 'name', message: 'Le nom est obligatoire.' })
  if (v.openingHours) issues.push(...openingHoursIssues(v.openingHours))
  v.closures?.forEach((c, i) => {
    if (!DATE.test(c.from) || (c.to && !DATE.test(c.to))) issues.push({ path: `closures.${i}`, message: 'Dates au format AAAA-MM-JJ.' })
    else if (c.to && c.to < c.from) issues.push({ path: `closures.${i}`, message: 'La fin de la fermeture précède son début.' })
  })
  v.communes?.forEach((c, i) => { if (!INSEE.test(c)) issues.push({ path: `communes.${i}`, message: 'Code INSEE invalide.' }) })
  if (v.desks !== undefined && (!Number.isInteger(v.desks) || v.desks < 1 || v.desks > 50)) issues.push({ path: 'desks', message: 'Entre 1 et 50 bureaux.' })
  return issues
}

export async function listPlaces(trx: TenantTx, p: Principal, filter: { communeInsee?: string } = {}): Promise<PlaceView[]> {
  authorizeRole(p, 'place.read')
  return (await repo.listPlaces(trx, p.tenantId, filter)).map(placeView)
}

export async function getPlace(trx: TenantTx, p: Principal, id: string): Promise<PlaceView> {
  authorizeRole(p, 'place.read')
  const row = await repo.placeById(trx, p.tenantId, id)
  if (!row) throw notFound('Ce lieu')
  return placeView(row)
}

async function checkOrganisation(trx: TenantTx, p: Principal, id: string | null | undefined) {
  if (id && !(await organisationFacts(trx, p.tenantId, id))) throw invalidFields([{ path: 'organisationId', message: 'Organisme inconnu.' }])
}

export async function createPlace(trx: TenantTx, p: Principal, v: PlaceInput, now: Date): Promise<PlaceView> {
  authorizeRole(p, 'place.write')
  const issues = placeIssues(v)
  if (!v.name?.trim()) issues.push({ path: 'name', message: 'Le nom est obligatoire.' })
  if (issues.length) throw invalidFields(issues)
  await checkOrganisation(trx, p, v.organisationId)
  const row = await repo.insertPlace(trx, p.tenantId, {
    name: v.name!.trim(), address: v.address?.trim() || null, phone: v.phone?.trim() || null, organisationId: v.organisationId ?? null,
    openingHours: v.openingHours ?? {}, closures: v.closures ?? [], communes: [...new Set(v.communes ?? [])], desks: v.desks ?? 1, whatToBring: v.whatToBring?.trim() || null,
  })
  void now
  if (!row) throw conflict('place_exists', 'Un lieu porte déjà ce nom.')
  return getPlace(trx, p, row.id)
}

export async function updatePlace(trx: TenantTx, p: Principal, id: string, v: PlaceInput, now: Date): Promise<PlaceView> {
  authorizeRole(p, 'place.write')
  const issues = placeIssues(v)
  if (issues.length) throw invalidFields(issues)
  await checkOrganisation(trx, p, v.organisationId)
  const done = await repo.updatePlace(trx, p.tenantId, id, {
    name: v.name?.trim(), address: v.address === undefined ? undefined : v.address?.trim() || null, phone: v.phone === undefined ? undefined : v.phone?.trim() || null,
    organisation_id: v.organisationId, opening_hours: v.openingHours, closures: v.closures, communes: v.communes ? [...new Set(v.communes)] : undefined,
    desks: v.desks, what_to_bring: v.whatToBring === undefined ? undefined : v.whatToBring?.trim() || null, active: v.active,
  }, now).catch((err: { code?: string }) => { if (err.code === '23505') throw conflict('place_exists', 'Un lieu porte déjà ce nom.'); throw err })
  if (!done) throw notFound('Ce lieu')
  return getPlace(trx, p, id)
}

/** A line of the places' CSV that was refused: its number in the file (the header is line 1), the column, why. */
export interface PlaceCsvIssue { path: string; line: number; column?: string; message: string }

/**
 * « nom;adresse;telephone;communes (codes INSEE séparés par des espaces);bureaux » with a header line. Every line is
 * checked first, a name already used (in the network or earlier in the file) included; one refused line and nothing is
 * written, each refusal said with its line number and reason (like the routing rules' import).
 */
export async function importPlaces(trx: TenantTx, p: Principal, csv: string, now: Date): Promise<{ created: number }> {
  authorizeRole(p, 'place.write')
  const { parse } = await import('csv-parse/sync')
  let rows: Record<string, string>[]
  try {
    rows = parse(csv.replace(/^\uFEFF/, ''), { columns: (h: string[]) => h.map((x) => x.trim().toLowerCase()), delimiter: ';', skip_empty_lines: true, trim: true, relax_column_count: true })
  } catch { throw badRequest('invalid_csv', 'Le fichier n’est pas un CSV lisible (séparateur ; et une ligne d’en-tête).') }
  const issues: PlaceCsvIssue[] = []
  const refuse = (line: number, column: string, message: string) => issues.push({ path: `ligne ${line}.${column}`, line, column, message })
  const COLUMN: Record<string, string> = { name: 'nom', address: 'adresse', phone: 'telephone', communes: 'communes', desks: 'bureaux' }
  const inputs = rows.map((r, i) => {
    const line = i + 2
    const desks = r.bureaux || r.desks
    const v: PlaceInput = { name: (r.nom ?? r.name ?? '').trim(), address: r.adresse ?? r.address ?? null, phone: r.telephone ?? r['téléphone'] ?? r.phone ?? null,
      communes: (r.communes ?? '').split(/[\s,]+/).filter(Boolean), desks: desks ? Number(desks) : 1 }
    for (const x of placeIssues(v)) refuse(line, COLUMN[x.path.split('.')[0]] ?? x.path, x.message)
    if (!v.name) refuse(line, 'nom', 'Le nom est obligatoire.')
    if ((v.address?.length ?? 0) > 500) refuse(line, 'adresse', 'L’adresse dépasse 500 caractères.')
    if ((v.phone?.length ?? 0) > 40) refuse(line, 'telephone', 'Le téléphone dépasse 40 caractères.')
    return { line, v }
  })
  if (!rows.length) refuse(2, 'nom', 'Aucun lieu dans le fichier.')
  const taken = await repo.placeNamesTaken(trx, p.tenantId, inputs.map((x) => x.v.name!).filter(Boolean))
  const seen = new Map<string, number>()
  for (const { line, v } of inputs) {
    if (!v.name) continue
    if (taken.has(v.name)) refuse(line, 'nom', `Un lieu s’appelle déjà « ${v.name} » : modifiez-le depuis sa page.`)
    else if (seen.has(v.name)) refuse(line, 'nom', `Même nom qu’à la ligne ${seen.get(v.name)}.`)
    else seen.set(v.name, line)
  }
  if (issues.length) throw invalidFields(issues.sort((a, b) => a.line - b.line))
  let created = 0
  for (const { v } of inputs) {
    const row = await repo.insertPlace(trx, p.tenantId, { name: v.name!, address: v.address?.trim() || null, phone: v.phone?.trim() || null, organisationId: null, openingHours: {}, closures: [], communes: [...new Set(v.communes)], desks: v.desks ?? 1, whatToBring: null })
    // Taken meanwhile by a concurrent import: refused like the others, and the transaction rolled back by the caller.
    if (!row) throw conflict('place_exists', `Un lieu s’appelle déjà « ${v.name} ».`)
    created++
  }
  void now
  return { created }
}

/** Adds a closure (a day or a range of days, with an optional reason) to a place. */
export async function addPlaceClosure(trx: TenantTx, p: Principal, id: string, c: { from?: string; to?: string; reason?: string }, now: Date): Promise<PlaceView> {
  authorizeRole(p, 'place.write')
  const place = await repo.placeById(trx, p.tenantId, id, true)
  if (!place) throw notFound('Ce lieu')
  const closure: Closure = { from: (c.from ?? '').trim(), to: (c.to ?? '').trim() || (c.from ?? '').trim(), ...(c.reason?.trim() ? { reason: c.reason.trim().slice(0, 200) } : {}) }
  const issues: { path: string; message: string }[] = []
  if (!DATE.test(closure.from)) issues.push({ path: 'from', message: 'Indiquez le premier jour de fermeture (AAAA-MM-JJ).' })
  if (!DATE.test(closure.to)) issues.push({ path: 'to', message: 'Date au format AAAA-MM-JJ.' })
  else if (DATE.test(closure.from) && closure.to < closure.from) issues.push({ path: 'to', message: 'La fin de la fermeture précède son début.' })
  if (issues.length) throw invalidFields(issues)
  const closures = [...((place.closures ?? []) as Closure[]), closure].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to))
  return updatePlace(trx, p, id, { closures }, now)
}

/** Removes a place's closure, named by its first and last day. */
export async function removePlaceClosure(trx: TenantTx, p: Principal, id: string, c: { from: string; to: string }, now: Date): Promise<PlaceView> {
  authorizeRole(p, 'place.write')
  const place = await repo.placeById(trx, p.tenantId, id, true)
  if (!place) throw notFound('Ce lieu')
  const closures = (place.closures ?? []) as Closure[]
  const kept = closures.filter((x) => !(x.from === c.from && (x.to || x.from) === c.to))
  if (kept.length === closures.length) throw notFound('Cette fermeture')
  return updatePlace(trx, p, id, { closures: kept }, now)
}

// ---------------------------------------------------------------- permanences

export interface PermanenceInput { organisationId: string; placeId: string; personId?: string | null; weekday: number; start: string; end: string; everyWeeks?: number; validFrom: string; validUntil?: string | null; slotMinutes: number }

const minutes = (hhmm: string) => { const m = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/.exec(hhmm); return m ? (m[1] === undefined ? 1440 : Number(m[1]) * 60 + Number(m[2])) : NaN }
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`

export async function listPermanences(trx: TenantTx, p: Principal, filter: { placeId?: string; organisationId?: string } = {}) {
  authorizeRole(p, 'permanence.read')
  const rows = await repo.listPermanences(trx, p.tenantId, { placeIds: filter.placeId ? [filter.placeId] : undefined, organisationId: filter.organisationId })
  return rows.map((r) => ({
    id: r.id, organisationId: r.organisation_id, organisationName: r.organisation_name, placeId: r.place_id, placeName: r.place_name,
    // The referent's name for those who may read that person (the directory's rule), « référent désigné » for others.
    personName: r.person_id && reaches(p, 'people.read', { personId: r.person_id, organisationId: r.organisation_id }) ? r.person_name : null, hasReferent: !!r.person_id,
    weekday: r.weekday, start: hhmm(r.start_minute), end: hhmm(r.end_minute), everyWeeks: r.every_weeks, validFrom: r.valid_from, validUntil: r.valid_until, slotMinutes: r.slot_minutes,
  }))
}

/**
 * Ends a permanence on its last day (`lastDay`, local date): no slot after it; appointments already booked stand. Ended
 * before it began, it is withdrawn altogether. An org admin ends her organisation's, the mission TIC any.
 */
export async function endPermanence(trx: TenantTx, p: Principal, id: string, v: { lastDay?: string }, now: Date) {
  const found = await repo.permanenceById(trx, p.tenantId, id)
  if (!found || !found.active) throw notFound('Cette permanence')
  authorize(p, 'permanence.write', { organisationId: found.organisation_id })
  const cal = await repo.tenantCalendar(trx, p.tenantId)
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: cal.time_zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
  const lastDay = (v.lastDay ?? '').trim() || today
  if (!DATE.test(lastDay) || Number.isNaN(dayOfIsoDate(lastDay))) throw invalidFields([{ path: 'lastDay', message: 'Indiquez le dernier jour de la permanence (AAAA-MM-JJ).' }])
  if (found.valid_until && lastDay > found.valid_until) throw invalidFields([{ path: 'lastDay', message: `La permanence s’arrête déjà le ${found.valid_until.split('-').reverse().join('/')}.` }])
  await repo.endPermanence(trx, p.tenantId, id, lastDay < found.valid_from ? null : lastDay)
  return { id, placeId: found.place_id, lastDay: lastDay < found.valid_from ? null : lastDay, withdrawn: lastDay < found.valid_from }
}

export async function createPermanence(trx: TenantTx, p: Principal, v: PermanenceInput) {
  authorize(p, 'permanence.write', { organisationId: v.organisationId })
  const issues: { path: string; message: string }[] = []
  const s = minutes(v.start), e = minutes(v.end)
  if (Number.isNaN(s)) issues.push({ path: 'start', message: 'Heure au format HH:MM.' })
  if (Number.isNaN(e)) issues.push({ path: 'end', message: 'Heure au format HH:MM.' })
  if (!Number.isNaN(s) && !Number.isNaN(e) && e - s < v.slotMinutes) issues.push({ path: 'end', message: 'La permanence doit durer au moins un créneau.' })
  if (!DATE.test(v.validFrom)) issues.push({ path: 'validFrom', message: 'Date au format AAAA-MM-JJ.' })
  if (v.validUntil && (!DATE.test(v.validUntil) || v.validUntil < v.validFrom)) issues.push({ path: 'validUntil', message: 'Date au format AAAA-MM-JJ, après le début.' })
  const org = await organisationFacts(trx, p.tenantId, v.organisationId)
  if (!org || org.kind === 'mairie') issues.push({ path: 'organisationId', message: 'Organisme inconnu.' })
  if (!(await repo.placeById(trx, p.tenantId, v.placeId))) issues.push({ path: 'placeId', message: 'Lieu inconnu.' })
  if (v.personId && !(await activeMember(trx, p.tenantId, v.personId, v.organisationId))) issues.push({ path: 'personId', message: 'Ce référent n’appartient pas à l’organisme.' })
  if (issues.length) throw invalidFields(issues)
  const row = await repo.insertPermanence(trx, p.tenantId, { organisationId: v.organisationId, placeId: v.placeId, personId: v.personId ?? null, weekday: v.weekday, startMinute: s, endMinute: e, everyWeeks: v.everyWeeks ?? 1, validFrom: v.validFrom, validUntil: v.validUntil ?? null, slotMinutes: v.slotMinutes })
  return (await listPermanences(trx, p, { placeId: v.placeId })).find((x) => x.id === row.id)!
}

// ---------------------------------------------------------------- free slots

export interface SlotView { startsAt: string; endsAt: string; placeId: string; placeName: string; personId: string; personName: string | null; permanenceId: string }

/** The places where the referral's holder may meet its citizen: those serving its commune (any place when none does). */
async function placesFor(trx: TenantTx, tenantId: string, communeInsee: string) {
  const serving = await repo.listPlaces(trx, tenantId, { communeInsee, activeOnly: true })
  return serving.length ? serving : repo.listPlaces(trx, tenantId, { activeOnly: true })
}

const placeFacts = (r: { id: string; desks: number; closures: unknown; opening_hours: unknown }): PlaceFacts => ({ id: r.id, desks: r.desks, closures: (r.closures ?? []) as Closure[], openingHours: (r.opening_hours ?? {}) as WeeklyHours })

async function computeSlots(trx: TenantTx, r: ReferralRow, from: Date, days: number, now: Date, limit: number, onlyPlaceId?: string): Promise<SlotView[]> {
  const cal = await repo.tenantCalendar(trx, r.tenant_id)
  const places = (await placesFor(trx, r.tenant_id, r.commune_insee)).filter((x) => !onlyPlaceId || x.id === onlyPlaceId)
  const perms = await repo.listPermanences(trx, r.tenant_id, { placeIds: places.map((x) => x.id), organisationId: r.holder_organisation_id })
  const people = [...new Set([...perms.map((x) => x.person_id), r.holder_person_id].filter((x): x is string => !!x))]
  const until = new Date(from.getTime() + (days + 1) * DAY)
  const busy = await repo.busyBetween(trx, r.tenant_id, new Date(from.getTime() - DAY), until, places.map((x) => x.id), people)
  const absences = await repo.absencesOf(trx, r.tenant_id, people)
  const slots: Slot[] = freeSlots({
    from, days, now, timeZone: cal.time_zone, departement: cal.code, limit,
    permanences: perms.map((x) => ({ id: x.id, placeId: x.place_id, organisationId: x.organisation_id, personId: x.person_id, weekday: x.weekday, startMinute: x.start_minute, endMinute: x.end_minute, everyWeeks: x.every_weeks, validFrom: x.valid_from, validUntil: x.valid_until, slotMinutes: x.slot_minutes })),
    places: Object.fromEntries(places.map((x) => [x.id, placeFacts(x)])),
    busy: busy.map((b) => ({ placeId: b.place_id, personId: b.person_id, startsAt: b.starts_at, endsAt: b.ends_at })),
    absences: absences.map((a) => ({ personId: a.id, from: a.absent_from, until: a.absent_until })),
    defaultPersonId: r.holder_person_id,
  })
  const placeName = new Map(places.map((x) => [x.id, x.name]))
  const names = new Map<string, string | null>(perms.map((x) => [x.person_id ?? '', x.person_name]))
  if (r.holder_person_id && !names.get(r.holder_person_id)) {
    names.set(r.holder_person_id, await repo.personName(trx, r.tenant_id, r.holder_person_id))
  }
  return slots.map((s) => ({ startsAt: s.startsAt.toISOString(), endsAt: s.endsAt.toISOString(), placeId: s.placeId, placeName: placeName.get(s.placeId) ?? '', personId: s.personId, personName: names.get(s.personId) ?? null, permanenceId: s.permanenceId }))
}

export async function referralSlots(trx: TenantTx, p: Principal, referralId: string, q: { from?: string; days?: number }, now: Date): Promise<SlotView[]> {
  const r = await repo.referralForSlots(trx, p.tenantId, referralId)
  if (!r || !canSeeReferral(p, r)) throw notFound('Cette saisine')
  authorize(p, 'appointment.slots', { holderOrganisationId: r.holder_organisation_id, mairieOrganisationId: r.mairie_organisation_id }, 'Cette saisine')
  const from = q.from ? new Date(q.from) : now
  if (Number.isNaN(from.getTime())) throw invalidFields([{ path: 'from', message: 'Date invalide.' }])
  return computeSlots(trx, r as ReferralRow, from, Math.min(62, Math.max(1, q.days ?? 21)), now, 100)
}

// ---------------------------------------------------------------- booking

export interface BookingInput { startsAt?: string; placeId?: string; personId?: string; note?: string; minutes?: number }
export interface Booked { id: string; placeId: string; placeName: string; placeAddress: string | null; personId: string; startsAt: Date; endsAt: Date; note: string | null }

/**
 * Books the appointment of a referral (locked by the caller): a free slot of a permanence, or an ad-hoc time within
 * the place's opening hours. Taken meanwhile: 409 with the next free slots.
 */
export async function bookAppointment(trx: TenantTx, p: Principal, r: ReferralRow, v: BookingInput, now: Date): Promise<Booked> {
  const issues: { path: string; message: string }[] = []
  const startsAt = v.startsAt ? new Date(v.startsAt) : new Date(NaN)
  if (Number.isNaN(startsAt.getTime())) issues.push({ path: 'startsAt', message: 'La date du rendez-vous est obligatoire.' })
  else if (startsAt <= now || startsAt.getTime() > now.getTime() + 366 * DAY) issues.push({ path: 'startsAt', message: 'La date doit être dans l’année qui vient.' })
  const place = v.placeId ? await repo.placeById(trx, r.tenant_id, v.placeId) : undefined
  if (!place || !place.active) issues.push({ path: 'placeId', message: 'Lieu inconnu.' })
  if (issues.length) throw invalidFields(issues)
  if ((await repo.appointmentsOfReferral(trx, r.tenant_id, r.id)).some((x) => x.status === 'booked')) {
    throw conflict('appointment_exists', 'Cette saisine a déjà un rendez-vous prévu : déplacez-le ou annulez-le.')
  }
  const cal = await repo.tenantCalendar(trx, r.tenant_id)
  // Is it a slot of a permanence (free or not: taken is a 409, not a 400)?
  const perms = await repo.listPermanences(trx, r.tenant_id, { placeIds: [place!.id], organisationId: r.holder_organisation_id })
  const candidates = freeSlots({
    from: new Date(startsAt.getTime() - 1), days: 2, now, timeZone: cal.time_zone, departement: cal.code, busy: [], absences: [], defaultPersonId: r.holder_person_id ?? p.personId,
    permanences: perms.map((x) => ({ id: x.id, placeId: x.place_id, organisationId: x.organisation_id, personId: x.person_id, weekday: x.weekday, startMinute: x.start_minute, endMinute: x.end_minute, everyWeeks: x.every_weeks, validFrom: x.valid_from, validUntil: x.valid_until, slotMinutes: x.slot_minutes })),
    places: { [place!.id]: placeFacts(place!) },
  }).filter((s) => s.startsAt.getTime() === startsAt.getTime() && (!v.personId || s.personId === v.personId))
  const slot = candidates[0]
  let personId: string
  let endsAt: Date
  if (slot) {
    personId = slot.personId
    endsAt = slot.endsAt
  } else {
    endsAt = new Date(startsAt.getTime() + Math.min(240, Math.max(10, v.minutes ?? 30)) * 60_000)
    const refusal = adHocRefusal(placeFacts(place!), startsAt, endsAt, cal.time_zone, cal.code)
    if (refusal) throw invalidFields([{ path: 'startsAt', message: `${refusal} Choisissez un créneau proposé ou une heure d’ouverture du lieu.` }])
    personId = v.personId ?? r.holder_person_id ?? p.personId
  }
  if (!(await activeMember(trx, r.tenant_id, personId, r.holder_organisation_id))) {
    throw invalidFields([{ path: 'personId', message: 'Le référent doit être une personne active de l’organisme qui détient la saisine.' }])
  }
  const booked = await repo.insertAppointment(trx, r.tenant_id, place!.desks, {
    referralId: r.id, placeId: place!.id, personId, organisationId: r.holder_organisation_id, permanenceId: slot?.permanenceId ?? null,
    startsAt, endsAt, note: v.note?.trim() || null, bookedBy: p.personId, now,
  })
  if (!booked) {
    const alternatives = await computeSlots(trx, r, now, 28, now, 5)
    throw conflict('slot_taken', 'Ce créneau vient d’être pris (par le référent ou au guichet du lieu). Choisissez l’un des prochains créneaux libres.', { alternatives })
  }
  return { id: booked.id, placeId: place!.id, placeName: place!.name, placeAddress: place!.address, personId, startsAt, endsAt, note: v.note?.trim() || null }
}

// ---------------------------------------------------------------- reading appointments

export interface AppointmentView {
  id: string; referralId: string; reference: string; citizenName: string; status: string; sequence: number; startsAt: string; endsAt: string
  place: { id: string; name: string; address: string | null; phone: string | null }; person: { name: string }; organisation: { id: string; name: string }
  note: string | null; cancelReason: string | null
}

export const appointmentView = (a: NonNullable<Awaited<ReturnType<typeof repo.appointmentById>>>): AppointmentView => ({
  id: a.id, referralId: a.referral_id, reference: a.reference, citizenName: a.citizen_name, status: a.status, sequence: a.sequence,
  startsAt: a.starts_at.toISOString(), endsAt: a.ends_at.toISOString(), place: { id: a.place_id, name: a.place_name, address: a.place_address, phone: a.place_phone },
  person: { name: a.person_name }, organisation: { id: a.organisation_id, name: a.organisation_name }, note: a.note, cancelReason: a.cancel_reason,
})

/** The caller's appointments from `from` for `days` days: hers (referent), her organisation's, her mairie's, or all (mission TIC). */
export async function listAppointments(trx: TenantTx, p: Principal, q: { from?: string; days?: number; placeId?: string; personId?: string }, now: Date): Promise<AppointmentView[]> {
  authorizeRole(p, 'appointment.read')
  const from = q.from ? new Date(q.from) : new Date(now.getTime() - DAY)
  if (Number.isNaN(from.getTime())) throw invalidFields([{ path: 'from', message: 'Date invalide.' }])
  const to = new Date(from.getTime() + Math.min(92, Math.max(1, q.days ?? 14)) * DAY)
  const scope = referralListScope(p)
  const filter: Parameters<typeof repo.listAppointments>[2] = { from, to, placeId: q.placeId, personId: q.personId }
  if (p.role === 'referent' && !q.personId) filter.personId = p.personId
  if (scope.holderOrganisationId) filter.organisationId = scope.holderOrganisationId
  if (scope.mairieOrganisationId) filter.mairieOrganisationId = scope.mairieOrganisationId
  return (await repo.listAppointments(trx, p.tenantId, filter)).map(appointmentView)
}

export async function appointmentsOfReferral(trx: TenantTx, tenantId: string, referralId: string): Promise<AppointmentView[]> {
  return (await repo.appointmentsOfReferral(trx, tenantId, referralId)).map(appointmentView)
}

/** One appointment, if the person may see its referral. */
export async function getAppointment(trx: TenantTx, p: Principal, id: string): Promise<AppointmentView> {
  const a = await repo.appointmentById(trx, p.tenantId, id)
  if (!a) throw notFound('Ce rendez-vous')
  authorize(p, 'appointment.read', { mairieOrganisationId: a.mairie_organisation_id, holderOrganisationId: a.holder_organisation_id }, 'Ce rendez-vous')
  return appointmentView(a)
}


// ---------------------------------------------------------------- mails, changes, outcome

export type AppointmentOccasion = 'booked' | 'rescheduled' | 'cancelled' | 'reminder'

/** What a mail about an appointment carries: the version it speaks of (times, sequence), so a late mail never says the newer one. */
export interface AppointmentMailPayload {
  appointmentId: string; occasion: AppointmentOccasion; audience: 'referent' | 'secretary' | 'citizen'; sequence: number
  startsAt: string; endsAt: string; previousStartsAt?: string; reason?: string
}

/** Mails the referent, the secretary who filed (with the convocation) and the citizen when she gave an email. */
export async function notifyAppointment(trx: TenantTx, appointmentId: string, tenantId: string, occasion: AppointmentOccasion, now: Date, extra: { previousStartsAt?: Date; reason?: string; only?: ('referent' | 'secretary' | 'citizen')[] } = {}) {
  const a = await repo.appointmentById(trx, tenantId, appointmentId)
  if (!a) return
  const base = { appointmentId, occasion, sequence: a.sequence, startsAt: a.starts_at.toISOString(), endsAt: a.ends_at.toISOString(),
    ...(extra.previousStartsAt ? { previousStartsAt: extra.previousStartsAt.toISOString() } : {}), ...(extra.reason ? { reason: extra.reason } : {}) }
  const want = (who: 'referent' | 'secretary' | 'citizen') => !extra.only || extra.only.includes(who)
  if (want('referent')) await enqueueMail(trx, { tenantId, referralId: a.referral_id, kind: 'appointment', recipients: await personRecipient(trx, tenantId, a.person_id), payload: { ...base, audience: 'referent' }, now })
  if (want('secretary')) await enqueueMail(trx, { tenantId, referralId: a.referral_id, kind: 'appointment', recipients: await personRecipient(trx, tenantId, a.filed_by_person_id), payload: { ...base, audience: 'secretary' }, now })
  if (want('citizen') && a.citizen_email) await enqueueMail(trx, { tenantId, referralId: a.referral_id, kind: 'appointment', recipients: [{ personId: null, email: a.citizen_email }], payload: { ...base, audience: 'citizen' }, now })
}

/** The invitation of an appointment as it stands (GET …/ics), or of the version a mail speaks of. */
export function appointmentInvitation(a: NonNullable<Awaited<ReturnType<typeof repo.appointmentById>>>, v: { method: 'REQUEST' | 'CANCEL'; sequence: number; startsAt: Date; endsAt: Date; stamp: Date; attendee?: { name?: string; email: string } }) {
  return invitationIcs({
    appointmentId: a.id, method: v.method, sequence: v.sequence, startsAt: v.startsAt, endsAt: v.endsAt, stamp: v.stamp,
    summary: `Rendez-vous ${a.organisation_name} — ${a.citizen_name} (${a.reference})`,
    description: [`Saisine ${a.reference}`, `Avec ${a.person_name} (${a.organisation_name})`, a.what_to_bring ? `À apporter : ${a.what_to_bring}` : '', a.note ?? ''].filter(Boolean).join('\n'),
    location: [a.place_name, a.place_address].filter(Boolean).join(', '),
    organizer: { name: a.person_name, email: a.person_email },
    attendees: v.attendee ? [v.attendee] : [{ name: a.person_name, email: a.person_email }],
  })
}

/** The .ics of an appointment for whoever may read it: REQUEST while it stands, CANCEL once cancelled. */
export async function appointmentIcs(trx: TenantTx, p: Principal, id: string, now: Date): Promise<{ filename: string; content: string }> {
  const a = await repo.appointmentById(trx, p.tenantId, id)
  if (!a) throw notFound('Ce rendez-vous')
  authorize(p, 'appointment.read', { mairieOrganisationId: a.mairie_organisation_id, holderOrganisationId: a.holder_organisation_id }, 'Ce rendez-vous')
  const cancelled = a.status === 'cancelled' || a.status === 'citizen_cancelled'
  const ics = appointmentInvitation(a, { method: cancelled ? 'CANCEL' : 'REQUEST', sequence: a.sequence, startsAt: a.starts_at, endsAt: a.ends_at, stamp: now })
  return { filename: `rendez-vous-${a.reference}.ics`, content: ics.content }
}

async function changeable(trx: TenantTx, p: Principal, id: string) {
  const found = await repo.appointmentById(trx, p.tenantId, id)
  if (!found) throw notFound('Ce rendez-vous')
  const facts = { mairieOrganisationId: found.mairie_organisation_id, holderOrganisationId: found.holder_organisation_id }
  authorize(p, 'appointment.read', facts, 'Ce rendez-vous')
  // The referral first, then the appointment: the same order as booking, so two changes never deadlock.
  const r = await lockReferralRow(trx, p.tenantId, found.referral_id)
  const a = (await repo.appointmentById(trx, p.tenantId, id, true))!
  return { a, r: r!, facts }
}

const actorOf = (p: Principal) => ({ personId: p.personId, organisationId: p.organisationId })

export async function rescheduleAppointment(trx: TenantTx, p: Principal, id: string, v: { startsAt?: string; placeId?: string; reason?: string }, now: Date): Promise<AppointmentView> {
  const { a, r, facts } = await changeable(trx, p, id)
  authorize(p, 'appointment.change', facts, 'Ce rendez-vous')
  if (a.status !== 'booked') throw conflict('appointment_not_booked', 'Ce rendez-vous n’est plus prévu : il ne peut pas être déplacé.')
  const reason = v.reason?.trim()
  const issues: { path: string; message: string }[] = []
  if (!reason) issues.push({ path: 'reason', message: 'Le motif est obligatoire.' })
  const startsAt = v.startsAt ? new Date(v.startsAt) : new Date(NaN)
  if (Number.isNaN(startsAt.getTime())) issues.push({ path: 'startsAt', message: 'La nouvelle date est obligatoire.' })
  else if (startsAt <= now || startsAt.getTime() > now.getTime() + 366 * DAY) issues.push({ path: 'startsAt', message: 'La date doit être dans l’année qui vient.' })
  const place = await repo.placeById(trx, p.tenantId, v.placeId ?? a.place_id)
  if (!place || !place.active) issues.push({ path: 'placeId', message: 'Lieu inconnu.' })
  if (issues.length) throw invalidFields(issues)
  const cal = await repo.tenantCalendar(trx, p.tenantId)
  const duration = a.ends_at.getTime() - a.starts_at.getTime()
  const perms = await repo.listPermanences(trx, p.tenantId, { placeIds: [place!.id], organisationId: a.organisation_id })
  const slot = freeSlots({
    from: new Date(startsAt.getTime() - 1), days: 2, now, timeZone: cal.time_zone, departement: cal.code, busy: [], absences: [], defaultPersonId: a.person_id, places: { [place!.id]: placeFacts(place!) },
    permanences: perms.filter((x) => !x.person_id || x.person_id === a.person_id).map((x) => ({ id: x.id, placeId: x.place_id, organisationId: x.organisation_id, personId: x.person_id, weekday: x.weekday, startMinute: x.start_minute, endMinute: x.end_minute, everyWeeks: x.every_weeks, validFrom: x.valid_from, validUntil: x.valid_until, slotMinutes: x.slot_minutes })),
  }).find((s) => s.startsAt.getTime() === startsAt.getTime())
  const endsAt = slot?.endsAt ?? new Date(startsAt.getTime() + duration)
  if (!slot) {
    const refusal = adHocRefusal(placeFacts(place!), startsAt, endsAt, cal.time_zone, cal.code)
    if (refusal) throw invalidFields([{ path: 'startsAt', message: `${refusal} Choisissez un créneau proposé ou une heure d’ouverture du lieu.` }])
  }
  const moved = await repo.moveAppointment(trx, p.tenantId, a.id, place!.desks, { placeId: place!.id, startsAt, endsAt, permanenceId: slot?.permanenceId ?? null, now })
  if (!moved) {
    const alternatives = await computeSlots(trx, r, now, 28, now, 5)
    throw conflict('slot_taken', 'Ce créneau est déjà pris (par le référent ou au guichet du lieu). Choisissez l’un des prochains créneaux libres.', { alternatives })
  }
  await appendEvent(trx, p.tenantId, a.referral_id, 'appointment_rescheduled', actorOf(p), now, { appointmentId: a.id, from: a.starts_at.toISOString(), at: startsAt.toISOString(), endsAt: endsAt.toISOString(), placeName: place!.name, reason })
  await notifyAppointment(trx, a.id, p.tenantId, 'rescheduled', now, { previousStartsAt: a.starts_at, reason })
  return getAppointment(trx, p, a.id)
}

export async function cancelAppointment(trx: TenantTx, p: Principal, id: string, v: { reason?: string }, now: Date): Promise<AppointmentView> {
  const { a, facts } = await changeable(trx, p, id)
  authorize(p, 'appointment.change', facts, 'Ce rendez-vous')
  if (a.status !== 'booked') throw conflict('appointment_not_booked', 'Ce rendez-vous n’est plus prévu : il ne peut pas être annulé.')
  const reason = v.reason?.trim()
  if (!reason) throw invalidFields([{ path: 'reason', message: 'Le motif est obligatoire.' }])
  await repo.setAppointmentStatus(trx, p.tenantId, a.id, { status: 'cancelled', reason, bumpSequence: true, now })
  await appendEvent(trx, p.tenantId, a.referral_id, 'appointment_cancelled', actorOf(p), now, { appointmentId: a.id, at: a.starts_at.toISOString(), placeName: a.place_name, reason })
  await notifyAppointment(trx, a.id, p.tenantId, 'cancelled', now, { reason })
  return getAppointment(trx, p, a.id)
}

export const OUTCOMES = ['held', 'no_show', 'citizen_cancelled'] as const
export type Outcome = (typeof OUTCOMES)[number]

/** After its time: held, no-show, or cancelled by the citizen. « Held » lets the mairie close the referral. */
export async function recordOutcome(trx: TenantTx, p: Principal, id: string, outcome: Outcome, now: Date): Promise<AppointmentView & { closable: boolean }> {
  const { a, facts } = await changeable(trx, p, id)
  authorize(p, 'appointment.outcome', facts, 'Ce rendez-vous')
  if (a.status !== 'booked') throw conflict('outcome_recorded', 'L’issue de ce rendez-vous est déjà indiquée, ou il a été annulé.')
  if (a.starts_at > now) throw conflict('appointment_not_yet', 'Le rendez-vous n’a pas encore eu lieu : son issue s’indique après l’heure prévue.')
  await repo.setAppointmentStatus(trx, p.tenantId, a.id, { status: outcome, bumpSequence: false, now })
  await appendEvent(trx, p.tenantId, a.referral_id, 'appointment_outcome', actorOf(p), now, { appointmentId: a.id, at: a.starts_at.toISOString(), outcome })
  return { ...await getAppointment(trx, p, a.id), closable: outcome === 'held' }
}

export async function pendingOutcomes(trx: TenantTx, p: Principal, now: Date): Promise<AppointmentView[]> {
  return (await repo.pendingOutcomes(trx, p.tenantId, p.personId, now)).map(appointmentView)
}

/** When the reminder goes: 10:00 local on the working day before (public holidays and weekends skipped). */
export function reminderAt(startsAt: Date, timeZone: string, departement: string): Date {
  const day = workingDayBefore(startsAt, timeZone, departement)
  return new Date(fromLocalMs(dayOfIsoDate(day) * DAY + 600 * 60_000, timeZone))
}

/**
 * The worker's pass: each standing appointment whose reminder time has come is marked reminded and its mails (the
 * referent, the citizen) written in one transaction, so the next tick or a second worker finds nothing to do.
 */
export async function remindAppointments(db: DB, now: Date, batch = 200): Promise<number> {
  let reminded = 0
  // The working day before is at most four days before (a Tuesday after Easter Monday: the Friday).
  for (const due of await repo.remindersDue(crossTenant(db), now, new Date(now.getTime() + 5 * DAY), batch)) {
    const done = await withTenant(db, { tenantId: due.tenant_id }, async (trx) => {
      const a = await repo.appointmentById(trx, due.tenant_id, due.id)
      if (!a) return false
      const cal = await repo.tenantCalendar(trx, due.tenant_id)
      if (now < reminderAt(a.starts_at, cal.time_zone, cal.code)) return false
      if (!(await repo.markReminded(trx, due.tenant_id, due.id, now))) return false
      await notifyAppointment(trx, a.id, due.tenant_id, 'reminder', now, { only: ['referent', 'citizen'] })
      return true
    })
    if (done) reminded++
  }
  return reminded
}
