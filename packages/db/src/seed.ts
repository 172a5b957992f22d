import { createRequire } from 'node:module'
import { DEMO_PASSWORD, mairieOf, type WeeklyHours } from '@relais/core'
import type { Kysely } from 'kysely'
import type { Database, OrganisationKind, Role } from './schema.ts'
import type { OwnerDb } from './index.ts'
import { hashPassword } from './credentials.ts'
import { DEMO_FICHES, seedFiches } from './seed-fiches.ts'
import { seedCitizen } from './seed-citizen.ts'
import { seedAppointments } from './seed-appointments.ts'
import { seedOnboarding } from './seed-onboarding.ts'

const require = createRequire(import.meta.url)
const etalabCommunes: { code: string; nom: string; departement: string; type: string }[] =
  require('@etalab/decoupage-administratif/data/communes.json')

export const DEMO_THEMES: [code: string, label: string][] = [
  ['etat-civil', 'État civil'],
  ['carte-grise-permis', 'Carte grise et permis de conduire'],
  ['logement-social', 'Logement social'],
  ['aides-caf', 'Aides de la CAF'],
  ['urbanisme', 'Urbanisme et permis de construire'],
  ['assurance-maladie', 'Assurance maladie'],
  ['rsa-insertion', 'RSA et insertion'],
  ['transports-scolaires', 'Transports scolaires'],
  ['eau-assainissement', 'Eau et assainissement'],
  ['autre', 'Autre question'],
]

export interface OrgSpec { key: string; kind: OrganisationKind; name: string; shortName?: string; email?: string; address?: string; communeInsee?: string; themes?: string[] }
export interface PersonSpec { email: string; name: string; org: string; role: Role; backup?: string; /** a backup only: no coverage of their own */ backupOnly?: boolean }
export interface TenantSpec {
  code: string
  name: string
  /** IANA zone; Europe/Paris unless overseas (America/Martinique for 972). */
  timeZone?: string
  mairies: 'all' | string[]
  orgs: OrgSpec[]
  people: PersonSpec[]
  /** Rules more specific than the département-wide ones, to show precedence. */
  communeRules?: { theme: string; commune: string; org: string; person?: string }[]
}

const window = (opens: string, closes: string) => ({ opens, closes })
const weekdays: WeeklyHours = {
  mon: [window('08:30', '12:00'), window('13:30', '17:00')], tue: [window('08:30', '12:00'), window('13:30', '17:00')], wed: [window('08:30', '12:00')],
  thu: [window('08:30', '12:00'), window('13:30', '17:00')], fri: [window('08:30', '12:00'), window('13:30', '16:30')],
}

