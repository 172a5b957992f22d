import { CLOCK_STATUSES, route, type RoutingDecision, type RoutingInput } from '@relais/core'
import { sql, type Tx } from '@relais/db'
import type { PolicyRow } from './policy.ts'

/**
 * Everything filing and routing need from the directory, in one round trip: the theme, the commune and its
 * EPCI, the rules and coverage of the theme, the people of the organisations those rules name (with their
 * open referrals), the mission TIC, the tenant and its SLA policies.
 */
export interface RoutingSnapshot {
  tenant: { code: string; time_zone: string }
  theme: { id: string; code: string; label: string; sla_response_minutes: number | null } | null
  commune: { insee: string; name: string; epci_code: string | null; departement: string } | null
  mairieCommune: string | null
  tic: { id: string; name: string }
  organisations: Record<string, string>
  rules: { id: string; theme_id: string; territory_kind: 'commune' | 'epci' | 'departement'; territory_code: string; organisation_id: string; person_id: string | null }[]
  coverage: { organisation_id: string; person_id: string | null; theme_id: string; territory_kind: 'commune' | 'epci' | 'departement'; territory_code: string }[]
  people: { id: string; email: string; organisation_id: string; role: 'secretary' | 'referent' | 'org_admin' | 'network_admin'; active: boolean; absent_from: string | null; absent_until: string | null; backup_person_id: string | null; email_bounced_at: string | null; open_referrals: number }[]
  policies: (PolicyRow & { theme_id: string | null })[]
}

export async function loadRoutingSnapshot(trx: Tx, args: { themeCode?: string; themeId?: string; communeInsee?: string; mairieOrganisationId?: string }): Promise<RoutingSnapshot> {
  const { rows } = await sql<{ snapshot: RoutingSnapshot }>`
    with th as (
      select id, code, label, sla_response_minutes from theme
      where active and (code = ${args.themeCode ?? null} or id = ${args.themeId ?? null}::uuid) limit 1
    ), mairie as (
      select commune_insee from organisation where id = ${args.mairieOrganisationId ?? null}::uuid
    ), com as (
      select insee, name, epci_code, departement from commune
      where insee = coalesce(${args.communeInsee ?? null}, (select commune_insee from mairie))
    ), rules as (
      select r.id, r.theme_id, r.territory_kind, r.territory_code, r.organisation_id, r.person_id
      from routing_rule r join organisation o on o.id = r.organisation_id
      where r.theme_id = (select id from th) and r.active and o.status <> 'suspended'
    ), people as (
      select p.id, p.email, p.organisation_id, p.role, p.active, p.absent_from, p.absent_until, p.backup_person_id, p.email_bounced_at,
        (select count(*) from referral x where x.holder_person_id = p.id and x.status in (${sql.join(CLOCK_STATUSES.map((s) => sql.lit(s)))}))::int as open_referrals
      from person p
      where p.organisation_id in (select organisation_id from rules)
         or p.id in (select q.backup_person_id from person q where q.organisation_id in (select organisation_id from rules))
    ), tic as (
      select id, name from organisation where kind = 'mission_tic' order by created_at limit 1
    )
    select json_build_object(
      'tenant', (select json_build_object('code', code, 'time_zone', time_zone) from tenant where id = app_tenant_id()),
      'theme', (select row_to_json(th) from th),
      'commune', (select row_to_json(com) from com),
      'mairieCommune', (select commune_insee from mairie),
      'tic', (select row_to_json(tic) from tic),
      'organisations', (select coalesce(json_object_agg(o.id, o.name), '{}') from organisation o where o.id in (select organisation_id from rules union select id from tic)),
      'rules', (select coalesce(json_agg(rules), '[]') from rules),
      'coverage', (select coalesce(json_agg(c), '[]') from (select organisation_id, person_id, theme_id, territory_kind, territory_code from coverage where theme_id = (select id from th) and active) c),
      'people', (select coalesce(json_agg(people), '[]') from people),
      'policies', (select coalesce(json_agg(s), '[]') from (select theme_id, response_minutes, clock_mode, reminder_before_minutes, escalations, opening_hours from sla_policy where theme_id is null or theme_id = (select id from th)) s)
    ) as snapshot`.execute(trx)
  return rows[0].snapshot
}

const date = (v: string | null) => (v ? new Date(v) : null)

export function routingInput(s: RoutingSnapshot, now: Date, excludeOrganisationIds?: string[]): RoutingInput {
  return {
    themeId: s.theme!.id, communeInsee: s.commune!.insee, epciCode: s.commune!.epci_code, departement: s.commune!.departement,
    rules: s.rules.map((r) => ({ id: r.id, themeId: r.theme_id, territoryKind: r.territory_kind, territoryCode: r.territory_code, organisationId: r.organisation_id, personId: r.person_id })),
    coverage: s.coverage.map((c) => ({ organisationId: c.organisation_id, personId: c.person_id, themeId: c.theme_id, territoryKind: c.territory_kind, territoryCode: c.territory_code })),
    people: s.people.map((p) => ({ id: p.id, organisationId: p.organisation_id, role: p.role, active: p.active, absentFrom: date(p.absent_from), absentUntil: date(p.absent_until), backupPersonId: p.backup_person_id, emailBouncedAt: date(p.email_bounced_at), openReferrals: p.open_referrals })),
    missionTicOrganisationId: s.tic.id, now, excludeOrganisationIds,
  }
}

/** Asks the pure routing function, from one snapshot of the directory. */
export async function decideRouting(trx: Tx, args: { themeId: string; communeInsee: string; now: Date; excludeOrganisationIds?: string[] }): Promise<RoutingDecision> {
  const snapshot = await loadRoutingSnapshot(trx, { themeId: args.themeId, communeInsee: args.communeInsee })
  return route(routingInput(snapshot, args.now, args.excludeOrganisationIds))
}
