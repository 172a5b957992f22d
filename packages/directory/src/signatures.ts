import { createHash, randomUUID } from 'node:crypto'
import { authorize, authorizeRole, badRequest, conflict, dateTimeFr, InvalidInput, notFound } from '@relais/core'
import { CONVENTION_KIND_LABELS, type ConventionKind } from '@relais/core/conventions'
import type { TenantTx } from '@relais/db'
import { verifyPassword } from '@relais/db/credentials'
import * as repo from '@relais/db/repositories/conventions'
import { passwordHashOf } from '@relais/db/repositories/account-links'
import { getOrganisation, updateOrganisation } from '@relais/db/repositories/organisations'
import { tenantTimeZone } from '@relais/db/repositories/parties'
import { renderPdf, type PdfBlock } from '@relais/documents/pdf'
import { enqueueMail } from '@relais/referrals/outbox'
import { networkAdmins, personRecipient, uniqueRecipients } from '@relais/referrals/recipients'
import { audit } from './audit.ts'
import { missing, type DirectoryActor } from './common.ts'
import { inForce } from './conventions.ts'

export type { ConventionSignature } from '@relais/db/repositories/conventions'

// Issue 13: an organisation's admin signs the convention version in force for its kind: her name and capacity, a
// ticked consent and her password. The signature is evidence, kept append-only with the document's hash, the time, the
// network address and the browser; its PDF receipt (the text, then a signature page) is written once, kept with its
// own SHA-256, and mailed to her and to the mission TIC. The mission TIC's countersignature makes the organisation active.

export interface SignatureInput { signerName: string; capacity: string; consent: boolean; password: string }
export interface SignatureContext { ip: string; userAgent: string; now: Date }

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex')

/** The kind of convention an organisation signs (the mission TIC signs none). */
export const conventionKindOf = (kind: string): ConventionKind | null => (kind === 'mairie' || kind === 'partner' || kind === 'msap' ? kind : null)

export async function signConvention(trx: TenantTx, actor: DirectoryActor, versionId: string, input: SignatureInput, ctx: SignatureContext): Promise<repo.ConventionSignature> {
  authorizeRole(actor, 'convention.sign')
  const version = await repo.getConventionVersion(trx, actor.tenantId, versionId)
  if (!version) throw notFound('Cette convention')
  const org = await getOrganisation(trx, actor.tenantId, actor.organisationId)
  if (!org) throw missing.organisation()
  authorize(actor, 'convention.sign', { organisationId: org.id }, 'Cette convention')
  const signerName = input.signerName.trim()
  const capacity = input.capacity.trim()
  const issues = [
    !signerName && { path: 'signerName', message: 'Indiquez vos nom et prénom.' },
    !capacity && { path: 'capacity', message: 'Indiquez votre qualité (par exemple « Directrice de la CAF du Cher »).' },
    input.consent !== true && { path: 'consent', message: 'Cochez la case pour signer : vous acceptez la convention au nom de votre organisme.' },
    !input.password && { path: 'password', message: 'Saisissez votre mot de passe pour confirmer la signature.' },
  ].filter((i): i is { path: string; message: string } => !!i)
  if (issues.length) throw new InvalidInput(input.consent !== true && issues.length === 1 ? 'consent_required' : 'validation_failed', issues.length === 1 ? issues[0].message : 'La convention n’a pas été signée : corrigez les champs signalés.', issues)
  const hash = await passwordHashOf(trx, actor.tenantId, actor.personId)
  if (!hash || !(await verifyPassword(hash, input.password))) {
    const message = 'Le mot de passe est incorrect : la convention n’a pas été signée.'
    throw new InvalidInput('wrong_password', message, [{ path: 'password', message }])
  }
  if (conventionKindOf(org.kind) !== version.kind) throw conflict('convention_other_kind', `Cette convention est celle des ${CONVENTION_KIND_LABELS[version.kind].toLowerCase()} : votre organisme signe celle de son type.`)
  const current = inForce(await repo.listConventionVersions(trx, actor.tenantId, version.kind), version.kind, ctx.now)
  if (!current || current.id !== version.id) throw conflict('convention_not_in_force', 'Cette version n’est pas celle en vigueur : signez la version en vigueur de la convention.')
  const already = await repo.signatureOf(trx, actor.tenantId, org.id, version.id)
  if (already) throw conflict('already_signed', `Votre organisme a déjà signé cette version, le ${dateTimeFr(already.signedAt, await tenantTimeZone(trx, actor.tenantId))}.`)

  const id = randomUUID()
  const timeZone = await tenantTimeZone(trx, actor.tenantId)
  const evidence = { id, signerName, capacity, organisation: org.name, signedAt: ctx.now, ip: ctx.ip.slice(0, 100), userAgent: ctx.userAgent.slice(0, 500) || 'inconnu' }
  const pdf = await receiptPdf(version, evidence, timeZone)
  try {
    await repo.insertSignature(trx, actor.tenantId, {
      id, versionId: version.id, organisationId: org.id, personId: actor.personId, signerName, capacity, documentSha256: version.sha256,
      signedAt: ctx.now, ip: evidence.ip, userAgent: evidence.userAgent, receiptPdf: pdf, receiptSha256: sha256(pdf),
    })
  } catch (err) {
    // Two signatures at once: the unique (organisation, version) keeps one.
    if ((err as { code?: string }).code === '23505') throw conflict('already_signed', 'Votre organisme a déjà signé cette version.')
    throw err
  }
  await enqueueMail(trx, {
    tenantId: actor.tenantId, referralId: null, kind: 'convention_signed', now: ctx.now, payload: { signatureId: id },
    recipients: uniqueRecipients([...await personRecipient(trx, actor.tenantId, actor.personId), ...await networkAdmins(trx, actor.tenantId)]),
  })
  return (await repo.getSignature(trx, actor.tenantId, id))!
}

