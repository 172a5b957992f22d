// Places, permanences and appointments (issue 14). The exclusion constraints of migration 0080 decide whether a
// time is free: an insert that would overlap another standing appointment of the referent or of the desk is
// skipped by ON CONFLICT DO NOTHING (which honours exclusion constraints), so concurrent bookings never both win.
import { sql } from 'kysely'
import type { CrossTenantDb, TenantTx } from '../index.ts'
import type { AppointmentStatus } from '../schema.ts'

export const STANDING: AppointmentStatus[] = ['booked', 'held', 'no_show']

const placeColumns = ['id', 'organisation_id', 'name', 'address', 'phone', 'opening_hours', 'closures', 'communes', 'desks', 'what_to_bring', 'active', 'updated_at'] as const

export async function listPlaces(trx: TenantTx, tenantId: string, filter: { communeInsee?: string; activeOnly?: boolean } = {}) {
  let q = trx.selectFrom('place').select(placeColumns).where('tenant_id', '=', tenantId)
  if (filter.communeInsee) q = q.where(sql<boolean>`communes @> array[${filter.communeInsee}]::text[]`)
  if (filter.activeOnly) q = q.where('active', '=', true)
  return q.orderBy(sql`name collate fr_icu`).execute()
}

export async function placeById(trx: TenantTx, tenantId: string, id: string, lock = false) {
  const q = trx.selectFrom('place').select(placeColumns).where('tenant_id', '=', tenantId).where('id', '=', id)
  return (lock ? q.forUpdate() : q).executeTakeFirst()
}

/** Names already taken among these (the CSV import refuses them before writing anything). */
export async function placeNamesTaken(trx: TenantTx, tenantId: string, names: string[]): Promise<Set<string>> {
  if (!names.length) return new Set()
  const rows = await trx.selectFrom('place').select('name').where('tenant_id', '=', tenantId).where('name', 'in', names).execute()
  return new Set(rows.map((r) => r.name))
}

export async function insertPlace(trx: TenantTx, tenantId: string, v: { name: string; address: string | null; phone: string | null; organisationId: string | null; openingHours: unknown; closures: unknown; communes: string[]; desks: number; whatToBring: string | null }) {
  return trx.insertInto('place').values({
    tenant_id: tenantId, name: v.name, address: v.address, phone: v.phone, organisation_id: v.organisationId, opening_hours: JSON.stringify(v.openingHours),
    closures: JSON.stringify(v.closures), communes: v.communes, desks: v.desks, what_to_bring: v.whatToBring,
  }).onConflict((oc) => oc.columns(['tenant_id', 'name']).doNothing()).returning('id').executeTakeFirst()
}

export async function updatePlace(trx: TenantTx, tenantId: string, id: string, patch: Record<string, unknown>, now: Date) {
  const set: Record<string, unknown> = { updated_at: now }
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) set[k] = k === 'opening_hours' || k === 'closures' ? JSON.stringify(v) : v
  return trx.updateTable('place').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).returning('id').executeTakeFirst()
}

const permanenceColumns = ['pm.id', 'pm.organisation_id', 'pm.place_id', 'pm.person_id', 'pm.weekday', 'pm.start_minute', 'pm.end_minute', 'pm.every_weeks', 'pm.slot_minutes', 'pm.active'] as const

export async function listPermanences(trx: TenantTx, tenantId: string, filter: { placeIds?: string[]; organisationId?: string } = {}) {
  let q = trx.selectFrom('permanence as pm').innerJoin('place', 'place.id', 'pm.place_id').innerJoin('organisation as o', 'o.id', 'pm.organisation_id')
    .leftJoin('person', 'person.id', 'pm.person_id')
    .select([...permanenceColumns, 'place.name as place_name', 'o.name as organisation_name', 'person.name as person_name',
      sql<string>`to_char(pm.valid_from, 'YYYY-MM-DD')`.as('valid_from'), sql<string | null>`to_char(pm.valid_until, 'YYYY-MM-DD')`.as('valid_until')])
    .where('pm.tenant_id', '=', tenantId).where('pm.active', '=', true)
  if (filter.placeIds) q = filter.placeIds.length ? q.where('pm.place_id', 'in', filter.placeIds) : q.where(sql<boolean>`false`)
  if (filter.organisationId) q = q.where('pm.organisation_id', '=', filter.organisationId)
  return q.orderBy('place.name').orderBy('pm.weekday').orderBy('pm.start_minute').execute()
}

