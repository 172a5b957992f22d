// The referral aggregate's own rows. Visibility rules are @relais/core's; a list takes them as column filters.
import { sql, type Insertable, type Selectable, type Updateable } from 'kysely'
import { CLOCK_STATUSES, UNFINISHED_STATUSES } from '@relais/core'
import { runPrepared, type CrossTenantDb, type TenantTx } from '../index.ts'
import type { ReferralStatus, ReferralTable } from '../schema.ts'

export type ReferralRow = Selectable<ReferralTable>

/** The next number of the reference (one sequence; the reference also carries the tenant's code and the year). */
export async function nextReferralNumber(trx: TenantTx): Promise<number> {
  const { rows } = await sql<{ n: string }>`select nextval('referral_number_seq') as n`.execute(trx)
  return Number(rows[0].n)
}

/**
 * Inserts a new referral numbered in the same statement: its reference is `prefix` and the next number of the
 * sequence, six digits at least (formatReference's form), returned. One round trip where nextval then INSERT took two.
 */
export async function insertNumberedReferral(trx: TenantTx, tenantId: string, prefix: string, values: Omit<Insertable<ReferralTable>, 'reference'>): Promise<string> {
  if (values.tenant_id !== tenantId) throw new Error('insertReferral: a referral of another tenant')
  const reference = sql<string>`(select ${prefix}::text || lpad(s.n::text, greatest(6, length(s.n::text)), '0') from (select nextval('referral_number_seq') as n) s)`
  const row = await trx.insertInto('referral').values({ ...values, reference }).returning('reference').executeTakeFirstOrThrow()
  return row.reference
}

export async function insertReferral(trx: TenantTx, tenantId: string, values: Insertable<ReferralTable>): Promise<void> {
  if (values.tenant_id !== tenantId) throw new Error('insertReferral: a referral of another tenant')
  await trx.insertInto('referral').values(values).execute()
}

/** Reads and locks the row: whoever acts on a referral holds this lock, which also orders its timeline. */
export async function lockReferral(trx: TenantTx, tenantId: string, id: string): Promise<ReferralRow | undefined> {
  return trx.selectFrom('referral').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst()
}

/** Locks those of these referrals nobody else holds now (SKIP LOCKED), in id order; returns their ids. */
export async function lockReferralsIfFree(trx: TenantTx, tenantId: string, ids: string[]): Promise<string[]> {
  if (!ids.length) return []
  const { rows } = await sql<{ id: string }>`select id from referral where tenant_id = ${tenantId} and id = any(${ids}::uuid[]) order by id for update skip locked`.execute(trx)
  return rows.map((r) => r.id)
}

export async function updateReferral(trx: TenantTx, tenantId: string, id: string, patch: Updateable<ReferralTable>): Promise<void> {
  await trx.updateTable('referral').set(patch).where('tenant_id', '=', tenantId).where('id', '=', id).execute()
}

/** What the SLA schedule is computed from. */
export async function scheduleFacts(trx: TenantTx, tenantId: string, id: string) {
  return trx.selectFrom('referral').select(['id', 'tenant_id', 'theme_id', 'status', 'clock_started_at', 'sla_met_at'])
    .where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirstOrThrow()
}

export interface ReferralListFilters {
  /** Visibility, as columns (see referralListScope in @relais/core). */
  mairieOrganisationId?: string; holderOrganisationId?: string
  /** Any of these statuses (the caller intersects its segment's statuses with the status asked for). */
  statuses?: readonly ReferralStatus[]; organisationId?: string; themeCode?: string; communeInsee?: string
  /** Overdue: the clock runs, the SLA is not met and the deadline is past; false: everything else. */
  overdue?: boolean; dueBefore?: Date
  /** Words that must all match (referral_search, migration 0060): reference, citizen, question, organisation, commune. */
  search?: string[]
}

/** Newest first on (filed_at, id), or soonest deadline first on (coalesce(due_at, infinity), id) over running clocks. */
export type ListOrder = 'newest' | 'due'

// The running clocks' partial indexes name these statuses: literals, so that the planner sees the implication.
const lits = (values: readonly string[]) => sql.join(values.map((v) => sql.lit(v)))
const dueKey = sql<Date>`coalesce(r.due_at, 'infinity'::timestamptz)`

/**
 * One keyset page in SQL: rows after `after` (the last row's sort key as text, and its id) in `order`, at most `limit`.
 * Each row carries its sort key (`sort_key`, text) for the next cursor. Every filter is a column test an index serves.
 */
