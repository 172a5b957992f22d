import { route, type RoutingDecision } from '@relais/core'
import { sql, type Tx } from '@relais/db'
import { OPEN_STATUSES } from './schedule.ts'

/** Gathers from the directory what the pure routing function needs, then asks it. */
export async function decideRouting(trx: Tx, args: { themeId: string; communeInsee: string; now: Date; excludeOrganisationIds?: string[] }): Promise<RoutingDecision> {
  const commune = await trx.selectFrom('commune').select(['insee', 'epci_code', 'departement']).where('insee', '=', args.communeInsee).executeTakeFirstOrThrow()
  const rules = await trx.selectFrom('routing_rule as r').innerJoin('organisation as o', 'o.id', 'r.organisation_id')
    .select(['r.id', 'r.theme_id', 'r.territory_kind', 'r.territory_code', 'r.organisation_id', 'r.person_id'])
    .where('r.theme_id', '=', args.themeId).where('r.active', '=', true).where('o.status', '<>', 'suspended').execute()
  const coverage = await trx.selectFrom('coverage').select(['organisation_id', 'person_id', 'theme_id', 'territory_kind', 'territory_code'])
    .where('theme_id', '=', args.themeId).where('active', '=', true).execute()
  const orgIds = [...new Set(rules.map((r) => r.organisation_id))]
  const people = orgIds.length === 0 ? [] : await trx.selectFrom('person as p')
    .select(['p.id', 'p.organisation_id', 'p.role', 'p.active', 'p.absent_from', 'p.absent_until', 'p.backup_person_id', 'p.email_bounced_at',
      sql<string>`(select count(*) from referral r where r.holder_person_id = p.id and r.status in (${sql.join(OPEN_STATUSES)}))`.as('open_referrals')])
    .where((eb) => eb.or([eb('p.organisation_id', 'in', orgIds), eb('p.id', 'in', eb.selectFrom('person as q').select('q.backup_person_id').where('q.organisation_id', 'in', orgIds).where('q.backup_person_id', 'is not', null))]))
    .execute()
  const tic = await trx.selectFrom('organisation').select('id').where('kind', '=', 'mission_tic').orderBy('created_at').limit(1).executeTakeFirstOrThrow()
  return route({
    themeId: args.themeId, communeInsee: commune.insee, epciCode: commune.epci_code, departement: commune.departement,
    rules: rules.map((r) => ({ id: r.id, themeId: r.theme_id, territoryKind: r.territory_kind, territoryCode: r.territory_code, organisationId: r.organisation_id, personId: r.person_id })),
    coverage: coverage.map((c) => ({ organisationId: c.organisation_id, personId: c.person_id, themeId: c.theme_id, territoryKind: c.territory_kind, territoryCode: c.territory_code })),
    people: people.map((p) => ({ id: p.id, organisationId: p.organisation_id, role: p.role, active: p.active, absentFrom: p.absent_from, absentUntil: p.absent_until, backupPersonId: p.backup_person_id, emailBouncedAt: p.email_bounced_at, openReferrals: Number(p.open_referrals) })),
    missionTicOrganisationId: tic.id, now: args.now, excludeOrganisationIds: args.excludeOrganisationIds,
  })
}
