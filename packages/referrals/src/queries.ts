import type { TenantTx, ReferralStatus } from '@relais/db'
import * as repo from '@relais/db/repositories/referrals'
import { eventsWithActors } from '@relais/db/repositories/timeline'
import { decodeCursor, page } from '@relais/db/paging'
import { canReadNote, canSeeReferral, clockMayRun, notFound, referralListScope } from '@relais/core'
import type { Principal } from './service.ts'

export interface ListFilters {
  status?: ReferralStatus; organisationId?: string; themeCode?: string; communeInsee?: string
  overdue?: boolean; dueBefore?: string; limit: number; cursor?: string
}

/** Lists what the person may see, newest first. The visibility rule is canSeeReferral's, as a filter. */
export async function listReferrals(trx: TenantTx, p: Principal, f: ListFilters, now: Date) {
  const after = decodeCursor(f.cursor, 2)
  const rows = await repo.listReferrals(trx, p.tenantId, {
    ...referralListScope(p),
    status: f.status, organisationId: f.organisationId, themeCode: f.themeCode, communeInsee: f.communeInsee, overdue: f.overdue,
    dueBefore: f.dueBefore ? new Date(f.dueBefore) : undefined,
  }, now, after ? { filedAt: new Date(String(after[0])), id: String(after[1]) } : null, f.limit + 1)
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
export async function getReferral(trx: TenantTx, p: Principal, id: string, opts: { afterOwnAction?: boolean } = {}) {
  const r = await repo.referralDetail(trx, p.tenantId, id)
  if (!r || (!opts.afterOwnAction && !canSeeReferral(p, r))) throw notFound('Cette saisine')
  const events = await eventsWithActors(trx, p.tenantId, id)
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
    answers: timeline.filter((e) => e.kind === 'answered').map((e) => ({ seq: e.seq, at: e.at, body: String(e.data.body ?? ''), by: e.actor })),
    timeline,
  }
}
