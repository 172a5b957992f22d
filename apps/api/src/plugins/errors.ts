import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance } from 'fastify'
import { Conflict, DomainError, Forbidden, InvalidInput, NotFound, TooLarge, TooManyRequests, Unauthenticated, Unavailable, Unprocessable, UnsupportedType } from '@relais/core'

interface AjvIssue { instancePath?: string; keyword: string; params?: Record<string, unknown>; message?: string }

// French wording of the schema validator's keywords: people read these next to their fields.
export function frenchMessage(issue: AjvIssue): string {
  const p = issue.params ?? {}
  switch (issue.keyword) {
    case 'required': return 'Ce champ est obligatoire.'
    case 'type': return `Type attendu : ${({ string: 'texte', integer: 'nombre entier', number: 'nombre', boolean: 'vrai ou faux', object: 'objet', array: 'liste', null: 'vide' } as Record<string, string>)[String(p.type)] ?? String(p.type)}.`
    case 'minLength': return Number(p.limit) === 1 ? 'Ce champ ne peut pas être vide.' : `Au moins ${p.limit} caractères.`
    case 'maxLength': return `Au plus ${p.limit} caractères.`
    case 'minimum': return `La valeur doit être au moins ${p.limit}.`
    case 'maximum': return `La valeur doit être au plus ${p.limit}.`
    case 'format': return ({ email: 'Adresse électronique invalide.', uuid: 'Identifiant invalide.', 'date-time': 'Date et heure invalides (format ISO 8601 attendu).' } as Record<string, string>)[String(p.format)] ?? 'Format invalide.'
    case 'pattern': return 'Format invalide.'
    case 'enum': case 'const': case 'anyOf': return 'Valeur non autorisée.'
    case 'additionalProperties': return `Champ inconnu : ${String(p.additionalProperty)}.`
    case 'minItems': return `Au moins ${p.limit} élément(s).`
    case 'maxItems': return `Au plus ${p.limit} élément(s).`
    default: return 'Valeur invalide.'
  }
}

export function fieldPath(issue: AjvIssue, context: string): string {
  const base = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
  const missing = issue.keyword === 'required' ? String(issue.params?.missingProperty ?? '') : ''
  return [context === 'body' ? '' : context, base, missing].filter(Boolean).join('.') || context
}

/**
 * A schema's errors on a form's value as {path, message}, every field at once. TypeBox names all the missing
 * properties of an object in one `required` error (`requiredProperties`): each becomes its own field's error.
 */
export function schemaIssues(errors: Iterable<AjvIssue & { params?: { requiredProperties?: unknown } }>): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = []
  for (const e of errors) {
    const missing = e.keyword === 'required' && Array.isArray(e.params?.requiredProperties) ? e.params.requiredProperties as string[] : null
    if (missing) for (const m of missing) out.push({ path: fieldPath({ ...e, params: { missingProperty: m } }, 'body'), message: frenchMessage(e) })
    else out.push({ path: fieldPath(e, 'body'), message: frenchMessage(e) })
  }
  return out
}

/** The HTTP status of each kind of domain error: the only place where the domain meets HTTP. */
const STATUS: [new (...args: never[]) => DomainError, number][] = [
  [InvalidInput, 400], [Unauthenticated, 401], [Forbidden, 403], [NotFound, 404], [Conflict, 409], [TooLarge, 413], [UnsupportedType, 415], [Unprocessable, 422], [TooManyRequests, 429], [Unavailable, 503],
]

export interface HttpError { status: number; code: string; message: string; details?: unknown }

const FASTIFY_CODES: Record<string, [string, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_json', 'Le corps de la requête n’est pas un JSON valide.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_json', 'Le corps de la requête est vide.'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large', 'La requête est trop volumineuse.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'Ce type de contenu n’est pas accepté.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['invalid_request', 'La longueur annoncée de la requête est fausse.'],
  FST_ERR_CTP_INVALID_TYPE: ['unsupported_media_type', 'Ce type de contenu n’est pas accepté.'],
}

// Postgres refusing bad input that slipped past the schema is still the caller's fault: bad text (22P02), date
// (22007, 22008), length (22001), number out of range (22003), encoding (22021, 22P05: a NUL byte in jsonb), a
// value too large for an index (54000).
const PG_INPUT = new Set(['22P02', '22007', '22008', '22001', '22003', '22021', '22P05', '54000'])
const PG_DOWN = new Set(['57P01', '57P03', 'ECONNREFUSED'])

export const UNAVAILABLE_MESSAGE = 'Le service est momentanément indisponible : réessayez dans quelques instants.'

/** Whether the database (or the network to it) is down: a 503 with Retry-After, for the API and the pages alike. */
export function isOutage(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  return err instanceof Unavailable || PG_DOWN.has(String(e?.code)) || /Connection terminated|timeout exceeded when trying to connect/.test(String(e?.message))
}

/** Any error as the status, stable code, French message and field details it is answered with. 500 is the rest. */
export function httpError(err: unknown): HttpError {
  if (err instanceof DomainError) {
    const status = STATUS.find(([kind]) => err instanceof kind)?.[1] ?? 500
    return { status, code: err.code, message: err.message, details: err.details }
  }
  const e = err as FastifyError & { validationContext?: string }
  if (e?.validation) {
    const details = e.validation.map((v) => ({ path: fieldPath(v as AjvIssue, e.validationContext ?? 'body'), message: frenchMessage(v as AjvIssue) }))
    return { status: 400, code: 'validation_failed', message: 'Certaines informations sont invalides : corrigez les champs indiqués.', details }
  }
  const status = e?.statusCode ?? 500
  if (status < 500) {
    const [code, message] = FASTIFY_CODES[e.code] ?? (status === 401
      ? ['unauthenticated', 'Authentification requise : connectez-vous.']
      : status === 429 ? ['too_many_requests', 'Trop de requêtes : réessayez dans quelques instants.']
      : ['bad_request', 'La requête est invalide.'])
    return { status, code, message }
  }
  if (PG_INPUT.has(String(e?.code))) return { status: 400, code: 'invalid_value', message: 'Une valeur fournie est invalide.' }
  if (isOutage(err)) return { status: 503, code: 'service_unavailable', message: UNAVAILABLE_MESSAGE }
  return { status: 500, code: 'internal_error', message: 'Une erreur interne est survenue. L’équipe technique a été prévenue.' }
}

export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: 'Cette adresse n’existe pas.' } })
  })

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, code, message, details } = httpError(err)
    if (status === 503) {
      request.log.error({ err }, 'database unavailable')
      reply.header('retry-after', '5')
    } else if (status >= 500) request.log.error({ err }, 'unhandled error')
    return reply.code(status).send({ error: { code, message, ...(details === undefined ? {} : { details }) } })
  })
})