export async function insertPermanence(trx: TenantTx, tenantId: string, v: { organisationId: string; placeId: string; personId: string | null; weekday: number; startMinute: number; endMinute: number; everyWeeks: number; validFrom: string; validUntil: string | null; slotMinutes: number }) {
  return trx.insertInto('permanence').values({
    tenant_id: tenantId, organisation_id: v.organisationId, place_id: v.placeId, person_id: v.personId, weekday: v.weekday, start_minute: v.startMinute,
    end_minute: v.endMinute, every_weeks: v.everyWeeks, valid_from: v.validFrom, valid_until: v.validUntil, slot_minutes: v.slotMinutes,
  }).returning('id').executeTakeFirstOrThrow()
}

export async function permanenceById(trx: TenantTx, tenantId: string, id: string) {
  return trx.selectFrom('permanence').select(['id', 'organisation_id', 'place_id', 'active', sql<string>`to_char(valid_from, 'YYYY-MM-DD')`.as('valid_from'), sql<string | null>`to_char(valid_until, 'YYYY-MM-DD')`.as('valid_until')])
    .where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst()
}

/** Ends a permanence: its last day, or none at all (it had not begun). */
export async function endPermanence(trx: TenantTx, tenantId: string, id: string, lastDay: string | null) {
  return trx.updateTable('permanence').set(lastDay ? { valid_until: lastDay } : { active: false })
    .where('tenant_id', '=', tenantId).where('id', '=', id).returning('id').executeTakeFirst()
}

/** Standing appointments overlapping [from, to) at these places or of these people. */
export async function busyBetween(trx: TenantTx, tenantId: string, from: Date, to: Date, placeIds: string[], personIds: string[]) {
  if (!placeIds.length && !personIds.length) return []
  return trx.selectFrom('appointment').select(['place_id', 'person_id', 'starts_at', 'ends_at']).where('tenant_id', '=', tenantId)
    .where('status', 'in', STANDING).where('starts_at', '<', to).where('ends_at', '>', from)
    .where((eb) => eb.or([...(placeIds.length ? [eb('place_id', 'in', placeIds)] : []), ...(personIds.length ? [eb('person_id', 'in', personIds)] : [])]))
    .execute()
}

export async function absencesOf(trx: TenantTx, tenantId: string, personIds: string[]) {
  if (!personIds.length) return []
  return trx.selectFrom('person').select(['id', 'absent_from', 'absent_until']).where('tenant_id', '=', tenantId).where('id', 'in', personIds)
    .where((eb) => eb.or([eb('absent_from', 'is not', null), eb('absent_until', 'is not', null)])).execute()
}

/** Books on the first free desk; undefined when the referent or every desk is taken then (the constraints said no). */
export async function insertAppointment(trx: TenantTx, tenantId: string, desks: number, v: { referralId: string; placeId: string; personId: string; organisationId: string; permanenceId: string | null; startsAt: Date; endsAt: Date; note: string | null; bookedBy: string; now: Date }) {
  for (let desk = 1; desk <= desks; desk++) {
    const row = await trx.insertInto('appointment').values({
      tenant_id: tenantId, referral_id: v.referralId, place_id: v.placeId, desk, person_id: v.personId, organisation_id: v.organisationId,
      permanence_id: v.permanenceId, starts_at: v.startsAt, ends_at: v.endsAt, note: v.note, booked_by_person_id: v.bookedBy, created_at: v.now, updated_at: v.now,
    }).onConflict((oc) => oc.doNothing()).returning(['id', 'desk']).executeTakeFirst()
    if (row) return row
  }
  return undefined
}

const appointmentColumns = ['a.id', 'a.referral_id', 'a.place_id', 'a.desk', 'a.person_id', 'a.organisation_id', 'a.permanence_id', 'a.starts_at', 'a.ends_at', 'a.status', 'a.sequence', 'a.note', 'a.cancel_reason', 'a.created_at', 'a.updated_at'] as const

function appointmentQuery(trx: TenantTx, tenantId: string) {
  return trx.selectFrom('appointment as a').innerJoin('place', 'place.id', 'a.place_id').innerJoin('person', 'person.id', 'a.person_id')
    .innerJoin('organisation as o', 'o.id', 'a.organisation_id').innerJoin('referral as r', 'r.id', 'a.referral_id')
    .select([...appointmentColumns, 'place.name as place_name', 'place.address as place_address', 'place.phone as place_phone', 'place.what_to_bring',
      'person.name as person_name', 'person.email as person_email', 'o.name as organisation_name', 'r.reference', 'r.citizen_name', 'r.citizen_email',
      'r.mairie_organisation_id', 'r.holder_organisation_id', 'r.filed_by_person_id'])
    .where('a.tenant_id', '=', tenantId)
}

export type AppointmentRow = Awaited<ReturnType<typeof appointmentById>> & {}

export async function appointmentById(trx: TenantTx, tenantId: string, id: string, lock = false) {
  let q = appointmentQuery(trx, tenantId).where('a.id', '=', id)
  if (lock) q = q.forUpdate(['a'] as never)
  return q.executeTakeFirst()
}

