import type { TenantTerritory } from '@relais/core/directory'
import type { TenantTx } from '../index.ts'

// The tenant's territory: its département, communes and EPCI, which routing rules and mairies may name.

export async function tenantTerritory(trx: TenantTx, tenantId: string): Promise<TenantTerritory> {
  const tenant = await trx.selectFrom('tenant').select('code').where('id', '=', tenantId).executeTakeFirstOrThrow()
  // A merged or removed commune can no longer be named by a new rule.
  const rows = await trx.selectFrom('commune').select(['insee', 'epci_code']).where('departement', '=', tenant.code).where('status', '=', 'current').execute()
  return {
    departement: tenant.code,
    communes: new Set(rows.map((r) => r.insee)),
    epcis: new Set(rows.flatMap((r) => (r.epci_code ? [r.epci_code] : []))),
  }
}

export async function communeOfDepartement(trx: TenantTx, tenantId: string, insee: string): Promise<boolean> {
  const row = await trx.selectFrom('commune').innerJoin('tenant', 'tenant.code', 'commune.departement')
    .select('commune.insee').where('tenant.id', '=', tenantId).where('commune.insee', '=', insee).executeTakeFirst()
  return !!row
}
