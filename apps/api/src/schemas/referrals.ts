import { BookingBody } from './appointments.ts'
import Type from 'typebox'
import { REFERRAL_STATUSES, type ReferralAction } from '@relais/core'
import { Insee, Uuid } from './common.ts'

// Referral schemas shared by the JSON routes (validation, OpenAPI) and the pages (the same checks on forms).
export const Status = Type.Union(REFERRAL_STATUSES.map((s) => Type.Literal(s)))
const Channel = Type.Union(['email', 'phone', 'post', 'counter'].map((s) => Type.Literal(s)))
const Ref = Type.Object({ id: Type.String(), name: Type.String() })

const AttachmentIds = Type.Optional(Type.Array(Uuid, { maxItems: 10, description: 'Pièces jointes déposées avant (POST /attachments ou /referrals/{id}/attachments), rattachées à cette action' }))

export const FileBody = Type.Object({
  themeCode: Type.String({ minLength: 1, maxLength: 50 }),
  communeInsee: Type.Optional(Insee),
  question: Type.String({ minLength: 1, maxLength: 10000 }),
  citizen: Type.Object({
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    phone: Type.Optional(Type.String({ pattern: '^[0-9 +().-]{6,25}$' })),
    preferredChannel: Channel,
  }, { additionalProperties: false }),
  internalNote: Type.Optional(Type.String({ maxLength: 2000 })),
  attachmentIds: AttachmentIds,
}, { additionalProperties: false })

export const Filed = Type.Object({
  id: Type.String(), reference: Type.String(), status: Type.String(), dueAt: Type.Union([Type.String(), Type.Null()]), assignedOrganisation: Ref,
  trackingCode: Type.String({ description: 'Code de suivi de l’usager, donné une seule fois (seule son empreinte est gardée)' }),
  acknowledgement: Type.Union([Type.Literal('email'), Type.Literal('print')], { description: 'email : l’accusé de réception part par courriel ; print : à imprimer (POST /referrals/{id}/acknowledgement)' }),
})

export const ListItem = Type.Object({
  id: Type.String(), reference: Type.String(), status: Type.String(), filedAt: Type.String(), dueAt: Type.Union([Type.String(), Type.Null()]), overdue: Type.Boolean(),
  theme: Type.Object({ code: Type.String(), label: Type.String() }), commune: Type.Object({ insee: Type.String(), name: Type.String() }),
  holder: Ref, mairie: Ref, citizenName: Type.String(),
})
export const AttachmentRef = Type.Object({
  id: Type.String(), name: Type.String(), type: Type.String({ description: 'Type reconnu au contenu du fichier' }), size: Type.Integer(),
})
const AttachmentListed = Type.Object({
  id: Type.String(), seq: Type.Integer({ description: 'L’événement de la chronologie avec lequel le fichier est venu' }), name: Type.String(), type: Type.String(), typeLabel: Type.String(),
  size: Type.Integer(), sizeText: Type.String(), sha256: Type.String(), addedAt: Type.String(), viaMail: Type.Boolean(), url: Type.String({ description: 'Téléchargement (connexion requise)' }),
})
const Actor = Type.Union([Type.Object({ personId: Type.String(), name: Type.String(), organisation: Type.String() }), Type.Null()])
export const Detail = Type.Object({
  id: Type.String(), reference: Type.String(), status: Type.String(),
  theme: Type.Object({ code: Type.String(), label: Type.String() }), commune: Type.Object({ insee: Type.String(), name: Type.String() }),
  mairie: Ref, holder: Type.Object({ organisation: Ref, person: Type.Union([Ref, Type.Null()]) }),
  question: Type.String(),
  citizen: Type.Object({ name: Type.String(), email: Type.Union([Type.String(), Type.Null()]), phone: Type.Union([Type.String(), Type.Null()]), preferredChannel: Type.String() }),
  internalNote: Type.Union([Type.String(), Type.Null()]),
  filedAt: Type.String(), dueAt: Type.Union([Type.String(), Type.Null()]), slaMetAt: Type.Union([Type.String(), Type.Null()]),
  slaMinutesTaken: Type.Union([Type.Integer(), Type.Null()]), slaMinutesVsTarget: Type.Union([Type.Integer(), Type.Null()]), closedAt: Type.Union([Type.String(), Type.Null()]),
  answers: Type.Array(Type.Object({ at: Type.String(), body: Type.String(), by: Actor, attachments: Type.Array(AttachmentListed) })),
  attachments: Type.Array(AttachmentListed),
  timeline: Type.Array(Type.Object({ seq: Type.Integer(), at: Type.String(), kind: Type.String(), data: Type.Record(Type.String(), Type.Unknown()), hash: Type.String(), actor: Actor, attachments: Type.Array(AttachmentListed) })),
})

const Body = (required: boolean) => Type.Object({ body: required ? Type.String({ minLength: 1, maxLength: 10000 }) : Type.Optional(Type.String({ maxLength: 10000 })) }, { additionalProperties: false })
/** The actions that carry a text also carry files. */
const BodyWithFiles = Type.Object({ body: Type.String({ minLength: 1, maxLength: 10000 }), attachmentIds: AttachmentIds }, { additionalProperties: false })
export const ACTIONS: { path: string; action: ReferralAction; summary: string; body: ReturnType<typeof Type.Object> }[] = [
  { path: 'answer', action: 'answer', summary: 'Répondre par écrit (une réponse envoyée n’est jamais modifiée)', body: BodyWithFiles },
  { path: 'request-info', action: 'request_info', summary: 'Demander un complément (l’horloge s’arrête)', body: BodyWithFiles },
  { path: 'provide-info', action: 'provide_info', summary: 'Apporter un complément (l’horloge repart)', body: BodyWithFiles },
  { path: 'close', action: 'close', summary: 'Clôturer la saisine', body: Body(false) },
  { path: 'close-no-reply', action: 'close_no_reply', summary: 'Clôturer sans suite faute de complément (après le second délai de la politique)', body: Body(false) },
  { path: 'reopen', action: 'reopen', summary: 'Rouvrir dans les 30 jours', body: Body(false) },
  { path: 'cancel', action: 'cancel', summary: 'Annuler la saisine (motif obligatoire ; l’organisme qui la traite est prévenu)', body: Body(true) },
  {
    path: 'transfer', action: 'transfer', summary: 'Transférer (« pas pour nous ») vers un autre organisme, ou le renvoyer au routage',
    body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }), organisationId: Type.Optional(Uuid), personId: Type.Optional(Uuid), toRouting: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
  },
  {
    path: 'reassign', action: 'reassign', summary: 'Réaffecter à une autre personne de l’organisme qui la détient (ses administrateurs, la mission TIC)',
    body: Type.Object({ personId: Uuid, reason: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
  },
  {
    path: 'appointment', action: 'propose_appointment', summary: 'Fixer un rendez-vous : un créneau libre d’une permanence (GET …/slots) ou une heure d’ouverture du lieu, avec sa durée (minutes). Créé : 201 avec la saisine. Pris entre-temps : 409 avec les prochains créneaux libres (alternatives)',
    body: BookingBody,
  },
  {
    path: 'assign', action: 'assign', summary: 'Affecter depuis la file de tri (mission TIC)',
    body: Type.Object({ organisationId: Uuid, personId: Type.Optional(Uuid) }, { additionalProperties: false }),
  },
]
