// The SLA statistics' reads (issue 17): one row per referral filed in a span, with what its timeline says, and the
// referrals open now. The counting is @relais/core/stats's, in memory, from these rows only.
import { sql } from 'kysely'
import type { BacklogRow, StatsRow } from '@relais/core/stats'
import type { ReferralStatus } from '../schema.ts'
import type { TenantTx } from '../index.ts'

interface RawRow {
  id: string; reference: string; filed_at: Date; status: ReferralStatus; holder_organisation_id: string; mairie_organisation_id: string
  theme_id: string; commune_insee: string; epci_code: string | null; due_at: Date | null; sla_met_at: Date | null
  sla_minutes_taken: number | null; sla_minutes_vs_target: number | null; met_by: 'answered' | 'appointment_proposed' | null
  transfers: number; info_requests: number; escalation_level: number
}

/**
 * Referrals filed in [from, to) of the tenant (the index on (tenant_id, filed_at, id) gives them), each with its
 * transfers, information requests, highest escalation level and the way its SLA was met, read from its own timeline
 * (the unique index (referral_id, seq) gives those events). Exact whatever happened after the fact: a late answer,
 * a reopening or a transfer is on the timeline and in the row as soon as it is committed.
 */
export async function statsRows(trx: TenantTx, tenantId: string, from: Date, to: Date): Promise<StatsRow[]> {
  const { rows } = await sql<RawRow>`
    select r.id, r.reference, r.filed_at, r.status, r.holder_organisation_id, r.mairie_organisation_id, r.theme_id, r.commune_insee,
      c.epci_code, r.due_at, r.sla_met_at, r.sla_minutes_taken, r.sla_minutes_vs_target,
      e.met_by, coalesce(e.transfers, 0)::int as transfers, coalesce(e.info_requests, 0)::int as info_requests, coalesce(e.escalation_level, 0)::int as escalation_level
    from referral r
    left join commune c on c.insee = r.commune_insee
    left join lateral (
      select count(*) filter (where ev.kind = 'transferred') as transfers,
        count(*) filter (where ev.kind = 'info_requested') as info_requests,
        max((ev.data->>'level')::int) filter (where ev.kind = 'escalated') as escalation_level,
        -- the SLA met event is written in the same instant as the answer or the appointment that met it
        max(ev.kind) filter (where ev.kind in ('answered', 'appointment_proposed') and ev.at = r.sla_met_at) as met_by
      from referral_event ev
      where ev.referral_id = r.id and ev.kind in ('transferred', 'info_requested', 'escalated', 'answered', 'appointment_proposed')
    ) e on true
    where r.tenant_id = ${tenantId} and r.filed_at >= ${from} and r.filed_at < ${to}
    order by r.filed_at, r.id`.execute(trx)
  return rows.map((r) => ({
    id: r.id, reference: r.reference, filedAt: r.filed_at, status: r.status, holderOrganisationId: r.holder_organisation_id,
    mairieOrganisationId: r.mairie_organisation_id, themeId: r.theme_id, communeInsee: r.commune_insee, epciCode: r.epci_code,
    dueAt: r.due_at, slaMetAt: r.sla_met_at, minutesTaken: r.sla_minutes_taken, minutesVsTarget: r.sla_minutes_vs_target,
    metBy: r.met_by, transfers: r.transfers, infoRequests: r.info_requests, escalationLevel: r.escalation_level,
  }))
}

/** The tenant's referrals open now (the running clocks' partial index), whatever their filing date. */
export async function openRows(trx: TenantTx, tenantId: string): Promise<BacklogRow[]> {
  const { rows } = await sql<{ holder_organisation_id: string; mairie_organisation_id: string; theme_id: string; commune_insee: string; epci_code: string | null; clock_started_at: Date }>`
    select r.holder_organisation_id, r.mairie_organisation_id, r.theme_id, r.commune_insee, c.epci_code, r.clock_started_at
    from referral r left join commune c on c.insee = r.commune_insee
    where r.tenant_id = ${tenantId} and r.status in ('submitted', 'assigned', 'awaiting_info')`.execute(trx)
  return rows.map((r) => ({ holderOrganisationId: r.holder_organisation_id, mairieOrganisationId: r.mairie_organisation_id, themeId: r.theme_id, communeInsee: r.commune_insee, epciCode: r.epci_code, clockStartedAt: r.clock_started_at }))
}

export interface StatsDirectory {
  timeZone: string
  clockMode: 'calendar' | 'working_days' | 'business_hours'
  organisations: { id: string; name: string; kind: string }[]
  themes: { id: string; code: string; label: string }[]
  communes: { insee: string; name: string; epciCode: string | null; epciName: string | null }[]
}

/** Names for the filters and the groups: the tenant's organisations, themes, and the communes of its département. */
export async function statsDirectory(trx: TenantTx, tenantId: string): Promise<StatsDirectory> {
  const { rows } = await sql<{ time_zone: string; clock_mode: string | null; organisations: StatsDirectory['organisations']; themes: StatsDirectory['themes']; communes: StatsDirectory['communes'] }>`
    select t.time_zone,
      (select p.clock_mode from sla_policy p where p.tenant_id = t.id and p.theme_id is null) as clock_mode,
      (select coalesce(json_agg(json_build_object('id', o.id, 'name', o.name, 'kind', o.kind) order by o.name collate fr_icu), '[]') from organisation o where o.tenant_id = t.id) as organisations,
      (select coalesce(json_agg(json_build_object('id', x.id, 'code', x.code, 'label', x.label) order by x.label collate fr_icu), '[]') from theme x where x.tenant_id = t.id) as themes,
      (select coalesce(json_agg(json_build_object('insee', c.insee, 'name', c.name, 'epciCode', c.epci_code, 'epciName', c.epci_name) order by c.name collate fr_icu), '[]')
         from commune c where c.departement = t.code and c.status = 'current') as communes
    from tenant t where t.id = ${tenantId}`.execute(trx)
  const r = rows[0]
  return { timeZone: r.time_zone, clockMode: (r.clock_mode ?? 'working_days') as StatsDirectory['clockMode'], organisations: r.organisations, themes: r.themes, communes: r.communes }
}
