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

// ---------------------------------------------------------------- a fiche drafted from an answer

/** What is known of the citizen of a referral: what must not reach a fiche. */
export interface CitizenDetails { name: string; email?: string | null; phone?: string | null }

export const REDACTED = { name: '[usager]', email: '[courriel de l’usager]', phone: '[téléphone de l’usager]' } as const

// Civilities and particles are not the person: « Mme Louise de Prat » → louise, prat.
const NOT_A_NAME = new Set(['m', 'mr', 'mme', 'mlle', 'monsieur', 'madame', 'mademoiselle', 'de', 'du', 'des', 'la', 'le', 'les', 'et', 'd', 'l', 'epouse', 'ep', 'nee', 'ne', 'veuve', 'vve'])

const nameWords = (name: string) => fold(name).split(/[^a-z]+/).filter((w) => w.length >= 2 && !NOT_A_NAME.has(w))

/** A French phone number as its ten national digits (+33 6… → 06…); null when it is not one. */
function nationalDigits(phone: string): string | null {
  let d = phone.replace(/[^\d+]/g, '')
  if (d.startsWith('+33')) d = `0${d.slice(3)}`
  else if (d.startsWith('0033')) d = `0${d.slice(4)}`
  d = d.replace(/\D/g, '')
  return d.length >= 6 ? d : null
}

/**
 * The text without the citizen's name (each of its words, accents and case ignored), email address and phone number
 * (however it is written: spaces, dots, +33). Other details (an address, a birth date, a file number) cannot be known
 * here: the writer is warned to check. `removed` counts the mentions taken out.
 */
export function redactCitizen(text: string, citizen: CitizenDetails): { text: string; removed: number } {
  let removed = 0
  let out = text
  const email = citizen.email?.trim()
  if (email) {
    out = out.replace(new RegExp(email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), () => { removed++; return REDACTED.email })
  }
  const phone = citizen.phone ? nationalDigits(citizen.phone) : null
  if (phone) {
    out = out.replace(/(?:\+|00)?\d[\d .\-/]{4,}\d/g, (m) => {
      const digits = nationalDigits(m)
      if (digits !== phone) return m
      removed++
      return REDACTED.phone
    })
  }
  const words = new Set(nameWords(citizen.name))
  if (words.size) {
    out = out.replace(/[\p{L}\p{M}]+/gu, (w) => {
      if (!words.has(fold(w))) return w
      removed++
      return REDACTED.name
    })
    // « [usager] [usager] » (first and last name) reads as one person.
    out = out.replace(new RegExp(`${REDACTED.name.replace(/[[\]]/g, '\\$&')}(?:[ \\-]+${REDACTED.name.replace(/[[\]]/g, '\\$&')})+`, 'g'), REDACTED.name)
  }
  return { text: out, removed }
}

export const FROM_ANSWER_WARNING = 'Brouillon tiré d’une réponse : le nom, le courriel et le téléphone de l’usager ont été retirés. Relisez tout le texte avant de publier : d’autres détails personnels (adresse, date de naissance, numéro d’allocataire, situation familiale…) peuvent y être restés.'

/** A fiche's title from a question: the question itself, shortened at a word, without the citizen's details. */
export function titleFromQuestion(question: string): string {
  const flat = question.replace(/\s+/g, ' ').trim()
  if (flat.length <= 150) return flat
  const cut = flat.slice(0, 150)
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), 100)).trim()}…`
}
