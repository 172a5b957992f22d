/**
 * Pure rules of the knowledge base: Markdown rendered safely, the plain text that search reads, the words of a
 * typed question, highlighted extracts, and which territory a fiche applies to. No I/O.
 */
import MarkdownIt from 'markdown-it'

export const FICHE_STATUSES = ['draft', 'published', 'archived'] as const
export type FicheStatus = (typeof FICHE_STATUSES)[number]
export const FICHE_STATUS_LABELS: Record<FicheStatus, string> = { draft: 'Brouillon', published: 'Publiée', archived: 'Archivée' }
export const FICHE_TERRITORY_KINDS = ['departement', 'epci', 'commune'] as const
export type FicheTerritoryKind = (typeof FICHE_TERRITORY_KINDS)[number]
/** A fiche is reviewed within a year unless its writer says otherwise. */
export const DEFAULT_REVIEW_MONTHS = 12

// Raw HTML is never let through (html: false escapes it); links are kept only towards http(s) and mail.
const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false })
md.disable(['image'])
md.validateLink = (url: string) => /^(https?:\/\/|mailto:)/i.test(url.trim())
const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options))
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('rel', 'noopener noreferrer nofollow')
  return defaultLinkOpen(tokens, idx, options, env, self)
}

// Control characters never belong in a fiche; two of them mark highlights in extracts.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g

/** The fiche's Markdown as HTML safe to insert in a page: no raw HTML, no script, links only http(s) and mailto. */
export function renderMarkdown(source: string): string {
  return md.render(source.replace(CONTROL, ''))
}

/** The words a reader sees, without Markdown's marks: what search indexes and extracts quote. */
export function markdownToText(source: string): string {
  const out: string[] = []
  for (const t of md.parse(source.replace(CONTROL, ''), {})) {
    if (t.type === 'inline') {
      out.push((t.children ?? []).map((c) => (c.type === 'text' || c.type === 'code_inline' ? c.content : c.type === 'softbreak' || c.type === 'hardbreak' ? ' ' : '')).join(''))
    } else if (t.type === 'code_block' || t.type === 'fence') {
      out.push(t.content.trim())
    }
  }
  return out.filter(Boolean).join('\n')
}

/** Lower case without accents or ligatures, as the database's relais_unaccent(lower(…)) gives. */
export function fold(text: string): string {
  return text.toLowerCase().replace(/œ/g, 'oe').replace(/æ/g, 'ae').normalize('NFD').replace(/\p{M}+/gu, '')
}

export const MAX_QUERY_LENGTH = 300
const MAX_TERMS = 12

/** The words of a typed question, folded, each once, in order: only [a-z0-9], so they are safe in a tsquery. */
export function searchTerms(query: string): string[] {
  const words = fold(query.slice(0, MAX_QUERY_LENGTH)).split(/[^a-z0-9]+/).filter((w) => w.length >= 2 && w.length <= 40)
  return [...new Set(words)].slice(0, MAX_TERMS)
}

/** The database wraps each highlighted run between these two characters (never present in a fiche's text). */
export const MARK_START = '\u0002'
export const MARK_STOP = '\u0003'

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c])

/** An extract from the database as HTML: everything escaped, the highlight marks become <mark>, always balanced. */
export function highlightExtract(raw: string): string {
  let open = false
  let out = ''
  for (const part of raw.split(/([\u0002\u0003])/)) {
    if (part === MARK_START) { if (!open) { out += '<mark>'; open = true } } else if (part === MARK_STOP) { if (open) { out += '</mark>'; open = false } } else out += escapeHtml(part.replace(CONTROL, ''))
  }
  return open ? `${out}</mark>` : out
}

/** Where a question comes from: a commune and its EPCI. */
export interface Place { insee: string; epciCode: string | null }

/** Does a fiche for this territory apply to a question from this place? */
export function territoryApplies(kind: FicheTerritoryKind, codes: readonly string[], place: Place): boolean {
  if (kind === 'departement') return true
  if (kind === 'commune') return codes.includes(place.insee)
  return place.epciCode !== null && codes.includes(place.epciCode)
}

/** The review-by date of a new fiche: a year after `now`, as a calendar date (YYYY-MM-DD). */
export function defaultReviewBy(now: Date, months = DEFAULT_REVIEW_MONTHS): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + months, now.getUTCDate()))
  return d.toISOString().slice(0, 10)
}

/** Past its review-by date, a fiche is flagged stale. */
export const isStale = (reviewBy: string, now: Date) => reviewBy < now.toISOString().slice(0, 10)
