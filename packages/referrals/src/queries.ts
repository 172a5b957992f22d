import type { Tx, ReferralStatus } from '@relais/db'
import { decodeCursor, page } from '@relais/db/paging'
import { CLOCK_STATUSES, canReadNote, canSeeReferral, clockMayRun, notFound, referralListScope } from '@relais/core'
import type { Principal } from './service.ts'

export interface ListFilters {
  status?: ReferralStatus; organisationId?: string; themeCode?: string; communeInsee?: string
  overdue?: boolean; dueBefore?: string; limit: number; cursor?: string
}

/** Lists what the person may see, newest first. The visibility rule is canSeeReferral's, as a filter. */
export async function listReferrals(trx: Tx, p: Principal, f: ListFilters, now: Date) {
  const after = decodeCursor(f.cursor, 2)
  let q = trx.selectFrom('referral as r')
    .innerJoin('theme as t', 't.id', 'r.theme_id')
    .innerJoin('commune as c', 'c.insee', 'r.commune_insee')
    .innerJoin('organisation as h', 'h.id', 'r.holder_organisation_id')
    .innerJoin('organisation as m', 'm.id', 'r.mairie_organisation_id')
    .select(['r.id', 'r.reference', 'r.status', 'r.filed_at', 'r.due_at', 'r.sla_met_at', 'r.closed_at', 'r.citizen_name',
      't.code as theme_code', 't.label as theme_label', 'c.insee', 'c.name as commune_name', 'h.id as holder_id', 'h.name as holder_name',
      'm.id as mairie_id', 'm.name as mairie_name'])
  const scope = referralListScope(p)
  if (scope.mairieOrganisationId) q = q.where('r.mairie_organisation_id', '=', scope.mairieOrganisationId)
  if (scope.holderOrganisationId) q = q.where('r.holder_organisation_id', '=', scope.holderOrganisationId)
  if (f.status) q = q.where('r.status', '=', f.status)
  if (f.organisationId) q = q.where('r.holder_organisation_id', '=', f.organisationId)
  if (f.themeCode) q = q.where('t.code', '=', f.themeCode)
  if (f.communeInsee) q = q.where('r.commune_insee', '=', f.communeInsee)
  if (f.overdue === true) q = q.where('r.due_at', '<', now).where('r.sla_met_at', 'is', null).where('r.status', 'in', [...CLOCK_STATUSES])
  if (f.overdue === false) q = q.where((eb) => eb.or([eb('r.due_at', '>=', now), eb('r.due_at', 'is', null), eb('r.sla_met_at', 'is not', null)]))
  if (f.dueBefore) q = q.where('r.due_at', '<', new Date(f.dueBefore))
  if (after) q = q.where((eb) => eb.or([eb('r.filed_at', '<', new Date(String(after[0]))), eb.and([eb('r.filed_at', '=', new Date(String(after[0]))), eb('r.id', '<', String(after[1]))])]))
  const rows = await q.orderBy('r.filed_at', 'desc').orderBy('r.id', 'desc').limit(f.limit + 1).execute()
  const result = page(rows, f.limit, (r) => [r.filed_at.toISOString(), r.id])
  return {
    nextCursor: result.nextCursor,
    items: result.items.map((r) => ({
      id: r.id, reference: r.reference, status: r.status, filedAt: r.filed_at.toISOString(), dueAt: r.due_at?.toISOString() ?? null,
      overdue: !!r.due_at && !r.sla_met_at && r.due_at < now && clockMayRun(r.status),
      theme: { code: r.theme_code, label: r.theme_label }, commune: { insee: r.insee, name: r.commune_name },
      holder: { id: r.holder_id, name: r.holder_name }, mairie: { id: r.mairie_id, name: r.mairie_name }, citizenName: r.citizen_name,
    })),
  }
}

/** afterOwnAction: the person just acted on it (e.g. transferred it away) and may see the outcome once. */
export async function getReferral(trx: Tx, p: Principal, id: string, opts: { afterOwnAction?: boolean } = {}) {
  const r = await trx.selectFrom('referral as r')
    .innerJoin('theme as t', 't.id', 'r.theme_id')
    .innerJoin('commune as c', 'c.insee', 'r.commune_insee')
    .innerJoin('organisation as h', 'h.id', 'r.holder_organisation_id')
    .innerJoin('organisation as m', 'm.id', 'r.mairie_organisation_id')
    .leftJoin('person as hp', 'hp.id', 'r.holder_person_id')
    .selectAll('r')
    .select(['t.code as theme_code', 't.label as theme_label', 'c.name as commune_name', 'h.name as holder_name', 'm.name as mairie_name', 'hp.name as holder_person_name'])
    .where('r.id', '=', id).executeTakeFirst()
  if (!r || (!opts.afterOwnAction && !canSeeReferral(p, r))) throw notFound('Cette saisine')
  const events = await trx.selectFrom('referral_event as e')
    .leftJoin('person as a', 'a.id', 'e.actor_person_id')
    .leftJoin('organisation as o', 'o.id', 'e.actor_organisation_id')
    .select(['e.seq', 'e.at', 'e.kind', 'e.data', 'e.hash', 'a.name as actor_name', 'o.name as actor_organisation', 'e.actor_person_id'])
    .where('e.referral_id', '=', id).orderBy('e.seq').execute()
  const timeline = events.map((e) => ({
    seq: e.seq, at: e.at.toISOString(), kind: e.kind, data: e.data, hash: e.hash,
    actor: e.actor_person_id ? { personId: e.actor_person_id, name: e.actor_name ?? '', organisation: e.actor_organisation ?? '' } : null,
  }))
  const showNote = canReadNote(p, r)
  return {
    id: r.id, reference: r.reference, status: r.status,
    theme: { code: r.theme_code, label: r.theme_label }, commune: { insee: r.commune_insee, name: r.commune_name },
    mairie: { id: r.mairie_organisation_id, name: r.mairie_name },
    holder: { organisation: { id: r.holder_organisation_id, name: r.holder_name }, person: r.holder_person_id ? { id: r.holder_person_id, name: r.holder_person_name ?? '' } : null },
    question: r.question,
    citizen: { name: r.citizen_name, email: r.citizen_email, phone: r.citizen_phone, preferredChannel: r.citizen_preferred_channel },
    internalNote: showNote ? r.internal_note : null,
    filedAt: r.filed_at.toISOString(), dueAt: r.due_at?.toISOString() ?? null, slaMetAt: r.sla_met_at?.toISOString() ?? null,
    slaMinutesTaken: r.sla_minutes_taken, slaMinutesVsTarget: r.sla_minutes_vs_target, closedAt: r.closed_at?.toISOString() ?? null,
    answers: timeline.filter((e) => e.kind === 'answered').map((e) => ({ at: e.at, body: String(e.data.body ?? ''), by: e.actor })),
    timeline,
  }
}
