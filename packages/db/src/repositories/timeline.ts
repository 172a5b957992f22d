// The referral's timeline: an append-only, hash-chained list of events (the chaining itself is @relais/referrals').
import { sql, type Insertable, type QueryCreator } from 'kysely'
import type { TenantTx } from '../index.ts'
import type { AccessVia, Database, ReferralEventTable } from '../schema.ts'

export type NewEventRow = Insertable<ReferralEventTable>

/** The last link of a referral's chain; the caller holds the referral's row lock, which orders appends. */
export async function lastLink(trx: TenantTx, tenantId: string, referralId: string): Promise<{ seq: number; hash: string } | undefined> {
  return trx.selectFrom('referral_event').select(['seq', 'hash']).where('tenant_id', '=', tenantId).where('referral_id', '=', referralId)
    .orderBy('seq', 'desc').limit(1).executeTakeFirst()
}

/** The last link of each of these referrals' chains; the caller holds their row locks. */
export async function lastLinks(trx: TenantTx, tenantId: string, referralIds: string[]): Promise<Map<string, { seq: number; hash: string }>> {
  if (!referralIds.length) return new Map()
  const { rows } = await sql<{ referral_id: string; seq: number; hash: string }>`
    select distinct on (referral_id) referral_id, seq, hash from referral_event
    where tenant_id = ${tenantId} and referral_id = any(${referralIds}::uuid[]) order by referral_id, seq desc`.execute(trx)
  return new Map(rows.map((r) => [r.referral_id, { seq: r.seq, hash: r.hash }]))
}

export async function insertEvents(trx: TenantTx, tenantId: string, rows: NewEventRow[]): Promise<void> {
  if (!rows.length) return
  if (rows.some((r) => r.tenant_id !== tenantId)) throw new Error('insertEvents: an event of another tenant')
  await trx.insertInto('referral_event').values(rows).execute()
}

/** Every stored column, in order: what the chain is verified against. */
export async function chainEvents(trx: TenantTx, tenantId: string, referralId: string) {
  return trx.selectFrom('referral_event').selectAll().where('tenant_id', '=', tenantId).where('referral_id', '=', referralId).orderBy('seq').execute()
}

/** What the SLA clock reads: pauses, steps already done. */
export async function clockEvents(trx: TenantTx, tenantId: string, referralId: string): Promise<{ kind: string; at: Date; data: Record<string, unknown> }[]> {
  return trx.selectFrom('referral_event').select(['kind', 'at', 'data']).where('tenant_id', '=', tenantId).where('referral_id', '=', referralId).orderBy('seq').execute()
}

/** The timeline as people read it, with the names of who acted. */
/**
 * The timeline with who acted. `logged`: the display is recorded in the access log by the same statement (a
 * data-modifying WITH), so logging costs no round trip of its own (issue 18).
 */
export async function eventsWithActors(trx: TenantTx, tenantId: string, referralId: string, logged?: { personId: string; at: Date; via: AccessVia }) {
  const base: QueryCreator<Database> = logged
    ? trx.with('logged', (qc) => qc.insertInto('referral_access').values({ tenant_id: tenantId, referral_id: referralId, person_id: logged.personId, at: logged.at, via: logged.via }).returning('id')) as unknown as QueryCreator<Database>
    : trx
  return base.selectFrom('referral_event as e')
    .leftJoin('person as a', 'a.id', 'e.actor_person_id')
    .leftJoin('organisation as o', 'o.id', 'e.actor_organisation_id')
    .select(['e.seq', 'e.at', 'e.kind', 'e.data', 'e.hash', 'a.name as actor_name', 'o.name as actor_organisation', 'e.actor_person_id'])
    .where('e.tenant_id', '=', tenantId).where('e.referral_id', '=', referralId).orderBy('e.seq').execute()
}

/** One event (by sequence number, or the latest of a kind) with who acted, for a mail. */
export async function eventWithActor(trx: TenantTx, tenantId: string, referralId: string, by: { seq: number } | { kind: string }) {
  let q = trx.selectFrom('referral_event as e').leftJoin('person as a', 'a.id', 'e.actor_person_id').leftJoin('organisation as o', 'o.id', 'e.actor_organisation_id')
    .select(['e.seq', 'e.at', 'e.data', 'a.name as actor', 'o.name as org']).where('e.tenant_id', '=', tenantId).where('e.referral_id', '=', referralId)
  q = 'seq' in by ? q.where('e.seq', '=', by.seq) : q.where('e.kind', '=', by.kind)
  return q.orderBy('e.seq', 'desc').limit(1).executeTakeFirstOrThrow()
}

export async function lastEventAt(trx: TenantTx, tenantId: string, referralId: string, kind: string): Promise<Date | undefined> {
  const e = await trx.selectFrom('referral_event').select('at').where('tenant_id', '=', tenantId).where('referral_id', '=', referralId)
    .where('kind', '=', kind).orderBy('seq', 'desc').limit(1).executeTakeFirst()
  return e?.at
}

/** Has one of these kinds happened after event `seq`? */
export async function hasEventAfter(trx: TenantTx, tenantId: string, referralId: string, kinds: string[], seq: number): Promise<boolean> {
  const e = await trx.selectFrom('referral_event').select('seq').where('tenant_id', '=', tenantId).where('referral_id', '=', referralId)
    .where('kind', 'in', kinds).where('seq', '>', seq).limit(1).executeTakeFirst()
  return !!e
}

export async function hasEventBefore(trx: TenantTx, tenantId: string, referralId: string, kind: string, seq: number): Promise<boolean> {
  const e = await trx.selectFrom('referral_event').select('seq').where('tenant_id', '=', tenantId).where('referral_id', '=', referralId)
    .where('kind', '=', kind).where('seq', '<', seq).limit(1).executeTakeFirst()
  return !!e
}

/** The organisations that transferred this referral away (said "pas pour nous"), oldest first. */
export async function transferredFrom(trx: TenantTx, tenantId: string, referralId: string): Promise<string[]> {
  const rows = await trx.selectFrom('referral_event').select(sql<string>`data->>'fromOrganisationId'`.as('org'))
    .where('tenant_id', '=', tenantId).where('referral_id', '=', referralId).where('kind', '=', 'transferred').orderBy('seq').execute()
  return rows.map((r) => r.org).filter((o): o is string => !!o)
}
