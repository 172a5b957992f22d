import Type, { type TSchema } from 'typebox'
import { INSEE_PATTERN, MAX_WINDOWS_PER_DAY, TIME_PATTERN, type WeeklyHours } from '@relais/core'

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
}, { $id: 'Error' })

export const Uuid = Type.String({ format: 'uuid' })
export const IdParams = Type.Object({ id: Uuid })

export const ListQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
}

export const Page = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) })

export const errorResponses = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody }

export const Insee = Type.String({ pattern: INSEE_PATTERN, description: 'Code INSEE de la commune' })

// Opening hours (organisations, SLA policy): one shape, objects rather than tuples so that OpenAPI 3.0 states it exactly.
const Time = Type.String({ pattern: TIME_PATTERN, description: 'Heure locale HH:MM (24:00 pour minuit en fin de journée)' })
const Day = Type.Optional(Type.Array(Type.Object({ opens: Time, closes: Time }, { additionalProperties: false }), { maxItems: MAX_WINDOWS_PER_DAY }))
export const OpeningHours = Type.Unsafe<WeeklyHours>(Type.Object(
  { mon: Day, tue: Day, wed: Day, thu: Day, fri: Day, sat: Day, sun: Day },
  { additionalProperties: false, description: 'Plages d’ouverture par jour : { "mon": [{ "opens": "08:30", "closes": "12:00" }, …], … }' },
))