export async function listReferrals(trx: TenantTx, tenantId: string, f: ReferralListFilters, now: Date, order: ListOrder, after: { key: string; id: string } | null, limit: number) {
  if (f.statuses && f.statuses.length === 0) return []
  const clock = lits(CLOCK_STATUSES)
  // The page is chosen on the referral table alone (its index gives the order), then the names are joined to those
  // rows only: joined first, the planner may start from the organisations and sort the whole tenant.
  let q = trx.selectFrom('referral as r')
    .select(['r.id', 'r.reference', 'r.status', 'r.filed_at', 'r.due_at', 'r.sla_met_at', 'r.closed_at', 'r.citizen_name',
      'r.theme_id', 'r.commune_insee', 'r.holder_organisation_id', 'r.mairie_organisation_id'])
    .select(order === 'due' ? dueKey.as('sort_at') : sql<Date>`r.filed_at`.as('sort_at'))
    .where('r.tenant_id', '=', tenantId)
  if (f.mairieOrganisationId) q = q.where('r.mairie_organisation_id', '=', f.mairieOrganisationId)
  if (f.holderOrganisationId) q = q.where('r.holder_organisation_id', '=', f.holderOrganisationId)
  if (f.statuses) q = q.where(sql<boolean>`r.status in (${lits(f.statuses)})`)
  if (order === 'due') q = q.where(sql<boolean>`r.status in (${clock})`)
  if (f.organisationId) q = q.where('r.holder_organisation_id', '=', f.organisationId)
  if (f.themeCode) q = q.where(sql<boolean>`r.theme_id = (select x.id from theme x where x.tenant_id = ${tenantId} and x.code = ${f.themeCode})`)
  if (f.communeInsee) q = q.where('r.commune_insee', '=', f.communeInsee)
  const overdue = sql<boolean>`(r.status in (${clock}) and r.sla_met_at is null and ${dueKey} < ${now})`
  if (f.overdue === true) q = q.where(overdue)
  if (f.overdue === false) q = q.where(sql<boolean>`not ${overdue}`)
  if (f.dueBefore) q = q.where('r.due_at', '<', f.dueBefore)
  // The matching ids come through the trigram indexes (a definer function: under RLS LIKE uses no index); the page
  // is then read under RLS on the ids, scoped and sorted like any list.
  if (f.search?.length) q = q.where(sql<boolean>`r.id in (select s.id from referral_search(${f.search}::text[]) s)`)
  if (order === 'due') {
    if (after) q = q.where(sql<boolean>`(${dueKey}, r.id) > (${after.key}::timestamptz, ${after.id}::uuid)`)
    q = q.orderBy(dueKey).orderBy('r.id').limit(limit)
  } else {
    if (after) q = q.where(sql<boolean>`(r.filed_at, r.id) < (${after.key}::timestamptz, ${after.id}::uuid)`)
    q = q.orderBy('r.filed_at', 'desc').orderBy('r.id', 'desc').limit(limit)
  }
  const named = trx.selectFrom(q.as('p'))
    .innerJoin('theme as t', 't.id', 'p.theme_id')
    .innerJoin('commune as c', 'c.insee', 'p.commune_insee')
    .innerJoin('organisation as h', 'h.id', 'p.holder_organisation_id')
    .innerJoin('organisation as m', 'm.id', 'p.mairie_organisation_id')
    .select(['p.id', 'p.reference', 'p.status', 'p.filed_at', 'p.due_at', 'p.sla_met_at', 'p.closed_at', 'p.citizen_name',
      't.code as theme_code', 't.label as theme_label', 'c.insee', 'c.name as commune_name', 'h.id as holder_id', 'h.name as holder_name',
      'm.id as mairie_id', 'm.name as mairie_name'])
    .select(sql<string>`p.sort_at::text`.as('sort_key'))
  return order === 'due'
    ? named.orderBy('p.sort_at').orderBy('p.id').execute()
    : named.orderBy('p.sort_at', 'desc').orderBy('p.id', 'desc').execute()
}

/** One referral with the names a reader needs (theme, commune, holder, mairie). */
export async function referralDetail(trx: TenantTx, tenantId: string, id: string) {
  return trx.selectFrom('referral as r')
    .innerJoin('theme as t', 't.id', 'r.theme_id')
    .innerJoin('commune as c', 'c.insee', 'r.commune_insee')
    .innerJoin('organisation as h', 'h.id', 'r.holder_organisation_id')
    .innerJoin('organisation as m', 'm.id', 'r.mairie_organisation_id')
    .leftJoin('person as hp', 'hp.id', 'r.holder_person_id')
    .selectAll('r')
    .select(['t.code as theme_code', 't.label as theme_label', 'c.name as commune_name', 'h.name as holder_name', 'm.name as mairie_name', 'hp.name as holder_person_name'])
    .where('r.tenant_id', '=', tenantId).where('r.id', '=', id).executeTakeFirst()
}

