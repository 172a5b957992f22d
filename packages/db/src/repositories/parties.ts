// The directory as a referral's use cases read it: who to notify, where an appointment may take place,
// who may receive a transfer, and the choices of the filing form. Writes to the directory live elsewhere.
import { sql } from 'kysely'
import { runPrepared, type TenantTx } from '../index.ts'

export interface Contact { id: string; email: string; active: boolean; email_bounced_at: Date | null }

/** Active, reachable org admins of an organisation, by address. */
export async function orgAdminContacts(trx: TenantTx, tenantId: string, organisationId: string): Promise<{ id: string; email: string }[]> {
  return trx.selectFrom('person').select(['id', 'email']).where('tenant_id', '=', tenantId).where('organisation_id', '=', organisationId)
    .where('role', '=', 'org_admin').where('active', '=', true).where('email_bounced_at', 'is', null).orderBy('email').execute()
}

/** Active, reachable network admins (the mission TIC) of the tenant, by address. */
export async function networkAdminContacts(trx: TenantTx, tenantId: string): Promise<{ id: string; email: string }[]> {
  return trx.selectFrom('person').select(['id', 'email']).where('tenant_id', '=', tenantId).where('role', '=', 'network_admin')
    .where('active', '=', true).where('email_bounced_at', 'is', null).orderBy('email').execute()
}

export async function personContact(trx: TenantTx, tenantId: string, personId: string): Promise<Contact | undefined> {
  return trx.selectFrom('person').select(['id', 'email', 'active', 'email_bounced_at']).where('tenant_id', '=', tenantId).where('id', '=', personId).executeTakeFirst()
}

export async function backupContact(trx: TenantTx, tenantId: string, personId: string): Promise<Contact | undefined> {
  return trx.selectFrom('person as p').innerJoin('person as b', 'b.id', 'p.backup_person_id')
    .select(['b.id', 'b.email', 'b.active', 'b.email_bounced_at']).where('p.tenant_id', '=', tenantId).where('p.id', '=', personId).executeTakeFirst()
}

export async function organisationContact(trx: TenantTx, tenantId: string, organisationId: string) {
  return trx.selectFrom('organisation').select(['kind', 'email']).where('tenant_id', '=', tenantId).where('id', '=', organisationId).executeTakeFirstOrThrow()
}

export async function personName(trx: TenantTx, tenantId: string, personId: string): Promise<string | undefined> {
  return (await runPrepared(trx, 'person_name', trx.selectFrom('person').select('name').where('tenant_id', '=', tenantId).where('id', '=', personId))).rows[0]?.name
}

export async function organisationName(trx: TenantTx, tenantId: string, organisationId: string): Promise<string | undefined> {
  return (await trx.selectFrom('organisation').select('name').where('tenant_id', '=', tenantId).where('id', '=', organisationId).executeTakeFirst())?.name
}

/** A refused address: flagged so that routing and mails avoid it. */
export async function flagBounced(trx: TenantTx, tenantId: string, personId: string, at: Date): Promise<{ name: string } | undefined> {
  return trx.updateTable('person').set({ email_bounced_at: at }).where('tenant_id', '=', tenantId).where('id', '=', personId).returning(['name']).executeTakeFirst()
}

export async function organisationFacts(trx: TenantTx, tenantId: string, id: string) {
  return trx.selectFrom('organisation').select(['id', 'kind', 'status']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
}

/** Who may hold a referral for an organisation: its active referents and admins, by name. */
export async function holdingPeople(trx: TenantTx, tenantId: string, organisationId: string): Promise<{ id: string; name: string; role: string }[]> {
  return trx.selectFrom('person').select(['id', 'name', 'role']).where('tenant_id', '=', tenantId).where('organisation_id', '=', organisationId)
    .where('active', '=', true).where('role', 'in', ['referent', 'org_admin']).orderBy('name').orderBy('id').execute()
}

/** The person if she is active in that organisation. */
export async function activeMember(trx: TenantTx, tenantId: string, personId: string, organisationId: string): Promise<string | undefined> {
  const p = await trx.selectFrom('person').select('id').where('tenant_id', '=', tenantId).where('id', '=', personId)
    .where('organisation_id', '=', organisationId).where('active', '=', true).executeTakeFirst()
  return p?.id
}

export async function activeThemes(trx: TenantTx, tenantId: string): Promise<{ code: string; label: string }[]> {
  return trx.selectFrom('theme').select(['code', 'label']).where('tenant_id', '=', tenantId).where('active', '=', true).orderBy(sql`label collate fr_icu`).execute()
}

/** The communes of the tenant's département as they are today (no merged ones), by name. */
export async function communesOfTenant(trx: TenantTx, tenantId: string): Promise<{ insee: string; name: string }[]> {
  return trx.selectFrom('commune').innerJoin('tenant', 'tenant.code', 'commune.departement').select(['commune.insee', 'commune.name'])
    .where('tenant.id', '=', tenantId).where('commune.status', '=', 'current').orderBy(sql`commune.name collate fr_icu`).execute()
}

/** Every organisation but the mairies, by name: transfer targets, appointment places, names on the timeline. */
export async function nonMairieOrganisations(trx: TenantTx, tenantId: string) {
  return trx.selectFrom('organisation').select(['id', 'name', 'kind', 'status']).where('tenant_id', '=', tenantId).where('kind', '<>', 'mairie').orderBy(sql`name collate fr_icu`).execute()
}

export async function organisationCommune(trx: TenantTx, tenantId: string, organisationId: string): Promise<string | null> {
  const o = await trx.selectFrom('organisation').select('commune_insee').where('tenant_id', '=', tenantId).where('id', '=', organisationId).executeTakeFirstOrThrow()
  return o.commune_insee
}

/** The logged-in person with her organisation and tenant. */
/** The tenant's time zone: every time mailed or shown is written in it. */
export async function tenantTimeZone(trx: TenantTx, tenantId: string): Promise<string> {
  return (await trx.selectFrom('tenant').select('time_zone').where('id', '=', tenantId).executeTakeFirstOrThrow()).time_zone
}

export async function profile(trx: TenantTx, tenantId: string, personId: string) {
  return trx.selectFrom('person as p')
    .innerJoin('organisation as o', 'o.id', 'p.organisation_id')
    .innerJoin('tenant as t', 't.id', 'p.tenant_id')
    .leftJoin('sla_policy as sp', (j) => j.onRef('sp.tenant_id', '=', 't.id').on('sp.theme_id', 'is', null))
    .select(['p.id', 'p.email', 'p.name', 'p.role', 'o.id as org_id', 'o.name as org_name', 'o.kind', 'o.commune_insee', 't.id as tenant_id', 't.code', 't.name as tenant_name',
      't.time_zone', 'sp.response_minutes', 'sp.clock_mode'])
    .where('p.tenant_id', '=', tenantId).where('p.id', '=', personId).executeTakeFirstOrThrow()
}
