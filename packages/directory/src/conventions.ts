import { authorizeRole, conflict, invalidFields, notFound } from '@relais/core'
import { conventionHash, conventionHtml, type ConventionKind } from '@relais/core/conventions'
import type { TenantTx } from '@relais/db'
import * as repo from '@relais/db/repositories/conventions'
import type { DirectoryActor } from './common.ts'

export type { ConventionVersion } from '@relais/db/repositories/conventions'

// Issue 13: the mission TIC writes a convention per kind of organisation in Markdown and publishes it as a numbered
// version: the exact text, its HTML and its SHA-256. A published version never changes; a new text is a new version.

export interface ConventionInput { kind: ConventionKind; title: string; body: string; effectiveAt: Date }

export async function publishConvention(trx: TenantTx, actor: DirectoryActor, input: ConventionInput, now: Date): Promise<repo.ConventionVersion> {
  authorizeRole(actor, 'convention.publish')
  const title = input.title.trim()
  const issues = [
    !title && { path: 'title', message: 'Donnez un titre à la convention.' },
    !input.body.trim() && { path: 'body', message: 'Écrivez le texte de la convention.' },
    Number.isNaN(input.effectiveAt.getTime()) && { path: 'effectiveAt', message: 'Date d’entrée en vigueur invalide.' },
  ].filter((i): i is { path: string; message: string } => !!i)
  if (issues.length) throw invalidFields(issues)
  try {
    const id = await repo.insertConventionVersion(trx, actor.tenantId, {
      kind: input.kind, title, body: input.body, html: conventionHtml(input.body), sha256: conventionHash(input.body),
      effectiveAt: input.effectiveAt, publishedBy: actor.personId, at: now,
    })
    return (await repo.getConventionVersion(trx, actor.tenantId, id))!
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw conflict('convention_version_taken', 'Une autre version de cette convention vient d’être publiée : rechargez la page et recommencez.')
    throw err
  }
}

export async function listConventions(trx: TenantTx, actor: DirectoryActor, kind?: ConventionKind): Promise<repo.ConventionVersion[]> {
  authorizeRole(actor, 'convention.read')
  return repo.listConventionVersions(trx, actor.tenantId, kind)
}

export async function getConvention(trx: TenantTx, actor: DirectoryActor, id: string): Promise<repo.ConventionVersion> {
  authorizeRole(actor, 'convention.read')
  const version = await repo.getConventionVersion(trx, actor.tenantId, id)
  if (!version) throw notFound('Cette convention')
  return version
}

/** The version in force for a kind at a time: the latest one whose effective date has come. */
export function inForce(versions: repo.ConventionVersion[], kind: ConventionKind, at: Date): repo.ConventionVersion | undefined {
  return versions.filter((v) => v.kind === kind && v.effectiveAt.getTime() <= at.getTime()).sort((a, b) => b.version - a.version)[0]
}
