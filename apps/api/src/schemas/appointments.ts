import Type from 'typebox'
import { Insee, OpeningHours, Uuid } from './common.ts'

// Appointments at France services (issue 14).
const DateOnly = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'Date AAAA-MM-JJ' })
const Closure = Type.Object({ from: DateOnly, to: DateOnly, reason: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false })
const HHMM = Type.String({ pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$', description: 'Heure locale HH:MM' })

export const Place = Type.Object({
  id: Uuid, name: Type.String(), address: Type.Union([Type.String(), Type.Null()]), phone: Type.Union([Type.String(), Type.Null()]),
  organisationId: Type.Union([Uuid, Type.Null()]), openingHours: OpeningHours, closures: Type.Array(Closure), communes: Type.Array(Type.String()),
  desks: Type.Integer(), whatToBring: Type.Union([Type.String(), Type.Null()]), active: Type.Boolean(),
})

const placeFields = {
  address: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  phone: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Null()])),
  organisationId: Type.Optional(Type.Union([Uuid, Type.Null()])),
  openingHours: Type.Optional(OpeningHours),
  closures: Type.Optional(Type.Array(Closure, { maxItems: 200 })),
  communes: Type.Optional(Type.Array(Insee, { maxItems: 500 })),
  desks: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  whatToBring: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
}
export const PlaceBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), ...placeFields }, { additionalProperties: false })
export const PlacePatch = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), active: Type.Optional(Type.Boolean()), ...placeFields }, { additionalProperties: false, minProperties: 1 })
export const PlaceQuery = Type.Object({ communeInsee: Type.Optional(Insee) })
export const PlacesImported = Type.Object({ created: Type.Integer() })
export const PermanenceEnd = Type.Object({
  lastDay: Type.Optional(Type.String({ format: 'date', description: 'Dernier jour (date locale) ; par défaut aujourd’hui. Avant son début, la permanence est retirée.' })),
}, { additionalProperties: false })
export const PermanenceEnded = Type.Object({ id: Uuid, placeId: Uuid, lastDay: Type.Union([Type.String(), Type.Null()]), withdrawn: Type.Boolean() })

export const Permanence = Type.Object({
  id: Uuid, organisationId: Uuid, organisationName: Type.String(), placeId: Uuid, placeName: Type.String(),
  /** The referent who holds it, by name for those who may read that person (the directory's rule). */
  personName: Type.Union([Type.String(), Type.Null()]), hasReferent: Type.Boolean(), weekday: Type.Integer(), start: Type.String(), end: Type.String(), everyWeeks: Type.Integer(),
  validFrom: Type.String(), validUntil: Type.Union([Type.String(), Type.Null()]), slotMinutes: Type.Integer(),
})
export const PermanenceBody = Type.Object({
  organisationId: Uuid, placeId: Uuid, personId: Type.Optional(Type.Union([Uuid, Type.Null()])),
  weekday: Type.Integer({ minimum: 1, maximum: 7, description: '1 = lundi … 7 = dimanche' }), start: HHMM, end: HHMM,
  everyWeeks: Type.Optional(Type.Integer({ minimum: 1, maximum: 8 })), validFrom: DateOnly, validUntil: Type.Optional(Type.Union([DateOnly, Type.Null()])),
  slotMinutes: Type.Integer({ minimum: 5, maximum: 240 }),
}, { additionalProperties: false })
export const PermanenceQuery = Type.Object({ placeId: Type.Optional(Uuid), organisationId: Type.Optional(Uuid) })

export const Slot = Type.Object({
  startsAt: Type.String(), endsAt: Type.String(), placeId: Uuid, placeName: Type.String(), personId: Uuid, personName: Type.Union([Type.String(), Type.Null()]), permanenceId: Uuid,
})
export const SlotQuery = Type.Object({ from: Type.Optional(Type.String({ format: 'date-time' })), days: Type.Optional(Type.Integer({ minimum: 1, maximum: 62 })) })

export const BookingBody = Type.Object({
  startsAt: Type.String({ format: 'date-time' }), placeId: Uuid, personId: Type.Optional(Uuid), note: Type.Optional(Type.String({ maxLength: 2000 })),
  minutes: Type.Optional(Type.Integer({ minimum: 10, maximum: 240, description: 'Durée d’un rendez-vous hors permanence (30 par défaut)' })),
}, { additionalProperties: false })

export const SlotTaken = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
  /** The next free slots, when the one asked for was taken (code slot_taken). */
  alternatives: Type.Optional(Type.Array(Slot)),
})

export const Appointment = Type.Object({
  id: Uuid, referralId: Uuid, reference: Type.String(), citizenName: Type.String(), status: Type.String(), sequence: Type.Integer(),
  startsAt: Type.String(), endsAt: Type.String(),
  place: Type.Object({ id: Uuid, name: Type.String(), address: Type.Union([Type.String(), Type.Null()]), phone: Type.Union([Type.String(), Type.Null()]) }),
  person: Type.Object({ name: Type.String() }), organisation: Type.Object({ id: Uuid, name: Type.String() }),
  note: Type.Union([Type.String(), Type.Null()]), cancelReason: Type.Union([Type.String(), Type.Null()]),
})
export const AppointmentQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time' })), days: Type.Optional(Type.Integer({ minimum: 1, maximum: 92 })),
  placeId: Type.Optional(Uuid), personId: Type.Optional(Uuid),
})

export const RescheduleBody = Type.Object({
  startsAt: Type.String({ format: 'date-time' }), placeId: Type.Optional(Uuid), reason: Type.String({ minLength: 1, maxLength: 2000 }),
}, { additionalProperties: false })
export const CancelBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false })
export const OutcomeBody = Type.Object({
  outcome: Type.Union([Type.Literal('held'), Type.Literal('no_show'), Type.Literal('citizen_cancelled')], { description: 'held : tenu ; no_show : usager absent ; citizen_cancelled : annulé par l’usager' }),
}, { additionalProperties: false })
export const OutcomeResult = Type.Object({ ...Appointment.properties, closable: Type.Boolean({ description: 'Tenu : la mairie peut clôturer la saisine.' }) })
