import type { FastifyRequest } from 'fastify'
import { badRequest, conflict, forbidden, invalidFields, notFound, type DomainError } from '@relais/core'
import type { Actor } from '@relais/core/directory'
import { decodeCursor } from '@relais/db/paging'
import { ErrorBody } from '../../schemas/common.ts'

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const secured = { security: [{ bearer: [] }] }
export const readErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }
export const writeErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }

export function actorOf(request: FastifyRequest): Actor & { tenantId: string } {
  const p = request.principal
  if (!p) throw forbidden()
  return { personId: p.personId, organisationId: p.organisationId, role: p.role, tenantId: p.tenantId }
}

/** A keyset cursor of `arity` text keys whose last one is a row id; anything else is refused before SQL sees it. */
export function readCursor(cursor: string | undefined, arity: number): string[] | undefined {
  const values = decodeCursor(cursor, arity)
  if (!values) return undefined
  if (values.every((v) => typeof v === 'string') && UUID.test(String(values[arity - 1]))) return values as string[]
  throw badRequest('invalid_cursor', 'Le curseur de pagination est invalide : repartez de la première page.', [{ path: 'cursor', message: 'Curseur invalide.' }])
}

export interface FieldIssue { path: string; message: string }

export { invalidFields }

export function throwIfInvalid(details: (FieldIssue | null | undefined | false | '')[]): void {
  const issues = details.filter((d): d is FieldIssue => !!d)
  if (issues.length) throw invalidFields(issues)
}

export const missing = {
  organisation: () => notFound('Cette organisation'),
  person: () => notFound('Cette personne'),
  theme: () => notFound('Ce thème'),
  routing_rule: () => notFound('Cette règle de routage'),
  coverage: () => notFound('Cette couverture'),
}

// The unique indexes of migration 0001, and what a duplicate means to the person who typed it.
const UNIQUE: Record<string, () => DomainError> = {
  person_tenant_email: () => conflict('email_taken', 'Cette adresse électronique est déjà celle d’une autre personne du réseau.', [{ path: 'email', message: 'Adresse déjà utilisée.' }]),
  theme_tenant_id_code_key: () => conflict('theme_code_taken', 'Un thème porte déjà ce code.', [{ path: 'code', message: 'Code déjà utilisé.' }]),
  organisation_mairie_commune: () => conflict('mairie_exists', 'Cette commune a déjà sa mairie dans l’annuaire.', [{ path: 'communeInsee', message: 'Mairie déjà présente.' }]),
  routing_rule_unique: () => conflict('routing_rule_exists', 'Une règle de routage en vigueur existe déjà pour ce thème et ce territoire : modifiez-la ou désactivez-la d’abord.'),
  coverage_unique: () => conflict('coverage_exists', 'Cette couverture existe déjà.'),
}

/** Runs a write and turns a unique-index violation into the matching 409 (the index is the real guard against races). */
export async function uniquely<T>(write: Promise<T>): Promise<T> {
  try {
    return await write
  } catch (err) {
    const e = err as { code?: string; constraint?: string }
    if (e.code === '23505' && e.constraint && UNIQUE[e.constraint]) throw UNIQUE[e.constraint]()
    throw err
  }
}

export const toDate = (v: string | null | undefined): Date | null | undefined => (v === undefined ? undefined : v === null ? null : new Date(v))
