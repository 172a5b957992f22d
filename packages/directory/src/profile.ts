// Who is logged in: the person, her organisation and her tenant (GET /me, the pages' header).
import { DEFAULT_SLA_POLICY, slaPromise } from '@relais/core'
import type { Role, TenantTx } from '@relais/db'
import { profile as profileRow } from '@relais/db/repositories/parties'

export interface Profile {
  person: { id: string; email: string; name: string }
  role: Role
  organisation: { id: string; name: string; kind: string; communeInsee: string | null }
  /** The tenant's time zone (every time shown or read) and its promise in the clock's unit (« 3 jours ouvrés »). */
  tenant: { id: string; code: string; name: string; timeZone: string; promise: string }
}

export async function profileOf(trx: TenantTx, p: { tenantId: string; personId: string }): Promise<Profile> {
  const row = await profileRow(trx, p.tenantId, p.personId)
  return {
    person: { id: row.id, email: row.email, name: row.name },
    role: row.role,
    organisation: { id: row.org_id, name: row.org_name, kind: row.kind, communeInsee: row.commune_insee },
    tenant: {
      id: row.tenant_id, code: row.code, name: row.tenant_name, timeZone: row.time_zone,
      promise: slaPromise({ responseMinutes: row.response_minutes ?? DEFAULT_SLA_POLICY.responseMinutes, clockMode: row.clock_mode ?? DEFAULT_SLA_POLICY.clockMode }),
    },
  }
}
