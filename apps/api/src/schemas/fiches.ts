import Type from 'typebox'
import { FICHE_STATUSES, FICHE_TERRITORY_KINDS, MAX_QUERY_LENGTH } from '@relais/core/knowledge'
import { Insee, Uuid } from './common.ts'

// Knowledge-base schemas shared by the JSON routes (validation, OpenAPI) and the pages (the same checks on forms).
const Ref = Type.Object({ id: Type.String(), name: Type.String() })
const ThemeRef = Type.Object({ code: Type.String(), label: Type.String() })
export const FicheStatus = Type.Union(FICHE_STATUSES.map((s) => Type.Literal(s)))

const Territory = Type.Object({
  kind: Type.Union(FICHE_TERRITORY_KINDS.map((s) => Type.Literal(s)), { description: 'departement (tout le département), epci ou commune' }),
  codes: Type.Array(Type.String({ pattern: '^([0-9][0-9AB][0-9]{3}|[0-9]{9})$' }), { maxItems: 1000, description: 'Codes INSEE des communes ou SIREN des EPCI ; vide pour le département' }),
}, { additionalProperties: false })

const fields = {
  title: Type.String({ minLength: 1, maxLength: 200 }),
  body: Type.String({ minLength: 1, maxLength: 50000, description: 'Markdown : le HTML brut est ignoré, les liens ne vont que vers http(s) et mailto' }),
  themeCodes: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { minItems: 1, maxItems: 10 }),
  territory: Territory,
  reviewBy: Type.String({ format: 'date', description: 'Date de relecture (AAAA-MM-JJ), dans 12 mois par défaut' }),
}

export const FicheBody = Type.Object({
  title: fields.title, body: fields.body, themeCodes: fields.themeCodes,
  territory: Type.Optional(fields.territory), reviewBy: Type.Optional(fields.reviewBy),
  organisationId: Type.Optional(Type.String({ format: 'uuid', description: 'Organisme propriétaire (mission TIC seulement) ; le sien par défaut' })),
}, { additionalProperties: false })

export const FichePatchBody = Type.Object({
  title: Type.Optional(fields.title), body: Type.Optional(fields.body), themeCodes: Type.Optional(fields.themeCodes),
  territory: Type.Optional(fields.territory), reviewBy: Type.Optional(fields.reviewBy),
}, { additionalProperties: false, minProperties: 1 })

export const FicheDetail = Type.Object({
  id: Type.String(), status: Type.String(), statusLabel: Type.String(), title: Type.String(), body: Type.String(), bodyHtml: Type.String(),
  themes: Type.Array(ThemeRef), organisation: Ref, territory: Type.Object({ kind: Type.String(), codes: Type.Array(Type.String()) }),
  reviewBy: Type.String(), stale: Type.Boolean(), version: Type.Integer(), publishedAt: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String(), updatedBy: Type.Union([Type.String(), Type.Null()]), canEdit: Type.Boolean(), unpublishedChanges: Type.Boolean(),
  checkWarning: Type.Union([Type.String(), Type.Null()], { description: 'Pour qui la rédige, jusqu’à sa première publication : brouillon tiré d’une réponse, à relire (données personnelles)' }),
})

export const DraftFromAnswerBody = Type.Object({
  answerSeq: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000000, description: 'La réponse à reprendre (numéro d’événement) ; la dernière par défaut' })),
}, { additionalProperties: false })
export const DraftFromAnswer = Type.Object({
  fiche: FicheDetail,
  removed: Type.Integer({ description: 'Mentions du nom, du courriel ou du téléphone de l’usager retirées' }),
  warning: Type.String(),
})

export const FicheListQuery = Type.Object({
  organisationId: Type.Optional(Uuid), themeCode: Type.Optional(Type.String({ maxLength: 50 })), status: Type.Optional(FicheStatus),
  stale: Type.Optional(Type.Boolean()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000, default: 0 })),
})

export const FicheListItem = Type.Object({
  id: Type.String(), title: Type.String(), status: Type.String(), statusLabel: Type.String(), organisation: Ref, themes: Type.Array(ThemeRef),
  reviewBy: Type.String(), stale: Type.Boolean(), version: Type.Integer(), updatedAt: Type.String(),
})

export const SearchQuery = Type.Object({
  q: Type.String({ maxLength: MAX_QUERY_LENGTH, description: 'Les mots de la question, avec ou sans accents' }),
  theme: Type.Optional(Type.String({ maxLength: 50 })),
  organisationId: Type.Optional(Uuid),
  communeInsee: Type.Optional(Insee),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10 })),
})

export const SearchResult = Type.Object({
  items: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), extract: Type.String({ description: 'HTML échappé ; les mots trouvés entre <mark> et </mark>' }), score: Type.Number(), organisation: Ref, stale: Type.Boolean({ description: 'Date de relecture dépassée' }) })),
  corrections: Type.Array(Type.Object({ typed: Type.String(), read: Type.String() })),
})

export const DeflectionBody = Type.Object({ ficheId: Uuid, themeCode: Type.String({ minLength: 1, maxLength: 50 }), communeInsee: Insee }, { additionalProperties: false })
export const Deflection = Type.Object({ id: Type.String(), ficheId: Type.String(), themeCode: Type.String(), communeInsee: Type.String(), at: Type.String() })

export const VersionParams = Type.Object({ id: Uuid, version: Type.Integer({ minimum: 1, maximum: 1000000 }) })
export const VersionList = Type.Object({
  fiche: Type.Object({ id: Type.String(), title: Type.String(), canEdit: Type.Boolean() }),
  versions: Type.Array(Type.Object({ version: Type.Integer(), title: Type.String(), publishedAt: Type.String(), publishedBy: Type.Union([Type.String(), Type.Null()]), themeCodes: Type.Array(Type.String()), territory: Type.Object({ kind: Type.String(), codes: Type.Array(Type.String()) }) })),
})
export const VersionDetail = Type.Object({ ficheId: Type.String(), version: Type.Integer(), title: Type.String(), body: Type.String(), bodyHtml: Type.String(), publishedAt: Type.String(), publishedBy: Type.Union([Type.String(), Type.Null()]) })

export const BundleExportQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('zip')], { default: 'json', description: 'json, ou zip de fichiers Markdown avec en-tête YAML' })),
  organisationId: Type.Optional(Uuid),
})
export const BundleImportQuery = Type.Object({
  organisationId: Type.Optional(Uuid),
  publish: Type.Optional(Type.Boolean({ default: false, description: 'Publier les fiches importées (brouillons sinon)' })),
})
export const BundleImported = Type.Object({ imported: Type.Integer(), published: Type.Integer(), ids: Type.Array(Type.String()) })
