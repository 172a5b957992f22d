// The demo's onboarding (issue 13): in the Cher, the partners' convention is published and the MSA Berry-Touraine is
// still onboarding, its admin already has an account (admin@msa18.demo, the demo password): she logs in, sees the
// checklist, reads and signs; the mission TIC (tic@cher.demo) then countersigns from the signature's page.
import type { Kysely } from 'kysely'
import { conventionHash, conventionHtml } from '@relais/core/conventions'
import type { Database } from './schema.ts'

/** The onboarding organisation's admin, printed by `npm start` beside the demo logins. */
export const ONBOARDING_DEMO_ADMIN = 'admin@msa18.demo'

const PARTNER_CONVENTION = `# Convention de partenariat du réseau Relais du Cher

Entre le Conseil départemental du Cher (mission TIC) et l’organisme signataire.

## Article 1 — Objet

La présente convention fixe les engagements des partenaires du réseau Relais : les mairies y déposent les questions
des usagers qu’elles ne peuvent pas traiter, et l’organisme partenaire y répond.

## Article 2 — Engagements de l’organisme

L’organisme désigne des référents par thème, répond aux saisines dans le délai fixé par le réseau (3 jours ouvrés par
défaut) et tient à jour ses absences et ses suppléants.

## Article 3 — Données personnelles

Les données des usagers ne servent qu’au traitement de la saisine ; elles sont effacées à l’issue de la durée de
conservation fixée par le réseau.

## Article 4 — Durée

La convention prend effet à sa contresignature par la mission TIC, pour une durée indéterminée. Une nouvelle version
publiée par la mission TIC est signée à nouveau avant la date indiquée.`

export async function seedOnboarding(trx: Kysely<Database>, tenantId: string, code: string, passwordHash: string, refs: { orgs: Map<string, string>; people: Map<string, string> }): Promise<void> {
  if (code !== '18') return
  await trx.insertInto('convention_version').values({
    tenant_id: tenantId, kind: 'partner', version: 1, title: 'Convention de partenariat Relais', body: PARTNER_CONVENTION,
    html: conventionHtml(PARTNER_CONVENTION), sha256: conventionHash(PARTNER_CONVENTION), effective_at: new Date('2026-01-01T00:00:00+01:00'),
    published_by: refs.people.get('tic@cher.demo') ?? null,
  }).execute()
  const msa = await trx.insertInto('organisation').values({
    tenant_id: tenantId, kind: 'partner', name: 'MSA Berry-Touraine', short_name: 'MSA', email: 'contact@msa18.demo', status: 'onboarding',
    address: '19 avenue de Vierzon, 18000 Bourges',
  }).returning('id').executeTakeFirstOrThrow()
  await trx.insertInto('person').values({ tenant_id: tenantId, organisation_id: msa.id, email: 'admin@msa18.demo', name: 'Sandrine Lefèvre', role: 'org_admin', password_hash: passwordHash }).execute()
  const theme = await trx.selectFrom('theme').select('id').where('tenant_id', '=', tenantId).where('code', '=', 'assurance-maladie').executeTakeFirst()
  // Commune-level: while the MSA is onboarding, routing skips it and the département's rule (the CAF) applies.
  if (theme) await trx.insertInto('routing_rule').values({ tenant_id: tenantId, theme_id: theme.id, territory_kind: 'commune', territory_code: '18197', organisation_id: msa.id }).execute()
}
