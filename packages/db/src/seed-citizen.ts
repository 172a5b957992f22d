// The demo's citizen-facing facts (issue 18): each tenant's data protection officer and retention, and postal
// addresses and phones of the partners, which the acknowledgement of receipt prints (CRPA R112-5).
import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'

const DPO: Record<string, string> = {
  '36': 'Délégué à la protection des données, Conseil départemental de l’Indre, place de la Victoire et des Alliés, 36000 Châteauroux — dpo@indre.demo',
  '18': 'Délégué à la protection des données, Conseil départemental du Cher, 1 place Marcel Plaisant, 18000 Bourges — dpo@cher.demo',
}

const PARTNER_CONTACTS: Record<string, { address: string; phone: string }> = {
  'CAF de l’Indre': { address: '8 rue Claude Debussy, 36000 Châteauroux', phone: '32 30' },
  'Préfecture de l’Indre': { address: 'Place de la Victoire et des Alliés, 36000 Châteauroux', phone: '02 54 29 50 00' },
  'DDT de l’Indre': { address: 'Cité administrative, boulevard George Sand, 36000 Châteauroux', phone: '02 54 53 20 36' },
  'OPAC de l’Indre': { address: '53 rue Grande, 36000 Châteauroux', phone: '02 54 08 36 36' },
  'CPAM de l’Indre': { address: '3 rue Eugène Rolland, 36000 Châteauroux', phone: '36 46' },
}

export async function seedCitizen(trx: Kysely<Database>, tenantId: string, code: string, now: Date): Promise<void> {
  if (DPO[code]) await trx.insertInto('citizen_privacy').values({ tenant_id: tenantId, dpo_contact: DPO[code], retention_months: 24, updated_at: now }).onConflict((oc) => oc.doNothing()).execute()
  for (const [name, c] of Object.entries(PARTNER_CONTACTS)) {
    await trx.updateTable('organisation').set({ address: c.address, phone: c.phone }).where('tenant_id', '=', tenantId).where('name', '=', name).where('address', 'is', null).execute()
  }
}
