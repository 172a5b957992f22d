import Type from 'typebox'

const Contact = Type.Object({ name: Type.String(), address: Type.Union([Type.String(), Type.Null()]), email: Type.Union([Type.String(), Type.Null()]), phone: Type.Union([Type.String(), Type.Null()]) })

export const TrackingParams = Type.Object({ reference: Type.String({ minLength: 1, maxLength: 40, description: 'Référence de la demande, par exemple 36-2026-000042' }) })
export const TrackingQuery = Type.Object({ code: Type.String({ minLength: 1, maxLength: 40, description: 'Code de suivi imprimé sur l’accusé de réception' }) })

export const Tracking = Type.Object({
  reference: Type.String(),
  status: Type.String(),
  statusLabel: Type.String(),
  /** Nothing personal beyond this. */
  initial: Type.String({ description: 'Initiale du prénom ou du nom de l’usager, rien de plus' }),
  theme: Type.String(),
  organisation: Type.String({ description: 'Organisme qui traite la demande' }),
  expectedAt: Type.Union([Type.String(), Type.Null()], { description: 'Date de réponse attendue, tant que le délai court' }),
  promise: Type.String({ description: 'Le délai dans les mots de l’horloge, par exemple « 3 jours ouvrés »' }),
  steps: Type.Array(Type.Object({ kind: Type.String(), label: Type.String(), at: Type.String() })),
})

export const Notice = Type.Object({
  controller: Type.String(), purpose: Type.String(), legalBasis: Type.String(), recipients: Type.String(), retention: Type.String(), rights: Type.String(), contact: Type.String(), complaint: Type.String(),
})

export const Receipt = Type.Object({
  id: Type.String(), reference: Type.String(), filedAt: Type.String(), dueAt: Type.Union([Type.String(), Type.Null()]), promise: Type.String(), theme: Type.String(),
  byEmail: Type.Boolean(), service: Contact, mairie: Contact,
  trackingCode: Type.String({ description: 'Le nouveau code de suivi : il remplace le précédent' }), notice: Notice,
})

export const PrivacySettings = Type.Object({
  dpoContact: Type.String({ minLength: 1, maxLength: 500, description: 'Coordonnées du délégué à la protection des données' }),
  retentionMonths: Type.Integer({ minimum: 1, maximum: 120, description: 'Mois de conservation des données de l’usager après la clôture' }),
  referentMailContact: Type.Boolean({ description: 'Les courriels aux référents portent les coordonnées de l’usager (sinon son nom seulement)' }),
}, { additionalProperties: false })

export const ForwardBody = Type.Object({
  channel: Type.Optional(Type.Union([Type.Literal('email'), Type.Literal('print')], { description: 'email : par courriel au nom de la mairie (par défaut quand l’usager a donné une adresse) ; print : une lettre à imprimer' })),
}, { additionalProperties: false })

export const ForwardedAnswer = Type.Object({
  channel: Type.Union([Type.Literal('email'), Type.Literal('print')]),
  to: Type.Union([Type.String(), Type.Null()], { description: 'L’adresse de l’usager (courriel), null pour une lettre' }),
  reference: Type.String(), theme: Type.String(), citizenName: Type.String(), mairie: Contact,
  answer: Type.Object({ seq: Type.Integer(), at: Type.String(), body: Type.String(), organisation: Type.String() }),
})

export const AccessEntry = Type.Object({
  at: Type.String(),
  via: Type.Union([Type.Literal('page'), Type.Literal('api'), Type.Literal('print'), Type.Literal('export'), Type.Literal('download')], { description: 'page : la page de la saisine ; api : le détail par l’API ; print : la réponse imprimée ; export : l’export des données de la personne ; download : une pièce jointe téléchargée' }),
  referral: Type.Object({ id: Type.String(), reference: Type.String() }),
  person: Type.Object({ id: Type.String(), name: Type.String(), role: Type.String() }),
  organisation: Type.String(),
})

export const ReferralAccessLog = Type.Object({ referral: Type.Object({ id: Type.String(), reference: Type.String() }), items: Type.Array(AccessEntry) })

export const SubjectQuery = Type.Object({
  email: Type.Optional(Type.String({ minLength: 1, maxLength: 320, description: 'Adresse électronique de la personne (exacte, majuscules ignorées)' })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Nom de la personne : chaque mot doit y figurer (accents et majuscules ignorés)' })),
}, { additionalProperties: false })

const SubjectReferral = Type.Object({
  id: Type.String(), reference: Type.String(), status: Type.String(), filedAt: Type.String(), closedAt: Type.Union([Type.String(), Type.Null()]),
  citizen: Type.Object({ name: Type.String(), email: Type.Union([Type.String(), Type.Null()]), phone: Type.Union([Type.String(), Type.Null()]), preferredChannel: Type.String() }),
  theme: Type.String(), commune: Type.String(), mairie: Type.String(), organisation: Type.String(),
})

export const Subjects = Type.Object({ items: Type.Array(SubjectReferral) })

export const SubjectExport = Type.Object({
  exportedAt: Type.String(), subject: Type.Object({ by: Type.String(), value: Type.String() }),
  controller: Type.String(), purpose: Type.String(), legalBasis: Type.String(), retention: Type.String(),
  referrals: Type.Array(Type.Object({
    ...SubjectReferral.properties,
    question: Type.String(), internalNote: Type.Union([Type.String(), Type.Null()]),
    written: Type.Array(Type.Object({ at: Type.String(), kind: Type.String(), label: Type.String(), organisation: Type.Union([Type.String(), Type.Null()]), text: Type.String() })),
  })),
})

export const SubjectErased = Type.Object({ erased: Type.Array(Type.Object({ id: Type.String(), reference: Type.String() })), erasedEvents: Type.Integer(), erasedAttachments: Type.Integer() })

export const SubjectAccessLog = Type.Object({ referrals: Type.Array(Type.Object({ id: Type.String(), reference: Type.String() })), items: Type.Array(AccessEntry) })
