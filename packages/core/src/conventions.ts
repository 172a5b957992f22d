/**
 * Issue 13, pure rules of conventions: which kinds of organisation sign one, and the fingerprint of a version's exact
 * text. No I/O.
 */
import { createHash } from 'node:crypto'
import { renderMarkdown } from './knowledge.ts'

export const CONVENTION_KINDS = ['mairie', 'partner', 'msap'] as const
export type ConventionKind = (typeof CONVENTION_KINDS)[number]
export const CONVENTION_KIND_LABELS: Record<ConventionKind, string> = { mairie: 'Mairies', partner: 'Organismes partenaires', msap: 'France services' }

/** The SHA-256 of the exact text (UTF-8 bytes, nothing normalised): what a signature names. */
export const conventionHash = (body: string) => createHash('sha256').update(body, 'utf8').digest('hex')

/** The text as HTML with the knowledge base's rendering (no raw HTML, links only http(s) and mailto). */
export const conventionHtml = (body: string) => renderMarkdown(body)
