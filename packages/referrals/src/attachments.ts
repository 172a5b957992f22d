// Attachments (issue 15): files stored beside the referral, seen exactly by those who see the referral. A file is
// stored pending (before filing, or before an action), then linked once to the event it came with; each refusal is
// a French sentence with a stable code, and nothing is half-written (the caller's one transaction).
import { createHash } from 'node:crypto'
import {
  ATTACHMENT_MAX_BYTES, ATTACHMENT_TYPES, ATTACHMENTS_PER_REQUEST, PENDING_ATTACHMENT_HOURS, REFERRAL_ATTACHMENTS_MAX_BYTES,
  attachmentEmpty, attachmentTooLarge, attachmentTypeRefused, attachmentUnknown, attachmentsTotalTooLarge, authorize, authorizeRole, canSeeReferral,
  notFound, sanitiseFileName, sizeText, sniffAttachment, tooManyAttachments,
} from '@relais/core'
import type { TenantTx } from '@relais/db'
import * as repo from '@relais/db/repositories/attachments'
import { lockReferral, referralDetail } from '@relais/db/repositories/referrals'
import { logAccess } from '@relais/db/repositories/access-log'
import type { Principal } from './service.ts'

/** A file as it came (a form, the API, a mail): its given name and its bytes; truncated when it was over the limit. */
export interface IncomingFile { name: string; content: Buffer; truncated?: boolean }

export interface AttachmentView { id: string; name: string; type: string; size: number }
export interface AttachmentListed extends AttachmentView { seq: number; sizeText: string; typeLabel: string; sha256: string; erased: boolean; addedAt: string; viaMail: boolean }

const pendingSince = (now: Date) => new Date(now.getTime() - PENDING_ATTACHMENT_HOURS * 3_600_000)

/** Checks every file (size, emptiness, sniffed type) before anything is written; the first refusal throws. */
export async function checkFiles(files: IncomingFile[]): Promise<{ name: string; type: string; content: Buffer; sha256: string }[]> {
  if (files.length > ATTACHMENTS_PER_REQUEST) throw tooManyAttachments()
  const out = []
  for (const f of files) {
    const shown = f.name.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 120) || 'sans nom'
    if (f.truncated || f.content.length > ATTACHMENT_MAX_BYTES) throw attachmentTooLarge(shown)
    if (!f.content.length) throw attachmentEmpty(shown)
    const type = await sniffAttachment(f.content)
    if (!type) throw attachmentTypeRefused(shown)
    out.push({ name: sanitiseFileName(f.name, type), type, content: f.content, sha256: createHash('sha256').update(f.content).digest('hex') })
  }
  return out
}

/**
 * Stores files pending: for a referral the person may see (then counted in its 30 Mo at once), or, for a secretary
 * about to file, for none yet. Returns what the API answers.
 */
export async function storeAttachments(trx: TenantTx, p: Principal, target: { referralId?: string }, files: IncomingFile[], now: Date, source: 'upload' | 'mail' = 'upload'): Promise<AttachmentView[]> {
  let already: number
  if (target.referralId) {
    const r = await lockReferral(trx, p.tenantId, target.referralId)
    if (!r || !canSeeReferral(p, r)) throw notFound('Cette saisine')
    authorize(p, 'attachment.add', { mairieOrganisationId: r.mairie_organisation_id, holderOrganisationId: r.holder_organisation_id }, 'Cette saisine')
    already = await repo.referralBytes(trx, p.tenantId, r.id, pendingSince(now))
  } else {
    authorizeRole(p, 'referral.file')
    already = await repo.pendingBytesOf(trx, p.tenantId, p.personId, pendingSince(now))
  }
  const checked = await checkFiles(files)
  const stored: AttachmentView[] = []
  let total = already
  for (const f of checked) {
    total += f.content.length
    if (total > REFERRAL_ATTACHMENTS_MAX_BYTES) throw attachmentsTotalTooLarge(f.name, already)
    const row = await repo.insertAttachment(trx, {
      tenant_id: p.tenantId, referral_id: target.referralId ?? null, event_seq: null, name: f.name, content_type: f.type, size: f.content.length,
      sha256: f.sha256, content: f.content, added_by_person_id: p.personId, added_at: now, source, erased_at: null,
    })
    stored.push({ id: row.id, name: row.name, type: row.content_type, size: row.size })
  }
  return stored
}