const INDRE: TenantSpec = {
  code: '36',
  name: 'Indre',
  mairies: 'all',
  orgs: [
    { key: 'tic', kind: 'mission_tic', name: 'Mission TIC du Conseil départemental de l’Indre', shortName: 'Mission TIC', email: 'mission-tic@indre.demo' },
    { key: 'caf', kind: 'partner', name: 'CAF de l’Indre', shortName: 'CAF', email: 'contact@caf36.demo', themes: ['aides-caf', 'rsa-insertion'] },
    { key: 'prefecture', kind: 'partner', name: 'Préfecture de l’Indre', shortName: 'Préfecture', email: 'contact@prefecture36.demo', themes: ['etat-civil', 'carte-grise-permis'] },
    { key: 'ddt', kind: 'partner', name: 'DDT de l’Indre', shortName: 'DDT', email: 'contact@ddt36.demo', themes: ['urbanisme', 'eau-assainissement'] },
    { key: 'opac', kind: 'partner', name: 'OPAC de l’Indre', shortName: 'OPAC', email: 'contact@opac36.demo', themes: ['logement-social'] },
    { key: 'cpam', kind: 'partner', name: 'CPAM de l’Indre', shortName: 'CPAM', email: 'contact@cpam36.demo', themes: ['assurance-maladie'] },
    { key: 'region', kind: 'partner', name: 'Région Centre-Val de Loire – transports scolaires', shortName: 'Région', email: 'transports@region.demo', themes: ['transports-scolaires'] },
    { key: 'msap-aigurande', kind: 'msap', name: 'France services d’Aigurande', communeInsee: '36001', address: 'Place du Champ de Foire, 36140 Aigurande' },
    { key: 'msap-valencay', kind: 'msap', name: 'France services de Valençay', communeInsee: '36228', address: '2 rue de la Tour, 36600 Valençay' },
    { key: 'msap-vatan', kind: 'msap', name: 'France services de Vatan', communeInsee: '36230', address: 'Place de la République, 36150 Vatan' },
  ],
  people: [
    { email: 'tic@indre.demo', name: 'Claire Martin', org: 'tic', role: 'network_admin' },
    { email: 'secretaire@ardentes.demo', name: 'Sophie Bernard', org: 'mairie:36005', role: 'secretary' },
    { email: 'secretaire@issoudun.demo', name: 'Julien Petit', org: 'mairie:36088', role: 'secretary' },
    { email: 'referent2@caf36.demo', name: 'Karim Haddad', org: 'caf', role: 'referent', backupOnly: true },
    { email: 'referent@caf36.demo', name: 'Nathalie Roux', org: 'caf', role: 'referent', backup: 'referent2@caf36.demo' },
    { email: 'admin@caf36.demo', name: 'Philippe Moreau', org: 'caf', role: 'org_admin' },
    { email: 'referent@ddt36.demo', name: 'Isabelle Fournier', org: 'ddt', role: 'referent' },
    { email: 'referent@prefecture36.demo', name: 'Thomas Girard', org: 'prefecture', role: 'referent' },
    { email: 'referent@opac36.demo', name: 'Aurélie Lambert', org: 'opac', role: 'referent' },
    { email: 'referent@cpam36.demo', name: 'Marc Bonnet', org: 'cpam', role: 'referent' },
    { email: 'referent@region.demo', name: 'Hélène Dupuis', org: 'region', role: 'referent' },
  ],
  communeRules: [{ theme: 'urbanisme', commune: '36088', org: 'ddt', person: 'referent@ddt36.demo' }],
}

const CHER: TenantSpec = {
  code: '18',
  name: 'Cher',
  mairies: ['18033', '18279', '18197'],
  orgs: [
    { key: 'tic', kind: 'mission_tic', name: 'Mission TIC du Conseil départemental du Cher', shortName: 'Mission TIC', email: 'mission-tic@cher.demo' },
    { key: 'caf', kind: 'partner', name: 'CAF du Cher', shortName: 'CAF', email: 'contact@caf18.demo', themes: ['aides-caf', 'rsa-insertion', 'logement-social', 'assurance-maladie'] },
    { key: 'prefecture', kind: 'partner', name: 'Préfecture du Cher', shortName: 'Préfecture', email: 'contact@prefecture18.demo', themes: ['etat-civil', 'carte-grise-permis', 'urbanisme', 'eau-assainissement', 'transports-scolaires'] },
  ],
  people: [
    { email: 'tic@cher.demo', name: 'Laurent Mercier', org: 'tic', role: 'network_admin' },
    { email: 'secretaire@bourges.demo', name: 'Émilie Garnier', org: 'mairie:18033', role: 'secretary' },
    { email: 'referent@caf18.demo', name: 'David Faure', org: 'caf', role: 'referent' },
    { email: 'referent@prefecture18.demo', name: 'Camille Blanc', org: 'prefecture', role: 'referent' },
  ],
}

export const DEMO_TENANTS = [INDRE, CHER]

export interface SeedResult { tenants: number; organisations: number; people: number; fiches: number }

/** Loads the demo network. Runs as the owner; refuses a database that already has tenants. */
export async function seedDemo(db: OwnerDb, opts: { production?: boolean } = {}): Promise<SeedResult | null> {
  if (opts.production) throw new Error('Le jeu de démonstration est refusé en production (NODE_ENV=production).')
  const any = await db.selectFrom('tenant').select('id').limit(1).executeTakeFirst()
  if (any) return null
  const passwordHash = await hashPassword(DEMO_PASSWORD)
  const result: SeedResult = { tenants: 0, organisations: 0, people: 0, fiches: 0 }
  const now = new Date()
  await db.transaction().execute(async (trx) => {
    for (const spec of DEMO_TENANTS) {
      const r = await seedTenant(trx, spec, passwordHash, now)
      result.tenants++
      result.organisations += r.organisations
      result.people += r.people
      result.fiches += r.fiches
    }
  })
  return result
}

