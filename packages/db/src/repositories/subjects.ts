// A person's referrals (issue 18, the rights of access and erasure): found by her email address or her name, in the
// current tenant only (RLS and the explicit filter), anonymised ones left out (nothing of her is left in them).
import { sql } from 'kysely'
import type { TenantTx } from '../index.ts'

export type SubjectKey = { email: string } | { name: string }

/** Referrals whose citizen has this address (case ignored), or whose name holds every typed word (accents and case ignored). */
export async function subjectReferrals(trx: TenantTx, tenantId: string, key: SubjectKey, limit: number) {
  let q = trx.selectFrom('referral as r')
    .innerJoin('theme as t', 't.id', 'r.theme_id').innerJoin('commune as c', 'c.insee', 'r.commune_insee')
    .innerJoin('organisation as m', 'm.id', 'r.mairie_organisation_id').innerJoin('organisation as h', 'h.id', 'r.holder_organisation_id')
    .select([
      'r.id', 'r.reference', 'r.status', 'r.filed_at', 'r.closed_at', 'r.citizen_name', 'r.citizen_email', 'r.citizen_phone', 'r.citizen_preferred_channel',
      'r.question', 'r.internal_note', 't.label as theme_label', 'c.name as commune_name', 'm.name as mairie_name', 'h.name as holder_name',
    ])
    .where('r.tenant_id', '=', tenantId).where('r.anonymised_at', 'is', null)
  if ('email' in key) q = q.where(sql<string>`lower(r.citizen_email)`, '=', key.email.trim().toLowerCase())
  else {
    for (const word of key.name.split(/\s+/).filter(Boolean)) {
      q = q.where(sql<boolean>`relais_unaccent(lower(r.citizen_name)) like '%' || relais_unaccent(lower(${word.replace(/[\\%_]/g, (c) => `\\${c}`)})) || '%'`)
    }
  }
  return q.orderBy('r.filed_at', 'desc').orderBy('r.id').limit(limit).execute()
}

export type SubjectReferral = Awaited<ReturnType<typeof subjectReferrals>>[number]

/** The events a person's export shows: what was written about her request, with the organisation that wrote it. */
export async function subjectEvents(trx: TenantTx, tenantId: string, referralIds: string[]) {
  if (!referralIds.length) return []
  return trx.selectFrom('referral_event as e').leftJoin('organisation as o', 'o.id', 'e.actor_organisation_id')
    .select(['e.referral_id', 'e.seq', 'e.at', 'e.kind', 'e.data', 'o.name as organisation'])
    .where('e.tenant_id', '=', tenantId).where('e.referral_id', 'in', referralIds)
    .orderBy('e.referral_id').orderBy('e.seq').execute()
}