export interface Claimed { ids: string[]; data: { id: string; sha256: string }[] }

/**
 * The person's pending files named by `ids`, locked, checked against the referral's total: what an event will carry
 * (their ids and digests enter its data, so the timeline's chain covers the files). Unknown, someone else's, already
 * linked or too old: 422 and nothing happens. `referralId` null: filing (the referral does not exist yet).
 */
export async function claimAttachments(trx: TenantTx, p: Principal, referralId: string | null, ids: string[] | undefined, now: Date): Promise<Claimed> {
  const wanted = [...new Set(ids ?? [])]
  if (!wanted.length) return { ids: [], data: [] }
  if (wanted.length > ATTACHMENTS_PER_REQUEST) throw tooManyAttachments()
  const rows = await repo.lockPending(trx, p.tenantId, p.personId, wanted, referralId, pendingSince(now))
  if (rows.length !== wanted.length) throw attachmentUnknown()
  rows.sort((a, b) => wanted.indexOf(a.id) - wanted.indexOf(b.id))
  // Files uploaded to this referral already count in its total; those uploaded before filing (no referral) do not yet.
  const already = referralId ? await repo.referralBytes(trx, p.tenantId, referralId, pendingSince(now)) : 0
  let total = already
  for (const r of rows) {
    if (r.referral_id === null) total += r.size
    if (total > REFERRAL_ATTACHMENTS_MAX_BYTES) throw attachmentsTotalTooLarge(r.name, already)
  }
  return { ids: rows.map((r) => r.id), data: rows.map((r) => ({ id: r.id, sha256: r.sha256 })) }
}

/** Links claimed files to the event they came with. */
export async function linkClaimed(trx: TenantTx, tenantId: string, claimed: Claimed, referralId: string, seq: number): Promise<void> {
  if (!claimed.ids.length) return
  const n = await repo.linkAttachments(trx, tenantId, claimed.ids, referralId, seq)
  if (n !== claimed.ids.length) throw attachmentUnknown()
}

/** The referral's files for those who see it (the caller checked that), by event. */
export async function listAttachments(trx: TenantTx, tenantId: string, referralId: string): Promise<AttachmentListed[]> {
  const rows = await repo.referralAttachments(trx, tenantId, referralId)
  return rows.map((r) => ({
    id: r.id, seq: r.event_seq!, name: r.name, type: r.content_type, size: r.size, sha256: r.sha256, erased: r.erased_at !== null,
    sizeText: sizeText(r.size), typeLabel: ATTACHMENT_TYPES[r.content_type]?.label ?? r.content_type, addedAt: r.added_at.toISOString(), viaMail: r.source === 'mail',
  }))
}

/** A file to download: visible exactly to those who see the referral (a pending one: to its uploader only); else 404. */
export async function readAttachment(trx: TenantTx, p: Principal, referralId: string, attachmentId: string, now: Date) {
  const r = await referralDetail(trx, p.tenantId, referralId)
  if (!r || !canSeeReferral(p, r)) throw notFound('Cette pièce jointe')
  authorize(p, 'attachment.read', { mairieOrganisationId: r.mairie_organisation_id, holderOrganisationId: r.holder_organisation_id }, 'Cette pièce jointe')
  const a = await repo.attachmentWithContent(trx, p.tenantId, referralId, attachmentId, p.personId)
  if (!a || a.erased_at) throw notFound('Cette pièce jointe')
  // A citizen's document is her data: its download is a display, logged like the referral page (issue 18).
  await logAccess(trx, p.tenantId, [referralId], p.personId, now, 'download')
  return { id: a.id, name: a.name, type: a.content_type, size: a.size, sha256: a.sha256, content: a.content }
}
