import type { FastifyRequest } from 'fastify'
import { badRequest, forbidden, isUuid } from '@relais/core'
import type { DirectoryActor } from '@relais/directory/common'
import { decodeCursor } from '@relais/db/paging'
import { ErrorBody } from '../../schemas/common.ts'

export const secured = { security: [{ bearer: [] }] }
export const readErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }
export const writeErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }

export function actorOf(request: FastifyRequest): DirectoryActor {
  const p = request.principal
  if (!p) throw forbidden()
  return { personId: p.personId, organisationId: p.organisationId, role: p.role, tenantId: p.tenantId }
}

/** A keyset cursor of `arity` text keys whose last one is a row id; anything else is refused before SQL sees it. */
export function readCursor(cursor: string | undefined, arity: number): string[] | undefined {
  const values = decodeCursor(cursor, arity)
  if (!values) return undefined
  if (values.every((v) => typeof v === 'string') && isUuid(values[arity - 1])) return values as string[]
  throw badRequest('invalid_cursor', 'Le curseur de pagination est invalide : repartez de la première page.', [{ path: 'cursor', message: 'Curseur invalide.' }])
}

export const toDate = (v: string | null | undefined): Date | null | undefined => (v === undefined ? undefined : v === null ? null : new Date(v))