interface Evidence { id: string; signerName: string; capacity: string; organisation: string; signedAt: Date; ip: string; userAgent: string }

/** The receipt: the convention's text, then a signature page with the evidence, the document's hash and version. */
export function receiptPdf(version: repo.ConventionVersion, e: Evidence, timeZone: string): Promise<Buffer> {
  const blocks: PdfBlock[] = []
  for (const part of version.body.replace(/\r\n?/g, '\n').split(/\n{2,}/)) {
    const heading = /^#{1,6}\s+(.*)$/.exec(part.trim())
    if (heading && !part.trim().includes('\n')) blocks.push({ heading: heading[1] })
    else if (part.trim()) blocks.push({ paragraph: part.trim() })
  }
  blocks.push({ pageBreak: true }, { heading: 'Signature électronique' }, {
    fields: [
      ['Organisme', e.organisation],
      ['Signataire', e.signerName],
      ['Qualité', e.capacity],
      ['Signé le', dateTimeFr(e.signedAt, timeZone)],
      ['Horodatage (UTC)', e.signedAt.toISOString()],
      ['Adresse IP', e.ip],
      ['Navigateur', e.userAgent],
      ['Convention', `${version.title}, version ${version.version} (${CONVENTION_KIND_LABELS[version.kind]})`],
      ['Identifiant de la signature', e.id],
    ],
  }, { paragraph: 'Empreinte SHA-256 du texte signé (UTF-8, exact) :' }, { mono: version.sha256 }, {
    paragraph: 'Le signataire a lu la convention, coché la case d’acceptation au nom de son organisme et confirmé par son mot de passe. La signature ne prend effet pour le réseau qu’après la contresignature de la mission TIC. Relais conserve ce reçu et son empreinte : le registre des conventions permet de le vérifier.',
  })
  return renderPdf({
    title: version.title, subtitle: `Version ${version.version} — reçu de signature de ${e.organisation}`, createdAt: e.signedAt,
    author: 'Relais', footer: `Reçu de signature ${e.id}`, blocks,
  })
}

/** A signature's receipt, for the signing organisation's admins and the mission TIC; anyone else: 404. */
export async function signatureReceipt(trx: TenantTx, actor: DirectoryActor, id: string): Promise<{ signature: repo.ConventionSignature; pdf: Buffer }> {
  authorizeRole(actor, 'convention.receipt')
  const signature = await repo.getSignature(trx, actor.tenantId, id)
  if (!signature) throw notFound('Cette signature')
  authorize(actor, 'convention.receipt', { organisationId: signature.organisationId }, 'Cette signature')
  return { signature, pdf: (await repo.receiptPdf(trx, actor.tenantId, id))! }
}

/** The signatures of one's organisation (an org admin) or of any (the mission TIC), newest first. */
export async function organisationSignatures(trx: TenantTx, actor: DirectoryActor, organisationId: string): Promise<repo.ConventionSignature[]> {
  authorizeRole(actor, 'convention.receipt')
  authorize(actor, 'convention.receipt', { organisationId }, 'Cette organisation')
  return repo.listSignatures(trx, actor.tenantId, organisationId)
}

/** The mission TIC countersigns an organisation's signature of the version in force: the organisation becomes active. */
export async function countersign(trx: TenantTx, actor: DirectoryActor, organisationId: string, now: Date): Promise<{ organisationId: string; status: 'active'; signatureId: string; countersignedAt: Date }> {
  authorizeRole(actor, 'convention.countersign')
  const org = await getOrganisation(trx, actor.tenantId, organisationId)
  if (!org) throw missing.organisation()
  const kind = conventionKindOf(org.kind)
  if (!kind) throw badRequest('no_convention', 'La mission TIC ne signe pas de convention avec elle-même.')
  const version = inForce(await repo.listConventionVersions(trx, actor.tenantId, kind), kind, now)
  const signature = version && await repo.signatureOf(trx, actor.tenantId, org.id, version.id)
  if (!signature) throw conflict('not_signed', `${org.name} n’a pas encore signé la convention en vigueur : rien à contresigner.`)
  if (signature.countersignedAt) throw conflict('already_countersigned', 'Cette signature est déjà contresignée.')
  await repo.insertCountersignature(trx, actor.tenantId, { signatureId: signature.id, organisationId: org.id, personId: actor.personId, at: now })
  if (org.status !== 'active') {
    await updateOrganisation(trx, actor.tenantId, org.id, { status: 'active' })
    await audit(trx, actor, 'organisation', 'update', org.name, org.id, { status: org.status }, { status: 'active' })
  }
  return { organisationId: org.id, status: 'active', signatureId: signature.id, countersignedAt: now }
}

export interface SigningState {
  /** The version is the one in force for her organisation's kind and she may sign it now. */
  signable: boolean
  /** Her organisation's signature of this version, if any. */
  signature?: repo.ConventionSignature
  /** The organisation's name (for the form). */
  organisation: string
}

/** What an org admin may do with a version (the pages' form): null when the version is not her organisation's to sign. */
export async function signingState(trx: TenantTx, actor: DirectoryActor, version: repo.ConventionVersion, now: Date): Promise<SigningState | null> {
  if (actor.role !== 'org_admin') return null
  const org = await getOrganisation(trx, actor.tenantId, actor.organisationId)
  if (!org || conventionKindOf(org.kind) !== version.kind) return null
  const signature = await repo.signatureOf(trx, actor.tenantId, org.id, version.id)
  const current = inForce(await repo.listConventionVersions(trx, actor.tenantId, version.kind), version.kind, now)
  return { signable: !signature && current?.id === version.id, signature, organisation: org.name }
}
