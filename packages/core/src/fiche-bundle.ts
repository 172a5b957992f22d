/**
 * Fiches as a bundle, to move a knowledge base between networks or keep a copy: JSON, or a zip of Markdown files with
 * YAML front matter (one fiche per file: title, themeCodes, territory, reviewBy above the Markdown body). Pure: bytes in,
 * entries out (with their position and file), and back; the rules of a fiche are the use case's.
 */
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate'
import YAML from 'yaml'
import { fold } from './knowledge.ts'

export const BUNDLE_FORMAT = 'relais-fiches'
export const BUNDLE_VERSION = 1
/** At most this many fiches per import, this many bytes per file once unzipped, and in all. */
export const BUNDLE_LIMITS = { entries: 2000, fileBytes: 256 * 1024, totalBytes: 20 * 1024 * 1024 } as const

/** One fiche of a bundle. status and organisation are written on export for the reader, ignored on import. */
export interface BundleFiche {
  title: string
  body: string
  themeCodes: string[]
  territory?: { kind: string; codes: string[] }
  reviewBy?: string
  status?: string
  organisation?: string
}

/** An entry read from a bundle: its place (1-based), the file it came from in a zip, and what it holds (unchecked). */
export interface BundleEntry { position: number; file?: string; data: unknown }
export interface BundleProblem { position: number | null; file?: string; message: string }
export interface ReadBundle { format: 'json' | 'zip' | 'markdown'; entries: BundleEntry[]; problems: BundleProblem[] }

// ---------------------------------------------------------------- writing

export function bundleJson(fiches: BundleFiche[], exportedAt: Date): string {
  return `${JSON.stringify({ format: BUNDLE_FORMAT, version: BUNDLE_VERSION, exportedAt: exportedAt.toISOString(), fiches }, null, 2)}\n`
}

/** A fiche as a Markdown file: YAML front matter, then the body as written. */
export function ficheMarkdown(f: BundleFiche): string {
  const front: Record<string, unknown> = { title: f.title, themeCodes: f.themeCodes }
  if (f.territory && f.territory.kind !== 'departement') front.territory = f.territory
  if (f.reviewBy) front.reviewBy = f.reviewBy
  if (f.status) front.status = f.status
  if (f.organisation) front.organisation = f.organisation
  return `---\n${YAML.stringify(front, { lineWidth: 0 })}---\n\n${f.body.replace(/\r\n?/g, '\n').replace(/\n*$/, '\n')}`
}

const slug = (title: string) => fold(title).replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'fiche'

/** A zip of Markdown files, numbered in order (001-titre.md…), so the import reads them back in the same order. */
export function bundleZip(fiches: BundleFiche[]): Uint8Array {
  const files: Record<string, Uint8Array> = {}
  const width = Math.max(3, String(fiches.length).length)
  fiches.forEach((f, i) => { files[`fiches/${String(i + 1).padStart(width, '0')}-${slug(f.title)}.md`] = strToU8(ficheMarkdown(f)) })
  return zipSync(files, { level: 6, mtime: new Date('2020-01-01T00:00:00Z') })
}

// ---------------------------------------------------------------- reading

/** A Markdown file's front matter and body; a French reason when it has none or it is not YAML. */
export function parseFicheMarkdown(text: string): { data: Record<string, unknown> } | { error: string } {
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
  const m = /^---\n([^]*?)\n---[ \t]*(?:\n|$)/.exec(src)
  if (!m) return { error: 'le fichier ne commence pas par un en-tête YAML entre deux lignes « --- ».' }
  let front: unknown
  try {
    front = YAML.parse(m[1], { schema: 'core', maxAliasCount: 10 })
  } catch (err) {
    return { error: `en-tête YAML illisible (${(err as Error).message.split('\n')[0]}).` }
  }
  if (!front || typeof front !== 'object' || Array.isArray(front)) return { error: 'l’en-tête YAML doit être une liste de champs (title, themeCodes…).' }
  const body = src.slice(m[0].length).replace(/^\n+/, '').replace(/\n+$/, '')
  return { data: { ...(front as Record<string, unknown>), body } }
}

const PK = [0x50, 0x4b, 0x03, 0x04]

