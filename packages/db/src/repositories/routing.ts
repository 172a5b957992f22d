// What filing and routing read from the directory, in one round trip.
import { sql } from 'kysely'
import { preparedName, type TenantTx } from '../index.ts'
import type { Role, TerritoryKind } from '../schema.ts'
import type { ThemePolicyRow } from './sla-policy.ts'

/**
 * The theme, the commune and its EPCI, the rules and coverage of the theme, the people of the organisations
 * those rules name (with their open referrals, kept by a trigger in person_open_count: migration 0031), the mission TIC, the tenant and its SLA policies.
 * Dates inside are JSON strings: the row type says so.
 */
export interface RoutingSnapshot {
  tenant: { code: string; time_zone: string }
  theme: { id: string; code: string; label: string; sla_response_minutes: number | null } | null
  commune: { insee: string; name: string; epci_code: string | null; departement: string } | null
  mairieCommune: string | null
  tic: { id: string; name: string }
  organisations: Record<string, string>
  rules: { id: string; theme_id: string; territory_kind: TerritoryKind; territory_code: string; organisation_id: string; person_id: string | null; organisation_status: 'onboarding' | 'active' | 'suspended' }[]
  coverage: { organisation_id: string; person_id: string | null; theme_id: string; territory_kind: TerritoryKind; territory_code: string }[]
  people: { id: string; email: string; organisation_id: string; role: Role; active: boolean; absent_from: string | null; absent_until: string | null; backup_person_id: string | null; email_bounced_at: string | null; open_referrals: number }[]
  policies: ThemePolicyRow[]
}

export interface SnapshotArgs { themeCode?: string; themeId?: string; communeInsee?: string; mairieOrganisationId?: string }

export async function loadRoutingSnapshot(trx: TenantTx, tenantId: string, args: SnapshotArgs): Promise<RoutingSnapshot> {
  // Named: prepared once per connection, not planned at every filing (see createKysely).
  const { rows } = await sql<{ snapshot: RoutingSnapshot }>`${sql.raw(preparedName('routing_snapshot'))}
    with th as (
      select id, code, label, sla_response_minutes from theme
      where tenant_id = ${tenantId} and active and (code = ${args.themeCode ?? null} or id = ${args.themeId ?? null}::uuid) limit 1
    ), mairie as (
      select commune_insee from organisation where tenant_id = ${tenantId} and id = ${args.mairieOrganisationId ?? null}::uuid
    ), given as (
      select coalesce(${args.communeInsee ?? null}, (select commune_insee from mairie)) as insee
    ), com as (
      -- An old INSEE code (a merged commune) lands on the commune that carries it now.
      select insee, name, epci_code, departement from commune
      where insee = coalesce((select f.commune_insee from commune_former_code f where f.code = (select insee from given)),
        (select c.merged_into from commune c where c.insee = (select insee from given)), (select insee from given))
    ), rules as (
      select r.id, r.theme_id, r.territory_kind, r.territory_code, r.organisation_id, r.person_id, o.status as organisation_status
      from routing_rule r join organisation o on o.id = r.organisation_id
      where r.tenant_id = ${tenantId} and r.theme_id = (select id from th) and r.active and o.status = 'active'
    ), people as (
      select p.id, p.email, p.organisation_id, p.role, p.active, p.absent_from, p.absent_until, p.backup_person_id, p.email_bounced_at,
        (select coalesce(sum(n.open), 0) from person_open_count n where n.person_id = p.id)::int as open_referrals
      from person p
      where p.tenant_id = ${tenantId} and (p.organisation_id in (select organisation_id from rules)
         or p.id in (select q.backup_person_id from person q where q.organisation_id in (select organisation_id from rules)))
    ), tic as (
      select id, name from organisation where tenant_id = ${tenantId} and kind = 'mission_tic' order by created_at limit 1
    )
    select json_build_object(
      'tenant', (select json_build_object('code', code, 'time_zone', time_zone) from tenant where id = ${tenantId}),
      'theme', (select row_to_json(th) from th),
      'commune', (select row_to_json(com) from com),
      'mairieCommune', (select commune_insee from mairie),
      'tic', (select row_to_json(tic) from tic),
      'organisations', (select coalesce(json_object_agg(o.id, o.name), '{}') from organisation o where o.tenant_id = ${tenantId} and o.id in (select organisation_id from rules union select id from tic)),
      'rules', (select coalesce(json_agg(rules), '[]') from rules),
      'coverage', (select coalesce(json_agg(c), '[]') from (select organisation_id, person_id, theme_id, territory_kind, territory_code from coverage where tenant_id = ${tenantId} and theme_id = (select id from th) and active) c),
      'people', (select coalesce(json_agg(people), '[]') from people),
      'policies', (select coalesce(json_agg(s), '[]') from (select theme_id, response_minutes, clock_mode, reminder_before_minutes, escalations, opening_hours from sla_policy where tenant_id = ${tenantId} and (theme_id is null or theme_id = (select id from th))) s)
    ) as snapshot`.execute(trx)
  return rows[0].snapshot
}
