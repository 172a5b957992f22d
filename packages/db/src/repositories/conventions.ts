// Convention versions (issue 13): inserted once, read; never updated (a trigger refuses it).
import type { TenantTx } from '../index.ts'
import type { ConventionVersionTable } from '../schema.ts'

type Kind = ConventionVersionTable['kind']

export interface ConventionVersion {
  id: string; kind: Kind; version: number; title: string; body: string; html: string; sha256: string
  effectiveAt: Date; publishedAt: Date; publishedBy: string | null
}

function base(trx: TenantTx, tenantId: string) {
  return trx.selectFrom('convention_version as c').leftJoin('person as p', 'p.id', 'c.published_by')
    .select(['c.id', 'c.kind', 'c.version', 'c.title', 'c.body', 'c.html', 'c.sha256', 'c.effective_at', 'c.published_at', 'p.name as published_by_name'])
    .where('c.tenant_id', '=', tenantId)
}
type Row = Awaited<ReturnType<ReturnType<typeof base>['executeTakeFirstOrThrow']>>
const toVersion = (r: Row): ConventionVersion => ({
  id: r.id, kind: r.kind, version: r.version, title: r.title, body: r.body, html: r.html, sha256: r.sha256,
  effectiveAt: r.effective_at, publishedAt: r.published_at, publishedBy: r.published_by_name,
})

export async function listConventionVersions(trx: TenantTx, tenantId: string, kind?: Kind): Promise<ConventionVersion[]> {
  let q = base(trx, tenantId)
  if (kind) q = q.where('c.kind', '=', kind)
  return (await q.orderBy('c.kind').orderBy('c.version', 'desc').execute()).map(toVersion)
}

export async function getConventionVersion(trx: TenantTx, tenantId: string, id: string): Promise<ConventionVersion | undefined> {
  const r = await base(trx, tenantId).where('c.id', '=', id).executeTakeFirst()
  return r && toVersion(r)
}

/** The next number for the kind; the unique (tenant, kind, version) index settles two publications at once. */
export async function insertConventionVersion(trx: TenantTx, tenantId: string, v: { kind: Kind; title: string; body: string; html: string; sha256: string; effectiveAt: Date; publishedBy: string; at: Date }): Promise<string> {
  const last = await trx.selectFrom('convention_version').select((eb) => eb.fn.max('version').as('v')).where('tenant_id', '=', tenantId).where('kind', '=', v.kind).executeTakeFirst()
  const row = await trx.insertInto('convention_version').values({
    tenant_id: tenantId, kind: v.kind, version: Number(last?.v ?? 0) + 1, title: v.title, body: v.body, html: v.html, sha256: v.sha256,
    effective_at: v.effectiveAt, published_by: v.publishedBy, published_at: v.at,
  }).returning('id').executeTakeFirstOrThrow()
  return row.id
}
