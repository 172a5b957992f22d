// The SLA statistics' reads (issue 17): one row per referral filed in a span, with what its timeline says, and the
// referrals open now. The counting is @relais/core/stats's, in memory, from these rows only.
import { sql } from 'kysely'
import type { BacklogRow, DeflectionRow, StatsRow } from '@relais/core/stats'
import type { ReferralStatus } from '../schema.ts'
import type { TenantTx } from '../index.ts'

interface RawRow {
  id: string; reference: string; filed_ms: number; status: ReferralStatus; holder_organisation_id: string; mairie_organisation_id: string
  theme_id: string; commune_insee: string; epci_code: string | null; due_ms: number | null; met_ms: number | null
  sla_minutes_taken: number | null; sla_minutes_vs_target: number | null; met_by: 'answered' | 'appointment_proposed' | null
  transfers: number; info_requests: number; escalation_level: number; held: number; no_shows: number; citizen_cancellations: number
}

// Instants travel as epoch milliseconds (float8): parsing thousands of timestamptz texts cost more than the query.
const epoch = (column: string) => sql.raw(`(extract(epoch from ${column}) * 1000)::float8`)

/**
 * Referrals filed in [from, to) of the tenant, in filing order (the index on (tenant_id, filed_at, id) gives them so),
 * with what their timeline says as the trigger of migration 0110 keeps it on the row: transfers, information requests,
 * highest escalation level, the way the SLA was met. Exact whatever happened after the fact (a late answer, a
 * reopening, a transfer): the event and its effect on the row are committed together. `epciOf` names each commune's
 * intercommunalité (from the directory already read: no join).
 */
export async function statsRows(trx: TenantTx, tenantId: string, from: Date, to: Date, epciOf: (insee: string) => string | null): Promise<StatsRow[]> {
  const { rows } = await sql<RawRow>`
    select r.id, r.reference, ${epoch('r.filed_at')} as filed_ms, r.status, r.holder_organisation_id, r.mairie_organisation_id, r.theme_id, r.commune_insee,
      ${epoch('r.due_at')} as due_ms, ${epoch('r.sla_met_at')} as met_ms, r.sla_minutes_taken, r.sla_minutes_vs_target, r.sla_met_by as met_by,
      r.stats_transfers as transfers, r.stats_info_requests as info_requests, r.stats_escalation_level as escalation_level,
      r.stats_appointments_held as held, r.stats_no_shows as no_shows, r.stats_citizen_cancellations as citizen_cancellations
    from referral r
    where r.tenant_id = ${tenantId} and r.filed_at >= ${from} and r.filed_at < ${to}
    order by r.filed_at, r.id`.execute(trx)
  return rows.map((r) => ({
    id: r.id, reference: r.reference, filedAt: new Date(r.filed_ms), status: r.status, holderOrganisationId: r.holder_organisation_id,
    mairieOrganisationId: r.mairie_organisation_id, themeId: r.theme_id, communeInsee: r.commune_insee, epciCode: epciOf(r.commune_insee),
    dueAt: r.due_ms === null ? null : new Date(r.due_ms), slaMetAt: r.met_ms === null ? null : new Date(r.met_ms), minutesTaken: r.sla_minutes_taken,
    minutesVsTarget: r.sla_minutes_vs_target, metBy: r.met_by, transfers: r.transfers, infoRequests: r.info_requests, escalationLevel: r.escalation_level,
    appointmentsHeld: r.held, noShows: r.no_shows, citizenCancellations: r.citizen_cancellations,
  }))
}

/**
 * The knowledge base's deflections recorded in [from, to) (index deflection_tenant_at), in time order, with the fiche's
 * author as their organisation. No citizen data: there is none on a deflection.
 */
export async function deflectionRows(trx: TenantTx, tenantId: string, from: Date, to: Date, epciOf: (insee: string) => string | null): Promise<DeflectionRow[]> {
  const { rows } = await sql<{ at_ms: number; organisation_id: string; mairie_organisation_id: string; theme_id: string; commune_insee: string }>`
    select ${epoch('d.at')} as at_ms, f.organisation_id, d.mairie_organisation_id, d.theme_id, d.commune_insee
    from deflection d join fiche f on f.id = d.fiche_id
    where d.tenant_id = ${tenantId} and d.at >= ${from} and d.at < ${to}
    order by d.at, d.id`.execute(trx)
  return rows.map((r) => ({ at: new Date(r.at_ms), holderOrganisationId: r.organisation_id, mairieOrganisationId: r.mairie_organisation_id, themeId: r.theme_id, communeInsee: r.commune_insee, epciCode: epciOf(r.commune_insee) }))
}

/** The tenant's referrals open now (the running clocks' partial index), whatever their filing date. */
export async function openRows(trx: TenantTx, tenantId: string, epciOf: (insee: string) => string | null): Promise<BacklogRow[]> {
  const { rows } = await sql<{ holder_organisation_id: string; mairie_organisation_id: string; theme_id: string; commune_insee: string; started_ms: number }>`
    select r.holder_organisation_id, r.mairie_organisation_id, r.theme_id, r.commune_insee, ${epoch('r.clock_started_at')} as started_ms
    from referral r
    where r.tenant_id = ${tenantId} and r.status in ('submitted', 'assigned', 'awaiting_info')`.execute(trx)
  return rows.map((r) => ({ holderOrganisationId: r.holder_organisation_id, mairieOrganisationId: r.mairie_organisation_id, themeId: r.theme_id, communeInsee: r.commune_insee, epciCode: epciOf(r.commune_insee), clockStartedAt: new Date(r.started_ms) }))
}

export interface StatsDirectory {
  /** The network's name (« Réseau de l’Indre »), for the report. */
  tenantName: string
  timeZone: string
  clockMode: 'calendar' | 'working_days' | 'business_hours'
  organisations: { id: string; name: string; kind: string }[]
  themes: { id: string; code: string; label: string }[]
  communes: { insee: string; name: string; epciCode: string | null; epciName: string | null }[]
}

/** Names for the filters and the groups: the tenant's organisations, themes, and the communes of its département. */
export async function statsDirectory(trx: TenantTx, tenantId: string): Promise<StatsDirectory> {
  const { rows } = await sql<{ name: string; time_zone: string; clock_mode: string | null; organisations: StatsDirectory['organisations']; themes: StatsDirectory['themes']; communes: StatsDirectory['communes'] }>`
    select t.name, t.time_zone,
      (select p.clock_mode from sla_policy p where p.tenant_id = t.id and p.theme_id is null) as clock_mode,
      (select coalesce(json_agg(json_build_object('id', o.id, 'name', o.name, 'kind', o.kind) order by o.name collate fr_icu), '[]') from organisation o where o.tenant_id = t.id) as organisations,
      (select coalesce(json_agg(json_build_object('id', x.id, 'code', x.code, 'label', x.label) order by x.label collate fr_icu), '[]') from theme x where x.tenant_id = t.id) as themes,
      (select coalesce(json_agg(json_build_object('insee', c.insee, 'name', c.name, 'epciCode', c.epci_code, 'epciName', c.epci_name) order by c.name collate fr_icu), '[]')
         from commune c where c.departement = t.code and c.status = 'current') as communes
    from tenant t where t.id = ${tenantId}`.execute(trx)
  const r = rows[0]
  return { tenantName: r.name, timeZone: r.time_zone, clockMode: (r.clock_mode ?? 'working_days') as StatsDirectory['clockMode'], organisations: r.organisations, themes: r.themes, communes: r.communes }
}
