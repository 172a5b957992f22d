// Convention versions (issue 13): inserted once, read; never updated (a trigger refuses it).
import { sql } from 'kysely'
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

// ---- Signatures and countersignatures (migration 0072): inserted once, read; never updated (a trigger refuses it).

export interface ConventionSignature {
  id: string; conventionVersionId: string; organisationId: string; organisationName: string; personId: string
  signerName: string; capacity: string; documentSha256: string; signedAt: Date; ip: string; userAgent: string; receiptSha256: string
  version: number; kind: Kind; title: string
  countersignedAt: Date | null; countersignedBy: string | null
}

function signatures(trx: TenantTx, tenantId: string) {
  return trx.selectFrom('convention_signature as s')
    .innerJoin('convention_version as v', 'v.id', 's.convention_version_id')
    .innerJoin('organisation as o', 'o.id', 's.organisation_id')
    .leftJoin('convention_countersignature as c', 'c.signature_id', 's.id')
    .leftJoin('person as cp', 'cp.id', 'c.person_id')
    .select(['s.id', 's.convention_version_id', 's.organisation_id', 'o.name as organisation_name', 's.person_id', 's.signer_name', 's.capacity', 's.document_sha256',
      's.signed_at', 's.ip', 's.user_agent', 's.receipt_sha256', 'v.version', 'v.kind', 'v.title', 'c.countersigned_at', 'cp.name as countersigned_by'])
    .where('s.tenant_id', '=', tenantId)
}
type SignatureRow = Awaited<ReturnType<ReturnType<typeof signatures>['executeTakeFirstOrThrow']>>
const toSignature = (r: SignatureRow): ConventionSignature => ({
  id: r.id, conventionVersionId: r.convention_version_id, organisationId: r.organisation_id, organisationName: r.organisation_name, personId: r.person_id,
  signerName: r.signer_name, capacity: r.capacity, documentSha256: r.document_sha256, signedAt: r.signed_at, ip: r.ip, userAgent: r.user_agent,
  receiptSha256: r.receipt_sha256, version: r.version, kind: r.kind, title: r.title, countersignedAt: r.countersigned_at, countersignedBy: r.countersigned_by,
})

export async function insertSignature(trx: TenantTx, tenantId: string, s: {
  id: string; versionId: string; organisationId: string; personId: string; signerName: string; capacity: string; documentSha256: string
  signedAt: Date; ip: string; userAgent: string; receiptPdf: Buffer; receiptSha256: string
}): Promise<void> {
  await trx.insertInto('convention_signature').values({
    id: s.id, tenant_id: tenantId, convention_version_id: s.versionId, organisation_id: s.organisationId, person_id: s.personId, signer_name: s.signerName,
    capacity: s.capacity, document_sha256: s.documentSha256, signed_at: s.signedAt, ip: s.ip, user_agent: s.userAgent, receipt_pdf: s.receiptPdf, receipt_sha256: s.receiptSha256,
  }).execute()
}

export async function getSignature(trx: TenantTx, tenantId: string, id: string): Promise<ConventionSignature | undefined> {
  const r = await signatures(trx, tenantId).where('s.id', '=', id).executeTakeFirst()
  return r && toSignature(r)
}

export async function signatureOf(trx: TenantTx, tenantId: string, organisationId: string, versionId: string): Promise<ConventionSignature | undefined> {
  const r = await signatures(trx, tenantId).where('s.organisation_id', '=', organisationId).where('s.convention_version_id', '=', versionId).executeTakeFirst()
  return r && toSignature(r)
}

/** Every signature of the tenant (the register), or of one organisation, newest first. */
export async function listSignatures(trx: TenantTx, tenantId: string, organisationId?: string): Promise<ConventionSignature[]> {
  let q = signatures(trx, tenantId)
  if (organisationId) q = q.where('s.organisation_id', '=', organisationId)
  return (await q.orderBy('s.signed_at', 'desc').execute()).map(toSignature)
}

export async function signatureByReceiptHash(trx: TenantTx, tenantId: string, sha256: string): Promise<ConventionSignature | undefined> {
  const r = await signatures(trx, tenantId).where('s.receipt_sha256', '=', sha256).executeTakeFirst()
  return r && toSignature(r)
}

export async function receiptPdf(trx: TenantTx, tenantId: string, id: string): Promise<Buffer | undefined> {
  const r = await trx.selectFrom('convention_signature').select('receipt_pdf').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
  return r?.receipt_pdf
}

export async function insertCountersignature(trx: TenantTx, tenantId: string, c: { signatureId: string; organisationId: string; personId: string; at: Date }): Promise<void> {
  await trx.insertInto('convention_countersignature').values({ tenant_id: tenantId, signature_id: c.signatureId, organisation_id: c.organisationId, person_id: c.personId, countersigned_at: c.at }).execute()
}

/** The organisations the register lists (every one but the mission TIC), in French order. */
export async function registerOrganisations(trx: TenantTx, tenantId: string): Promise<{ id: string; name: string; kind: string; status: string }[]> {
  return trx.selectFrom('organisation').select(['id', 'name', 'kind', 'status']).where('tenant_id', '=', tenantId).where('kind', '<>', 'mission_tic')
    .orderBy(sql`name collate fr_icu`).orderBy('id').execute()
}