/** Reads a bundle in any of the three forms; problems of the whole file (unreadable) come with position null. */
export function readBundle(bytes: Uint8Array): ReadBundle {
  if (PK.every((b, i) => bytes[i] === b)) return readZip(bytes)
  const text = strFromU8(bytes).replace(/^\uFEFF/, '')
  const start = text.trimStart()[0]
  if (start === '{' || start === '[') return readJson(text)
  if (text.startsWith('---')) {
    const one = parseFicheMarkdown(text)
    return 'error' in one
      ? { format: 'markdown', entries: [], problems: [{ position: 1, message: `Fiche 1 : ${one.error}` }] }
      : { format: 'markdown', entries: [{ position: 1, data: one.data }], problems: [] }
  }
  return { format: 'json', entries: [], problems: [{ position: null, message: 'Fichier non reconnu : attendu un export JSON de Relais, un zip de fichiers Markdown, ou un fichier Markdown avec en-tête YAML.' }] }
}

function readJson(text: string): ReadBundle {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    return { format: 'json', entries: [], problems: [{ position: null, message: `JSON illisible : ${(err as Error).message}.` }] }
  }
  const list = Array.isArray(doc) ? doc : (doc as { fiches?: unknown })?.fiches
  if (!Array.isArray(list)) return { format: 'json', entries: [], problems: [{ position: null, message: 'Le JSON doit être une liste de fiches, ou un objet avec une liste « fiches ».' }] }
  if (!Array.isArray(doc) && (doc as { format?: unknown }).format !== undefined && (doc as { format?: unknown }).format !== BUNDLE_FORMAT) {
    return { format: 'json', entries: [], problems: [{ position: null, message: `Format « ${String((doc as { format?: unknown }).format)} » inconnu : attendu « ${BUNDLE_FORMAT} ».` }] }
  }
  if (list.length > BUNDLE_LIMITS.entries) return { format: 'json', entries: [], problems: [{ position: null, message: `Au plus ${BUNDLE_LIMITS.entries} fiches par import (${list.length} reçues).` }] }
  return { format: 'json', entries: list.map((data, i) => ({ position: i + 1, data })), problems: [] }
}

function readZip(bytes: Uint8Array): ReadBundle {
  const problems: BundleProblem[] = []
  let total = 0
  let files: Record<string, Uint8Array>
  try {
    // Sizes are checked from the directory before anything is inflated (a zip bomb is refused unopened).
    files = unzipSync(bytes, {
      filter: (f) => {
        if (f.name.endsWith('/') || !/\.(md|markdown)$/i.test(f.name) || /(^|\/)(__MACOSX|\.)/.test(f.name)) return false
        total += f.originalSize
        if (f.originalSize > BUNDLE_LIMITS.fileBytes) { problems.push({ position: null, file: f.name, message: `${f.name} : fichier trop grand (au plus ${BUNDLE_LIMITS.fileBytes / 1024} Kio).` }); return false }
        return total <= BUNDLE_LIMITS.totalBytes
      },
    })
  } catch (err) {
    return { format: 'zip', entries: [], problems: [{ position: null, message: `Zip illisible : ${(err as Error).message}.` }] }
  }
  if (total > BUNDLE_LIMITS.totalBytes) return { format: 'zip', entries: [], problems: [{ position: null, message: `Zip trop grand une fois décompressé (au plus ${BUNDLE_LIMITS.totalBytes / 1024 / 1024} Mio).` }] }
  const names = Object.keys(files).sort((a, b) => a.localeCompare(b, 'fr', { numeric: true }))
  if (!names.length && !problems.length) problems.push({ position: null, message: 'Le zip ne contient aucun fichier Markdown (.md).' })
  if (names.length > BUNDLE_LIMITS.entries) return { format: 'zip', entries: [], problems: [{ position: null, message: `Au plus ${BUNDLE_LIMITS.entries} fiches par import (${names.length} reçues).` }] }
  const entries: BundleEntry[] = []
  names.forEach((name, i) => {
    const parsed = parseFicheMarkdown(strFromU8(files[name]))
    if ('error' in parsed) problems.push({ position: i + 1, file: name, message: `Fiche ${i + 1} (${name}) : ${parsed.error}` })
    else entries.push({ position: i + 1, file: name, data: parsed.data })
  })
  return { format: 'zip', entries, problems }
}