/** In this scope: referrals awaiting information, running clocks past their deadline, referrals in triage (submitted). */
export async function waitingCounts(trx: TenantTx, tenantId: string, scope: { mairieOrganisationId?: string; holderOrganisationId?: string }, now: Date) {
  let q = trx.selectFrom('referral as r')
    .select((eb) => [
      eb.fn.count<string>('r.id').filterWhere('r.status', '=', 'awaiting_info').as('awaiting_info'),
      eb.fn.count<string>('r.id').filterWhere((w) => w.and([w('r.status', 'in', ['submitted', 'assigned']), w('r.sla_met_at', 'is', null), w(dueKey, '<', now)])).as('overdue'),
      eb.fn.count<string>('r.id').filterWhere('r.status', '=', 'submitted').as('triage'),
    ])
    .where('r.tenant_id', '=', tenantId)
    // The running clocks' partial indexes (0030) serve this: the statuses as literals.
    .where(sql<boolean>`r.status in (${lits(CLOCK_STATUSES)})`)
  if (scope.mairieOrganisationId) q = q.where('r.mairie_organisation_id', '=', scope.mairieOrganisationId)
  if (scope.holderOrganisationId) q = q.where('r.holder_organisation_id', '=', scope.holderOrganisationId)
  const row = await q.executeTakeFirstOrThrow()
  return { awaitingInfo: Number(row.awaiting_info), overdue: Number(row.overdue), triage: Number(row.triage) }
}

/** The id of the tenant's referral with this exact reference, if any (unique on (tenant_id, reference)). */
export async function referralByReference(trx: TenantTx, tenantId: string, reference: string) {
  return trx.selectFrom('referral').selectAll().where('tenant_id', '=', tenantId).where('reference', '=', reference).executeTakeFirst()
}

/** What a referral's mails say about it. */
export async function referralForMail(trx: TenantTx, tenantId: string, id: string) {
  // Named: read for every mail sent about a referral (six joins: planning cost more than the work).
  const { rows } = await runPrepared(trx, 'referral_for_mail', trx.selectFrom('referral as r').innerJoin('theme as t', 't.id', 'r.theme_id').innerJoin('commune as c', 'c.insee', 'r.commune_insee')
    .innerJoin('organisation as m', 'm.id', 'r.mairie_organisation_id').innerJoin('organisation as h', 'h.id', 'r.holder_organisation_id')
    .leftJoin('person as hp', 'hp.id', 'r.holder_person_id')
    .innerJoin('tenant as tn', 'tn.id', 'r.tenant_id')
    .selectAll('r').select(['t.label as theme_label', 'c.name as commune_name', 'm.name as mairie_name', 'h.name as holder_org', 'hp.name as holder_name', 'tn.time_zone'])
    .where('r.tenant_id', '=', tenantId).where('r.id', '=', id))
  if (!rows[0]) throw new Error(`referralForMail: referral ${id} not found`)
  return rows[0]
}

export async function holderOf(trx: TenantTx, tenantId: string, id: string): Promise<{ organisationId: string; reference: string } | undefined> {
  const r = await trx.selectFrom('referral').select(['holder_organisation_id', 'reference']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
  return r && { organisationId: r.holder_organisation_id, reference: r.reference }
}

export interface DueStepRow { id: string; tenant_id: string; next_step: string; next_step_at: Date }

/**
 * Cross-tenant: claims up to `limit` due steps no other worker holds (FOR UPDATE SKIP LOCKED), until `claimUntil`.
 * Two workers calling it at once get disjoint batches, neither waits.
 */
export async function claimDueSlaSteps(db: CrossTenantDb, now: Date, claimUntil: Date, limit: number): Promise<DueStepRow[]> {
  const { rows } = await sql<DueStepRow>`select id, tenant_id, next_step, next_step_at from sla_claim(${now}, ${claimUntil}, ${limit})`.execute(db)
  return rows
}

/** Cross-tenant: referrals whose next SLA step is due by `at`, oldest first (read only: to schedule, not to run). */
export async function dueSlaSteps(db: CrossTenantDb, at: Date, limit: number): Promise<DueStepRow[]> {
  const { rows } = await sql<DueStepRow>`select id, tenant_id, next_step, next_step_at from sla_due(${at}, ${limit})`.execute(db)
  return rows
}

/** Per holder organisation: unfinished referrals, those due before `soon`, overdue, in triage. Counted by the database. */
export async function countsByHolder(trx: TenantTx, tenantId: string, now: Date, soon: Date) {
  const rows = await trx.selectFrom('referral as r').innerJoin('organisation as o', 'o.id', 'r.holder_organisation_id')
    .select((eb) => [
      'o.id', 'o.name',
      eb.fn.countAll<string>().as('open'),
      eb.fn.count<string>('r.id').filterWhere((w) => w.and([w('r.status', 'in', [...CLOCK_STATUSES]), w('r.sla_met_at', 'is', null), w('r.due_at', '>=', now), w('r.due_at', '<', soon)])).as('soon'),
      eb.fn.count<string>('r.id').filterWhere((w) => w.and([w('r.status', 'in', [...CLOCK_STATUSES]), w('r.sla_met_at', 'is', null), w('r.due_at', '<', now)])).as('overdue'),
      eb.fn.count<string>('r.id').filterWhere('r.status', '=', 'submitted').as('triage'),
    ])
    .where('r.tenant_id', '=', tenantId)
    .where('r.status', 'in', [...UNFINISHED_STATUSES])
    .groupBy(['o.id', 'o.name']).orderBy('o.name').execute()
  // pg returns counts as strings.
  return rows.map((r) => ({ id: r.id, name: r.name, open: Number(r.open), soon: Number(r.soon), overdue: Number(r.overdue), triage: Number(r.triage) }))
}
