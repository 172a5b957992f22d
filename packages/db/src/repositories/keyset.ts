import { sql, type Expression, type SqlBool } from 'kysely'

// What the directory's repositories share: keyset paging, text filters, and the one builder of partial updates.

export type Cursor = string[]

/** Keyset condition `(a, b, …) > (x, y, …)`: all sort keys ascending, the last one a unique id. */
export function after(columns: string[], values: Cursor): Expression<SqlBool> {
  return sql<SqlBool>`(${sql.join(columns.map((c) => sql.ref(c)))}) > (${sql.join(values)})`
}

/** Keyset condition `(name, id) > (x, id)` with the name compared in French (fr_icu, the lists' order by name). */
export function frenchAfter(nameColumn: string, values: Cursor): Expression<SqlBool> {
  const idColumn = nameColumn.includes('.') ? `${nameColumn.split('.')[0]}.id` : 'id'
  return sql<SqlBool>`(${sql.ref(nameColumn)} collate fr_icu, ${sql.ref(idColumn)}) > (${values[0]}, ${values[1]}::uuid)`
}

/** A text filter matches anywhere, case-insensitively; LIKE wildcards typed by the user are literal. */
export const containsPattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/**
 * The columns to set for a partial update: each field given (not undefined) goes to its column, through `encode`
 * where the column stores it differently. One builder for every aggregate's update.
 */
export function changes<V extends object>(
  values: V,
  columns: { [K in keyof V]?: string | [column: string, encode: (v: Exclude<V[K], undefined>) => unknown] },
): Record<string, unknown> {
  const set: Record<string, unknown> = {}
  for (const [field, target] of Object.entries(columns) as [keyof V, string | [string, (v: unknown) => unknown]][]) {
    const value = values[field]
    if (value === undefined) continue
    if (typeof target === 'string') set[target] = value
    else set[target[0]] = target[1](value)
  }
  return set
}