export async function appointmentsOfReferral(trx: TenantTx, tenantId: string, referralId: string) {
  return appointmentQuery(trx, tenantId).where('a.referral_id', '=', referralId).orderBy('a.created_at', 'desc').execute()
}

export async function listAppointments(trx: TenantTx, tenantId: string, f: { from: Date; to: Date; personId?: string; organisationId?: string; mairieOrganisationId?: string; placeId?: string }) {
  let q = appointmentQuery(trx, tenantId).where('a.starts_at', '>=', f.from).where('a.starts_at', '<', f.to)
  if (f.personId) q = q.where('a.person_id', '=', f.personId)
  if (f.organisationId) q = q.where('a.organisation_id', '=', f.organisationId)
  if (f.mairieOrganisationId) q = q.where('r.mairie_organisation_id', '=', f.mairieOrganisationId)
  if (f.placeId) q = q.where('a.place_id', '=', f.placeId)
  return q.orderBy('a.starts_at').orderBy('a.id').limit(500).execute()
}

/** The referral a slot search is for (the whole row, as the booking reads it; unlocked: slots are only offered). */
export async function referralForSlots(trx: TenantTx, tenantId: string, id: string) {
  return trx.selectFrom('referral').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
}

/** A person's name (the referent a slot is with, when no permanence names her). */
export async function personName(trx: TenantTx, tenantId: string, id: string): Promise<string | null> {
  return (await trx.selectFrom('person').select('name').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst())?.name ?? null
}

export async function tenantCalendar(trx: TenantTx, tenantId: string) {
  return trx.selectFrom('tenant').select(['code', 'time_zone']).where('id', '=', tenantId).executeTakeFirstOrThrow()
}

/**
 * Moves a standing appointment (same row, so the same invitation UID) to the first free desk at the new time,
 * raising its sequence; undefined when the constraints refuse every desk. Each try runs in a savepoint: an UPDATE
 * has no ON CONFLICT, and a refused one must not abort the caller's transaction.
 */
export async function moveAppointment(trx: TenantTx, tenantId: string, id: string, desks: number, v: { placeId: string; startsAt: Date; endsAt: Date; permanenceId: string | null; now: Date }) {
  for (let desk = 1; desk <= desks; desk++) {
    await sql`savepoint move_appointment`.execute(trx)
    try {
      const row = await trx.updateTable('appointment').set({
        place_id: v.placeId, desk, starts_at: v.startsAt, ends_at: v.endsAt, permanence_id: v.permanenceId, sequence: sql`sequence + 1`, reminded_at: null, updated_at: v.now,
      }).where('tenant_id', '=', tenantId).where('id', '=', id).returning(['sequence', 'desk']).executeTakeFirstOrThrow()
      await sql`release savepoint move_appointment`.execute(trx)
      return row
    } catch (err) {
      await sql`rollback to savepoint move_appointment`.execute(trx)
      if ((err as { code?: string }).code !== '23P01') throw err
    }
  }
  return undefined
}

export async function setAppointmentStatus(trx: TenantTx, tenantId: string, id: string, v: { status: AppointmentStatus; reason?: string | null; bumpSequence: boolean; now: Date }) {
  return trx.updateTable('appointment').set({
    status: v.status, ...(v.reason !== undefined ? { cancel_reason: v.reason } : {}), ...(v.bumpSequence ? { sequence: sql`sequence + 1` } : {}), updated_at: v.now,
  }).where('tenant_id', '=', tenantId).where('id', '=', id).returning(['sequence']).executeTakeFirstOrThrow()
}

/** The referent's appointments past their time with no outcome recorded yet. */
export async function pendingOutcomes(trx: TenantTx, tenantId: string, personId: string, now: Date) {
  return appointmentQuery(trx, tenantId).where('a.person_id', '=', personId).where('a.status', '=', 'booked').where('a.ends_at', '<=', now)
    .orderBy('a.starts_at').limit(100).execute()
}

/** Cross-tenant, for the worker: standing appointments starting in (now, until] not reminded yet (ids only). */
export async function remindersDue(db: CrossTenantDb, now: Date, until: Date, limit: number): Promise<{ tenant_id: string; id: string }[]> {
  const { rows } = await sql<{ tenant_id: string; id: string }>`select tenant_id, id from appointment_reminders_due(${now}, ${until}, ${limit})`.execute(db)
  return rows
}

/** Compare-and-set: of two workers, one marks it (and writes its mails), the other gets nothing. */
export async function markReminded(trx: TenantTx, tenantId: string, id: string, now: Date) {
  return trx.updateTable('appointment').set({ reminded_at: now }).where('tenant_id', '=', tenantId).where('id', '=', id)
    .where('status', '=', 'booked').where('reminded_at', 'is', null).returning(['id']).executeTakeFirst()
}
