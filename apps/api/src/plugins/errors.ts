import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance } from 'fastify'
import { AppError } from '@relais/core'

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

export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: 'Cette adresse n’existe pas.' } })
  })

  app.setErrorHandler((err: FastifyError & { validationContext?: string }, request, reply) => {
    if (err instanceof AppError) {
      return reply.code(err.status).send({ error: { code: err.code, message: err.message, details: err.details } })
    }
    if (err.validation) {
      const details = err.validation.map((v) => ({ path: fieldPath(v as AjvIssue, err.validationContext ?? 'body'), message: frenchMessage(v as AjvIssue) }))
      return reply.code(400).send({ error: { code: 'validation_failed', message: 'Certaines informations sont invalides : corrigez les champs indiqués.', details } })
    }
    const status = err.statusCode ?? 500
    if (status < 500) {
      const known: Record<string, [string, string]> = {
        FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_json', 'Le corps de la requête n’est pas un JSON valide.'],
        FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_json', 'Le corps de la requête est vide.'],
        FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large', 'La requête est trop volumineuse.'],
        FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'Ce type de contenu n’est pas accepté.'],
        FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['invalid_request', 'La longueur annoncée de la requête est fausse.'],
        FST_ERR_CTP_INVALID_TYPE: ['unsupported_media_type', 'Ce type de contenu n’est pas accepté.'],
      }
      const [code, message] = known[err.code] ?? (status === 401
        ? ['unauthenticated', 'Authentification requise : connectez-vous.']
        : status === 429 ? ['too_many_requests', 'Trop de requêtes : réessayez dans quelques instants.']
        : ['bad_request', 'La requête est invalide.'])
      return reply.code(status).send({ error: { code, message } })
    }
    // Postgres refusing bad input that slipped past the schema is still the caller's fault.
    const pgCode = (err as unknown as { code?: string }).code
    if (pgCode === '22P02' || pgCode === '22007' || pgCode === '22008' || pgCode === '22001' || pgCode === '22021') {
      return reply.code(400).send({ error: { code: 'invalid_value', message: 'Une valeur fournie est invalide.' } })
    }
    if (pgCode === '57P01' || pgCode === 'ECONNREFUSED' || pgCode === '57P03' || /Connection terminated|timeout exceeded when trying to connect/.test(err.message)) {
      request.log.error({ err }, 'database unavailable')
      return reply.code(503).header('retry-after', '5').send({ error: { code: 'service_unavailable', message: 'Le service est momentanément indisponible : réessayez dans quelques instants.' } })
    }
    request.log.error({ err }, 'unhandled error')
    return reply.code(500).send({ error: { code: 'internal_error', message: 'Une erreur interne est survenue. L’équipe technique a été prévenue.' } })
  })
})