/** One tenant of a network: its mairies (every commune of the list, or those named), organisations, themes, people, rules. */
export async function seedTenant(trx: Kysely<Database>, spec: TenantSpec, passwordHash: string, now: Date): Promise<Omit<SeedResult, 'tenants'> & { tenantId: string }> {
  const result = { organisations: 0, people: 0, fiches: 0 }
  const tenant = await trx.insertInto('tenant').values({ code: spec.code, name: spec.name, ...(spec.timeZone ? { time_zone: spec.timeZone } : {}) }).returning('id').executeTakeFirstOrThrow()
  const tenant_id = tenant.id
  const orgIds = new Map<string, string>()
  const communes = etalabCommunes.filter((c) => c.type === 'commune-actuelle' && c.departement === spec.code &&
    (spec.mairies === 'all' || spec.mairies.includes(c.code)))
  const mairies = await trx.insertInto('organisation').values(communes.map((c) => ({
    tenant_id, kind: 'mairie' as const, name: mairieOf(c.nom),
    commune_insee: c.code, status: 'active' as const, email: `mairie@${c.code}.demo`,
  }))).returning(['id', 'commune_insee']).execute()
  for (const m of mairies) orgIds.set(`mairie:${m.commune_insee}`, m.id)
  for (const o of spec.orgs) {
    const row = await trx.insertInto('organisation').values({
      tenant_id, kind: o.kind, name: o.name, short_name: o.shortName ?? null, email: o.email ?? null,
      address: o.address ?? null, commune_insee: o.communeInsee ?? null, status: 'active',
      opening_hours: o.kind === 'msap' ? JSON.stringify(weekdays) : null,
    }).returning('id').executeTakeFirstOrThrow()
    orgIds.set(o.key, row.id)
  }
  result.organisations += mairies.length + spec.orgs.length
  const themeIds = new Map<string, string>()
  for (const [code, label] of DEMO_THEMES) {
    const row = await trx.insertInto('theme').values({ tenant_id, code, label }).returning('id').executeTakeFirstOrThrow()
    themeIds.set(code, row.id)
  }
  const personIds = new Map<string, string>()
  for (const p of spec.people) {
    const organisation_id = orgIds.get(p.org)
    if (!organisation_id) throw new Error(`seed: unknown organisation ${p.org}`)
    const row = await trx.insertInto('person').values({
      tenant_id, organisation_id, email: p.email, name: p.name, role: p.role, password_hash: passwordHash,
      backup_person_id: p.backup ? personIds.get(p.backup) ?? null : null,
    }).returning('id').executeTakeFirstOrThrow()
    personIds.set(p.email, row.id)
    result.people++
  }
  for (const o of spec.orgs) {
    for (const theme of o.themes ?? []) {
      const theme_id = themeIds.get(theme)!
      const organisation_id = orgIds.get(o.key)!
      await trx.insertInto('routing_rule').values({ tenant_id, theme_id, territory_kind: 'departement', territory_code: spec.code, organisation_id }).execute()
      const referents = spec.people.filter((p) => p.org === o.key && p.role === 'referent' && !p.backupOnly)
      for (const r of referents) {
        await trx.insertInto('coverage').values({ tenant_id, organisation_id, person_id: personIds.get(r.email)!, theme_id, territory_kind: 'departement', territory_code: spec.code }).execute()
      }
    }
  }
  for (const r of spec.communeRules ?? []) {
    await trx.insertInto('routing_rule').values({
      tenant_id, theme_id: themeIds.get(r.theme)!, territory_kind: 'commune', territory_code: r.commune,
      organisation_id: orgIds.get(r.org)!, person_id: r.person ? personIds.get(r.person)! : null,
    }).execute()
  }
  result.fiches += await seedFiches(trx, tenant_id, DEMO_FICHES[spec.code] ?? [], { orgs: orgIds, themes: themeIds, people: personIds }, now)
  await seedCitizen(trx, tenant_id, spec.code, now)
  await seedAppointments(trx, tenant_id, spec.code, { orgs: orgIds, people: personIds })
  await seedOnboarding(trx, tenant_id, spec.code, passwordHash, { orgs: orgIds, people: personIds })
  return { ...result, tenantId: tenant_id }
}
