import { authorize, authorizeRole, TERRITORY_KIND_LABELS } from '@relais/core'
import type { TenantTx } from '@relais/db'
import * as conventions from '@relais/db/repositories/conventions'
import { listAssignments } from '@relais/db/repositories/assignments'
import { getOrganisation } from '@relais/db/repositories/organisations'
import { listPeople } from '@relais/db/repositories/people'
import { listThemes } from '@relais/db/repositories/themes'
import { missing, type DirectoryActor } from './common.ts'
import { inForce } from './conventions.ts'
import { conventionKindOf } from './signatures.ts'

// Issue 13: the onboarding checklist of an organisation — read and sign the convention in force for its kind, invite
// its people, check the themes and territories it covers — and where it stands (signed, countersigned, active).

export interface Checklist {
  organisation: { id: string; name: string; status: string }
  convention: { id: string; title: string; version: number } | null
  signature: conventions.ConventionSignature | null
  people: { name: string; email: string; role: string; invited: boolean }[]
  /** Theme × territory the organisation covers or is routed, one line each. */
  covers: { theme: string; territory: string; how: 'routing' | 'coverage' }[]
  done: { signed: boolean; countersigned: boolean; invited: boolean; covers: boolean }
}

export async function onboardingChecklist(trx: TenantTx, actor: DirectoryActor, organisationId: string, now: Date): Promise<Checklist> {
  authorizeRole(actor, 'onboarding.read')
  const org = await getOrganisation(trx, actor.tenantId, organisationId)
  if (!org) throw missing.organisation()
  authorize(actor, 'onboarding.read', { organisationId: org.id }, 'Cette organisation')
  const kind = conventionKindOf(org.kind)
  const version = kind ? inForce(await conventions.listConventionVersions(trx, actor.tenantId, kind), kind, now) : undefined
  const signature = version ? await conventions.signatureOf(trx, actor.tenantId, org.id, version.id) : undefined
  const people = await listPeople(trx, actor.tenantId, { organisationId: org.id }, undefined, 500)
  const labels = new Map((await listThemes(trx, actor.tenantId, {}, undefined, 1000)).map((t) => [t.code, t.label]))
  const line = (how: 'routing' | 'coverage') => (a: { themeCode: string; territoryKind: keyof typeof TERRITORY_KIND_LABELS; territoryCode: string }) =>
    ({ theme: labels.get(a.themeCode) ?? a.themeCode, territory: `${TERRITORY_KIND_LABELS[a.territoryKind]} ${a.territoryCode}`, how })
  const covers = [
    ...(await listAssignments(trx, 'routing_rule', actor.tenantId, { organisationId: org.id, active: true }, undefined, null)).map(line('routing')),
    ...(await listAssignments(trx, 'coverage', actor.tenantId, { organisationId: org.id, active: true }, undefined, null)).map(line('coverage')),
  ]
  return {
    organisation: { id: org.id, name: org.name, status: org.status },
    convention: version ? { id: version.id, title: version.title, version: version.version } : null,
    signature: signature ?? null,
    people: people.map((p) => ({ name: p.name, email: p.email, role: p.role, invited: !p.hasPassword })),
    covers,
    done: { signed: !!signature, countersigned: !!signature?.countersignedAt, invited: people.length > 1, covers: covers.length > 0 },
  }
}
