// The citizen's side of a referral (issue 18): the tracking code's hash, the receipt's facts, the tenant's privacy
// settings. One read crosses tenants by design — /suivi has no login — and goes through tracking_candidate().
import { sql } from 'kysely'
import { runPrepared, type CrossTenantDb, type TenantTx } from '../index.ts'

export interface TrackingCandidate { tenant_id: string; referral_id: string; tracking_code_hash: string }

/** Cross-tenant: the referral(s) with this reference that have a tracking code, and the code's hash. */
export async function trackingCandidates(db: CrossTenantDb, reference: string): Promise<TrackingCandidate[]> {
  const { rows } = await sql<TrackingCandidate>`select * from tracking_candidate(${reference})`.execute(db)
  return rows
}

export async function setTrackingHash(trx: TenantTx, tenantId: string, referralId: string, hash: string): Promise<void> {
  await trx.updateTable('referral').set({ tracking_code_hash: hash }).where('tenant_id', '=', tenantId).where('id', '=', referralId).execute()
}

export async function privacyRow(trx: TenantTx, tenantId: string) {
  return (await runPrepared(trx, 'privacy_row', trx.selectFrom('citizen_privacy').selectAll().where('tenant_id', '=', tenantId))).rows[0]
}

export async function savePrivacy(trx: TenantTx, tenantId: string, v: { dpoContact: string; retentionMonths: number; referentMailContact: boolean }, now: Date): Promise<void> {
  const row = { dpo_contact: v.dpoContact, retention_months: v.retentionMonths, referent_mail_contact: v.referentMailContact, updated_at: now }
  await trx.insertInto('citizen_privacy').values({ tenant_id: tenantId, ...row }).onConflict((oc) => oc.column('tenant_id').doUpdateSet(row)).execute()
}

/** The mission TIC's contact: the default data protection contact when the tenant set none. */
export async function missionTicContact(trx: TenantTx, tenantId: string) {
  return (await runPrepared(trx, 'mission_tic_contact', trx.selectFrom('organisation').select(['name', 'email', 'address', 'phone']).where('tenant_id', '=', tenantId).where('kind', '=', 'mission_tic').orderBy('created_at').limit(1))).rows[0]
}

/** What an acknowledgement and the tracking page say of a referral: the service in charge, the mairie, the deadline. */
export async function receiptFacts(trx: TenantTx, tenantId: string, referralId: string) {
  const q = trx.selectFrom('referral as r').innerJoin('organisation as m', 'm.id', 'r.mairie_organisation_id')
    .innerJoin('organisation as h', 'h.id', 'r.holder_organisation_id').innerJoin('theme as t', 't.id', 'r.theme_id')
    .innerJoin('tenant as tn', 'tn.id', 'r.tenant_id')
    .select([
      'r.id', 'r.reference', 'r.status', 'r.filed_at', 'r.due_at', 'r.theme_id', 'r.citizen_name', 'r.citizen_email', 'r.mairie_organisation_id', 'r.closed_at',
      'm.name as mairie_name', 'm.address as mairie_address', 'm.email as mairie_email', 'm.phone as mairie_phone',
      'h.id as holder_id', 'h.kind as holder_kind', 'h.name as holder_name', 'h.address as holder_address', 'h.email as holder_email', 'h.phone as holder_phone',
      't.label as theme_label', 'tn.time_zone',
    ])
    .where('r.tenant_id', '=', tenantId).where('r.id', '=', referralId)
  return (await runPrepared(trx, 'receipt_facts', q)).rows[0]
}

/** The timeline's events a citizen's steps are made of (kinds, dates and the organisations named). */
export async function trackingEvents(trx: TenantTx, tenantId: string, referralId: string) {
  return trx.selectFrom('referral_event').select(['kind', 'at', 'data']).where('tenant_id', '=', tenantId).where('referral_id', '=', referralId)
    .where('kind', 'in', ['filed', 'assigned', 'info_requested', 'info_provided', 'answered', 'appointment_proposed', 'closed', 'cancelled', 'reopened'])
    .orderBy('seq').execute()
}

export async function organisationNames(trx: TenantTx, tenantId: string, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map()
  const rows = await trx.selectFrom('organisation').select(['id', 'name']).where('tenant_id', '=', tenantId).where('id', 'in', ids).execute()
  return new Map(rows.map((r) => [r.id, r.name]))
}

/** The latest written answer of a referral (its text may have been erased by the retention). */
export async function lastAnswer(trx: TenantTx, tenantId: string, referralId: string) {
  return trx.selectFrom('referral_event as e').leftJoin('organisation as o', 'o.id', 'e.actor_organisation_id')
    .select(['e.seq', 'e.at', 'e.data', 'o.name as organisation'])
    .where('e.tenant_id', '=', tenantId).where('e.referral_id', '=', referralId).where('e.kind', '=', 'answered')
    .orderBy('e.seq', 'desc').limit(1).executeTakeFirst()
}
