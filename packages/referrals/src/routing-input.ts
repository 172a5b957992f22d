import { route, type RoutingDecision, type RoutingInput } from '@relais/core'
import type { TenantTx } from '@relais/db'
import { loadRoutingSnapshot, type RoutingSnapshot } from '@relais/db/repositories/routing'

export { loadRoutingSnapshot, type RoutingSnapshot }

const date = (v: string | null) => (v ? new Date(v) : null)

export function routingInput(s: RoutingSnapshot, now: Date, excludeOrganisationIds?: string[]): RoutingInput {
  return {
    themeId: s.theme!.id, communeInsee: s.commune!.insee, epciCode: s.commune!.epci_code, departement: s.commune!.departement,
    rules: s.rules.map((r) => ({ id: r.id, themeId: r.theme_id, territoryKind: r.territory_kind, territoryCode: r.territory_code, organisationId: r.organisation_id, personId: r.person_id, organisationStatus: r.organisation_status })),
    coverage: s.coverage.map((c) => ({ organisationId: c.organisation_id, personId: c.person_id, themeId: c.theme_id, territoryKind: c.territory_kind, territoryCode: c.territory_code })),
    people: s.people.map((p) => ({ id: p.id, organisationId: p.organisation_id, role: p.role, active: p.active, absentFrom: date(p.absent_from), absentUntil: date(p.absent_until), backupPersonId: p.backup_person_id, emailBouncedAt: date(p.email_bounced_at), openReferrals: p.open_referrals })),
    missionTicOrganisationId: s.tic.id, now, excludeOrganisationIds,
  }
}

/** Asks the pure routing function, from one snapshot of the directory. */
export async function decideRouting(trx: TenantTx, tenantId: string, args: { themeId: string; communeInsee: string; now: Date; excludeOrganisationIds?: string[] }): Promise<RoutingDecision> {
  const snapshot = await loadRoutingSnapshot(trx, tenantId, { themeId: args.themeId, communeInsee: args.communeInsee })
  return route(routingInput(snapshot, args.now, args.excludeOrganisationIds))
}
