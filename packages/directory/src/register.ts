import { createHash } from 'node:crypto'
import { authorizeRole, badRequest } from '@relais/core'
import { writeCsv } from '@relais/core/csv'
import { CONVENTION_KIND_LABELS, type ConventionKind } from '@relais/core/conventions'
import type { TenantTx } from '@relais/db'
import * as repo from '@relais/db/repositories/conventions'
import type { DirectoryActor } from './common.ts'
import { inForce } from './conventions.ts'
import { conventionKindOf } from './signatures.ts'

// Issue 13: the register of conventions (every organisation × the version in force for its kind: signed by whom, in
// what capacity, when; countersigned; pending; late past the sign-by date) and the verification of a receipt (its PDF
// or its SHA-256 → the signature it is the receipt of, or none). The mission TIC's.

export type RegisterState = 'countersigned' | 'signed' | 'pending' | 'late' | 'no_convention'
export const REGISTER_STATE_LABELS: Record<RegisterState, string> = {
  countersigned: 'signée et contresignée', signed: 'signée, à contresigner', pending: 'à signer', late: 'en retard', no_convention: 'aucune convention publiée',
}

export interface RegisterRow {
  organisation: { id: string; name: string; kind: ConventionKind; status: string }
  convention: { id: string; title: string; version: number; signBy: Date | null } | null
  state: RegisterState
  signature: { id: string; signerName: string; capacity: string; signedAt: Date; countersignedAt: Date | null; receiptSha256: string } | null
}

export async function conventionRegister(trx: TenantTx, actor: DirectoryActor, now: Date): Promise<RegisterRow[]> {
  authorizeRole(actor, 'convention.register')
  const versions = await repo.listConventionVersions(trx, actor.tenantId)
  const signatures = await repo.listSignatures(trx, actor.tenantId)
  const rows: RegisterRow[] = []
  for (const org of await repo.registerOrganisations(trx, actor.tenantId)) {
    const kind = conventionKindOf(org.kind)
    if (!kind) continue
    const v = inForce(versions, kind, now)
    const s = v && signatures.find((x) => x.organisationId === org.id && x.conventionVersionId === v.id)
    // Late (past a sign-by date) comes with new versions' sign-by dates; not built yet.
    const state: RegisterState = !v ? 'no_convention' : s ? (s.countersignedAt ? 'countersigned' : 'signed') : 'pending'
    rows.push({
      organisation: { id: org.id, name: org.name, kind, status: org.status },
      convention: v ? { id: v.id, title: v.title, version: v.version, signBy: null } : null,
      state,
      signature: s ? { id: s.id, signerName: s.signerName, capacity: s.capacity, signedAt: s.signedAt, countersignedAt: s.countersignedAt, receiptSha256: s.receiptSha256 } : null,
    })
  }
  return rows
}

export const REGISTER_CSV_COLUMNS = ['organisme', 'type', 'statut_organisme', 'convention', 'version', 'a_signer_avant', 'etat', 'signataire', 'qualite', 'signee_le', 'contresignee_le', 'empreinte_recu'] as const

/** The register as CSV (formulas neutralised by writeCsv); instants in ISO 8601 UTC. */
export function registerCsv(rows: RegisterRow[]): string {
  return writeCsv(REGISTER_CSV_COLUMNS, rows.map((r) => [
    r.organisation.name, CONVENTION_KIND_LABELS[r.organisation.kind], r.organisation.status, r.convention?.title, r.convention ? String(r.convention.version) : '',
    r.convention?.signBy?.toISOString(), REGISTER_STATE_LABELS[r.state], r.signature?.signerName, r.signature?.capacity, r.signature?.signedAt.toISOString(),
    r.signature?.countersignedAt?.toISOString(), r.signature?.receiptSha256,
  ]))
}

export interface Verification {
  sha256: string
  match: boolean
  signature?: { id: string; organisation: string; signerName: string; capacity: string; signedAt: Date; title: string; version: number; documentSha256: string }
}

/** A receipt PDF's bytes, or a SHA-256 pasted: which signature's receipt it is, or none. */
export async function verifyReceipt(trx: TenantTx, actor: DirectoryActor, input: { pdf?: Buffer; sha256?: string }): Promise<Verification> {
  authorizeRole(actor, 'convention.verify')
  let sha: string
  if (input.pdf && input.pdf.length) sha = createHash('sha256').update(input.pdf).digest('hex')
  else {
    sha = (input.sha256 ?? '').trim().toLowerCase()
    if (!/^[0-9a-f]{64}$/.test(sha)) {
      const message = 'Collez l’empreinte SHA-256 du reçu : 64 caractères hexadécimaux (0-9, a-f), ou déposez le reçu PDF.'
      throw badRequest('invalid_hash', message, [{ path: 'sha256', message }])
    }
  }
  const s = await repo.signatureByReceiptHash(trx, actor.tenantId, sha)
  if (!s) return { sha256: sha, match: false }
  return {
    sha256: sha, match: true,
    signature: { id: s.id, organisation: s.organisationName, signerName: s.signerName, capacity: s.capacity, signedAt: s.signedAt, title: s.title, version: s.version, documentSha256: s.documentSha256 },
  }
}
