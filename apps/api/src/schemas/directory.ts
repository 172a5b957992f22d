import Type, { type TSchema } from 'typebox'
import { ORGANISATION_KINDS, ORGANISATION_STATUSES, ROLES, TERRITORY_KINDS } from '@relais/core/directory'
import type { WeeklyHours } from '@relais/core'
import { Insee, ListQuery, OpeningHours, Uuid } from './common.ts'

// Nullable inputs use OpenAPI's `nullable` (understood by ajv, fast-json-stringify and Swagger) rather than
// anyOf with null, so that a bad value yields one error on its field instead of three.
const nullable = <T extends TSchema, V>(schema: T) => Type.Unsafe<V | null>({ ...schema, nullable: true })
const NullableString = (opts: { minLength?: number; maxLength?: number; format?: string; pattern?: string } = {}) => nullable<TSchema, string>(Type.String(opts))
const NullableDateTime = nullable<TSchema, string>(Type.String({ format: 'date-time' }))
const NullableUuid = nullable<TSchema, string>(Uuid)
// Rows carry Dates; the serializer writes them as ISO 8601.
const DateTime = Type.Unsafe<Date | string>(Type.String({ format: 'date-time' }))

export const Role = Type.Enum([...ROLES])
export const OrganisationKind = Type.Enum([...ORGANISATION_KINDS])
export const OrganisationStatus = Type.Enum([...ORGANISATION_STATUSES])
export const TerritoryKind = Type.Enum([...TERRITORY_KINDS])
const Email = Type.String({ format: 'email', maxLength: 254 })
const Name = Type.String({ minLength: 1, maxLength: 200 })
const Q = Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Texte contenu dans le nom (sans distinction de casse)' }))
const Active = Type.Optional(Type.Boolean())

// ---------------------------------------------------------------- organisations

export const Organisation = Type.Object({
  id: Type.String(), kind: OrganisationKind, name: Type.String(), shortName: Type.Union([Type.String(), Type.Null()]),
  communeInsee: Type.Union([Type.String(), Type.Null()]), email: Type.Union([Type.String(), Type.Null()]),
  address: Type.Union([Type.String(), Type.Null()]), openingHours: Type.Union([OpeningHours, Type.Null()]),
  status: OrganisationStatus, createdAt: DateTime, updatedAt: DateTime,
})

export const OrganisationQuery = Type.Object({ ...ListQuery, kind: Type.Optional(OrganisationKind), status: Type.Optional(OrganisationStatus), communeInsee: Type.Optional(Insee), q: Q })

export const OrganisationCreate = Type.Object({
  kind: OrganisationKind, name: Name, shortName: Type.Optional(NullableString({ minLength: 1, maxLength: 50 })),
  communeInsee: Type.Optional(nullable<TSchema, string>(Insee)), email: Type.Optional(nullable<TSchema, string>(Email)),
  address: Type.Optional(NullableString({ minLength: 1, maxLength: 500 })), openingHours: Type.Optional(nullable<TSchema, WeeklyHours>(OpeningHours)),
  status: Type.Optional(OrganisationStatus),
}, { additionalProperties: false })

export const OrganisationPatch = Type.Object({
  name: Type.Optional(Name), shortName: Type.Optional(NullableString({ minLength: 1, maxLength: 50 })),
  communeInsee: Type.Optional(nullable<TSchema, string>(Insee)), email: Type.Optional(nullable<TSchema, string>(Email)),
  address: Type.Optional(NullableString({ minLength: 1, maxLength: 500 })), openingHours: Type.Optional(nullable<TSchema, WeeklyHours>(OpeningHours)),
  status: Type.Optional(OrganisationStatus),
}, { additionalProperties: false, minProperties: 1 })

// ---------------------------------------------------------------- people

export const Person = Type.Object({
  id: Type.String(), organisationId: Type.String(), organisationName: Type.String(), email: Type.String(), name: Type.String(), role: Role,
  active: Type.Boolean(), absentFrom: Type.Union([DateTime, Type.Null()]), absentUntil: Type.Union([DateTime, Type.Null()]),
  backupPersonId: Type.Union([Type.String(), Type.Null()]), hasPassword: Type.Boolean(), emailBouncedAt: Type.Union([DateTime, Type.Null()]),
  createdAt: DateTime, updatedAt: DateTime,
})

export const PersonQuery = Type.Object({ ...ListQuery, organisationId: Type.Optional(Uuid), role: Type.Optional(Role), active: Active, q: Q })

