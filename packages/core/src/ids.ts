/**
 * The identifier formats checked before a value reaches SQL or a schema: one definition each.
 * The patterns are strings too, for JSON schemas (OpenAPI `pattern`).
 */

/** A uuid as Postgres prints it (any version); upper case is accepted, as Postgres does. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
export const UUID = new RegExp(UUID_PATTERN)
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value)

/** The INSEE code of a commune: département (2 digits, or 2A/2B in Corsica) then 3 digits. */
export const INSEE_PATTERN = '^[0-9][0-9AB][0-9]{3}$'
export const INSEE = new RegExp(INSEE_PATTERN)
export const isInsee = (value: unknown): value is string => typeof value === 'string' && INSEE.test(value)
