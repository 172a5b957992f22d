import { conflict, invalidFields, notFound, type DomainError } from '@relais/core'
import type { DirectoryRole } from '@relais/core/directory'

/** Who acts on the directory: the logged-in person and her tenant. */
export interface DirectoryActor { tenantId: string; personId: string; organisationId: string; role: DirectoryRole }

export interface FieldIssue { path: string; message: string }

export function throwIfInvalid(details: (FieldIssue | null | undefined | false | '')[]): void {
  const issues = details.filter((d): d is FieldIssue => !!d)
  if (issues.length) throw invalidFields(issues)
}

/** A name made of spaces only is no name (the schema counts characters, the row stores it trimmed). */
export const blankName = (name: string | undefined) => name !== undefined && !name.trim() && { path: 'name', message: 'Le nom est obligatoire : il ne peut pas être fait que d’espaces.' }

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

/** Runs a write and turns a unique-index violation into the matching conflict (the index is the real guard against races). */
export async function uniquely<T>(write: Promise<T>): Promise<T> {
  try {
    return await write
  } catch (err) {
    const e = err as { code?: string; constraint?: string }
    if (e.code === '23505' && e.constraint && UNIQUE[e.constraint]) throw UNIQUE[e.constraint]()
    throw err
  }
}
