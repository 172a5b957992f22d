import Type from 'typebox'
import { STATS_GROUP_BY } from '@relais/core/stats'
import { Insee, Uuid } from './common.ts'

// SLA statistics (issue 17): the query (period, grouping, filters) and the figures.
const LocalDate = Type.String({ format: 'date', description: 'Date locale AAAA-MM-JJ, dans le fuseau du département (incluse)' })

export const StatsQuery = Type.Object({
  from: Type.Optional({ ...LocalDate, description: 'Début de la période (inclus) ; par défaut il y a trois mois' }),
  to: Type.Optional({ ...LocalDate, description: 'Fin de la période (incluse) ; par défaut aujourd’hui' }),
  groupBy: Type.Optional(Type.Union(STATS_GROUP_BY.map((g) => Type.Literal(g)), { description: 'organisation, theme, commune, epci, mairie ou month (par défaut)' })),
  organisationId: Type.Optional({ ...Uuid, description: 'Organisme qui détient les saisines' }),
  theme: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'Code du thème' })),
  commune: Type.Optional(Insee),
  epci: Type.Optional(Type.String({ pattern: '^[0-9]{9}$', description: 'SIREN de l’intercommunalité' })),
  mairieOrganisationId: Type.Optional({ ...Uuid, description: 'Mairie qui a déposé les saisines' }),
}, { additionalProperties: false })

const Share = Type.Union([Type.Number(), Type.Null()])
export const Totals = Type.Object({
  filed: Type.Integer(), answered: Type.Integer(), answeredInWriting: Type.Integer(), answeredByAppointment: Type.Integer(),
  awaitingClosure: Type.Integer(), closed: Type.Integer(), cancelled: Type.Integer(), open: Type.Integer(), inTriage: Type.Integer(),
  answeredOnTime: Type.Integer(), decided: Type.Integer({ description: 'Répondues, et sans réponse dont l’échéance est passée : le dénominateur du taux' }),
  compliance: { ...Share, description: 'Part des saisines répondues dans le délai (0 à 1)' },
  medianMinutes: { ...Share, description: 'Délai de réponse médian en minutes décomptées par l’horloge du délai (jours ouvrés, heures ouvrées ou calendaires), pauses exclues' },
  p90Minutes: { ...Share, description: 'Neuf réponses sur dix arrivent en moins de ces minutes décomptées' },
  transfers: Type.Integer(), transferred: Type.Integer(), transfersPerReferral: Share,
  infoRequests: Type.Integer(), infoRequestsPerReferral: Share,
  escalated: Type.Integer(), escalationLevels: Type.Array(Type.Integer(), { description: 'Saisines par niveau d’escalade le plus haut atteint (indice 0 = niveau 1)' }),
  appointmentOutcomes: Type.Integer({ description: 'Rendez-vous de ces saisines dont l’issue est indiquée (tenus + usager absent + annulés par l’usager)' }),
  appointmentsHeld: Type.Integer(), noShows: Type.Integer(), citizenCancellations: Type.Integer(),
  noShowRate: { ...Share, description: 'Part des rendez-vous à l’issue indiquée où l’usager était absent (0 à 1)' },
  deflections: Type.Integer({ description: 'Questions résolues par une fiche de la base de connaissance, sans saisine, enregistrées dans la période' }),
  deflectionShare: { ...Share, description: 'Questions résolues par une fiche / (ces questions + saisines déposées), 0 à 1' },
})
const Group = Type.Object({ key: Type.String(), label: Type.String(), totals: Totals, belowNetwork: Type.Boolean({ description: 'Taux de respect sous celui du réseau' }) })

export const StatsResult = Type.Object({
  period: Type.Object({ from: Type.String(), to: Type.String(), previousFrom: Type.String(), previousTo: Type.String(), timeZone: Type.String() }),
  clockMode: Type.String(),
  scope: Type.String({ description: 'network (mission TIC), organisation (son organisme) ou mairie (sa mairie)' }),
  filters: Type.Object({
    organisationId: Type.Union([Type.String(), Type.Null()]), theme: Type.Union([Type.String(), Type.Null()]), commune: Type.Union([Type.String(), Type.Null()]),
    epci: Type.Union([Type.String(), Type.Null()]), mairieOrganisationId: Type.Union([Type.String(), Type.Null()]),
  }),
  totals: Totals, previous: Totals, network: Totals, networkPrevious: Totals,
  groupBy: Type.String(), groups: Type.Array(Group), months: Type.Array(Group),
  backlog: Type.Array(Type.Object({ key: Type.String(), label: Type.String(), count: Type.Integer() })),
})
