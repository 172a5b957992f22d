import { badRequest } from '@relais/core'

/** Keyset cursors: an opaque base64url of the last row's sort key, so pages stay stable under inserts. */
export function encodeCursor(values: (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url')
}

export function decodeCursor(cursor: string | undefined, arity: number): (string | number | null)[] | undefined {
  if (cursor === undefined || cursor === '') return undefined
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(values) && values.length === arity && values.every((v) => v === null || ['string', 'number'].includes(typeof v))) return values
  } catch { /* fall through */ }
  throw badRequest('invalid_cursor', 'Le curseur de pagination est invalide : repartez de la première page.', [{ path: 'cursor', message: 'Curseur invalide.' }])
}

/** Fetches limit + 1 rows upstream; this trims them and builds the next cursor. */
export function page<T>(rows: T[], limit: number, key: (row: T) => (string | number | null)[]): { items: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { items: rows, nextCursor: null }
  const items = rows.slice(0, limit)
  return { items, nextCursor: encodeCursor(key(items[items.length - 1])) }
}