const Password = Type.String({ minLength: 1, maxLength: 256, description: 'Hors production seulement (démonstration, tests) : les personnes choisissent leur mot de passe par invitation' })
export const PersonCreate = Type.Object({
  organisationId: Uuid, email: Email, name: Name, role: Role, password: Type.Optional(Password),
  absentFrom: Type.Optional(NullableDateTime), absentUntil: Type.Optional(NullableDateTime), backupPersonId: Type.Optional(NullableUuid),
}, { additionalProperties: false })

export const PersonPatch = Type.Object({
  organisationId: Type.Optional(Uuid), email: Type.Optional(Email), name: Type.Optional(Name), role: Type.Optional(Role),
  password: Type.Optional(Password), active: Type.Optional(Type.Boolean({ description: 'true réactive la personne ; pour désactiver, utilisez /deactivate' })),
  absentFrom: Type.Optional(NullableDateTime), absentUntil: Type.Optional(NullableDateTime), backupPersonId: Type.Optional(NullableUuid),
}, { additionalProperties: false, minProperties: 1 })

// ---------------------------------------------------------------- themes

const ThemeCode = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,49}$', description: 'Code en minuscules, chiffres, - ou _' })
const SlaMinutes = Type.Integer({ minimum: 1, maximum: 60 * 24 * 365, description: 'Délai de réponse propre au thème, en minutes' })
export const Theme = Type.Object({ id: Type.String(), code: Type.String(), label: Type.String(), slaResponseMinutes: Type.Union([Type.Integer(), Type.Null()]), active: Type.Boolean() })
export const ThemeQuery = Type.Object({ ...ListQuery, active: Type.Optional(Type.Boolean({ description: 'Réservé à la mission TIC ; les autres ne voient que les thèmes actifs' })), q: Q })
export const ThemeCreate = Type.Object({ code: ThemeCode, label: Name, slaResponseMinutes: Type.Optional(nullable<TSchema, number>(SlaMinutes)) }, { additionalProperties: false })
export const ThemePatch = Type.Object({
  code: Type.Optional(ThemeCode), label: Type.Optional(Name), slaResponseMinutes: Type.Optional(nullable<TSchema, number>(SlaMinutes)), active: Type.Optional(Type.Boolean()),
}, { additionalProperties: false, minProperties: 1 })

// ---------------------------------------------------------------- routing rules and coverage

const TerritoryCode = Type.String({ minLength: 1, maxLength: 20, pattern: '^[0-9A-Za-z]+$', description: 'Code INSEE (commune), SIREN (EPCI) ou code du département' })
export const Assignment = Type.Object({
  id: Type.String(), themeId: Type.String(), themeCode: Type.String(), territoryKind: TerritoryKind, territoryCode: Type.String(),
  organisationId: Type.String(), organisationName: Type.String(), personId: Type.Union([Type.String(), Type.Null()]),
  personEmail: Type.Union([Type.String(), Type.Null()]), active: Type.Boolean(), createdAt: DateTime,
})
export const AssignmentQuery = Type.Object({
  ...ListQuery, themeCode: Type.Optional(ThemeCode), territoryKind: Type.Optional(TerritoryKind), territoryCode: Type.Optional(TerritoryCode),
  organisationId: Type.Optional(Uuid), personId: Type.Optional(Uuid),
  active: Type.Optional(Type.Boolean({ default: true, description: 'Par défaut les entrées en vigueur ; false pour l’historique' })),
})
export const AssignmentCreate = Type.Object({
  themeCode: ThemeCode, territoryKind: TerritoryKind, territoryCode: TerritoryCode, organisationId: Uuid, personId: Type.Optional(NullableUuid),
}, { additionalProperties: false })
export const AssignmentPatch = Type.Object({
  themeCode: Type.Optional(ThemeCode), territoryKind: Type.Optional(TerritoryKind), territoryCode: Type.Optional(TerritoryCode),
  organisationId: Type.Optional(Uuid), personId: Type.Optional(NullableUuid),
}, { additionalProperties: false, minProperties: 1 })

export const ImportResult = Type.Object({
  created: Type.Integer({ description: 'Lignes nouvelles ou modifiées' }),
  unchanged: Type.Integer({ description: 'Lignes identiques à l’existant, conservées' }),
  deactivated: Type.Integer({ description: 'Entrées en vigueur absentes du fichier ou remplacées' }),
})
