import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { Conflict } from '@relais/core'
import { endPermanence, appointmentIcs, cancelAppointment, recordOutcome, rescheduleAppointment, createPermanence, createPlace, getAppointment, importPlaces, listAppointments, listPermanences, listPlaces, referralSlots, updatePlace } from '@relais/referrals'
import { IdParams, errorResponses } from '../schemas/common.ts'
import { Appointment, AppointmentQuery, Permanence, PermanenceBody, PermanenceEnd, PermanenceEnded, PermanenceQuery, CancelBody, OutcomeBody, OutcomeResult, Place, PlaceBody, PlacePatch, PlaceQuery, PlacesImported, RescheduleBody, Slot, SlotQuery, SlotTaken } from '../schemas/appointments.ts'

// Appointments at France services (issue 14): places, permanences, free slots. Booking itself is the referral's
// action POST /referrals/:id/appointment (routes/referrals.ts).
export async function appointmentRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['rendez-vous']
  const security = [{ bearer: [] }]

  app.get('/places', {
    config: { access: 'place.read' },
    schema: { tags, security, summary: 'Les lieux d’accueil (espaces France services, bureaux des partenaires, mairies) ; ceux qui desservent une commune', querystring: PlaceQuery, response: { 200: Type.Object({ items: Type.Array(Place) }), ...errorResponses } },
  }, async (request) => ({ items: await app.tx(request, (trx) => listPlaces(trx, request.principal!, request.query)) }))

  app.post('/places', {
    config: { access: 'place.write' },
    schema: { tags, security, summary: 'Ajouter un lieu d’accueil (mission TIC)', body: PlaceBody, response: { 201: Place, ...errorResponses } },
  }, async (request, reply) => reply.code(201).send(await app.tx(request, (trx) => createPlace(trx, request.principal!, request.body, app.clock()))))

  app.patch('/places/:id', {
    config: { access: 'place.write' },
    schema: { tags, security, summary: 'Modifier un lieu (horaires, fermetures, communes desservies, bureaux)', params: IdParams, body: PlacePatch, response: { 200: Place, ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => updatePlace(trx, request.principal!, request.params.id, request.body, app.clock())))

  await app.register(async (scope) => {
    scope.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 2 * 1024 * 1024 }, (_req, body, done) => done(null, body))
    scope.withTypeProvider<TypeBoxTypeProvider>().post('/places/import', {
      config: { access: 'place.write' },
      schema: { tags, security, summary: 'Importer des lieux (CSV text/csv, séparateur ; : nom;adresse;telephone;communes;bureaux). Tout est vérifié d’abord : une ligne refusée (nom déjà pris, commune inconnue…) et rien n’est importé ; chaque refus dit sa ligne (details[].line), sa colonne et la raison', response: { 200: PlacesImported, ...errorResponses } },
    }, async (request) => app.tx(request, (trx) => importPlaces(trx, request.principal!, typeof request.body === 'string' ? request.body : '', app.clock())))
  })

  app.get('/permanences', {
    config: { access: 'permanence.read' },
    schema: { tags, security, summary: 'Les permanences des organismes dans les lieux d’accueil', querystring: PermanenceQuery, response: { 200: Type.Object({ items: Type.Array(Permanence) }), ...errorResponses } },
  }, async (request) => ({ items: await app.tx(request, (trx) => listPermanences(trx, request.principal!, request.query)) }))

  app.post('/permanences', {
    config: { access: 'permanence.write' },
    schema: { tags, security, summary: 'Déclarer une permanence (jour, horaires, toutes les N semaines, durée d’un créneau, référent facultatif)', body: PermanenceBody, response: { 201: Permanence, ...errorResponses } },
  }, async (request, reply) => reply.code(201).send(await app.tx(request, (trx) => createPermanence(trx, request.principal!, request.body))))

  app.post('/permanences/:id/end', {
    config: { access: 'permanence.write', afterLookup: true },
    schema: { tags, security, summary: 'Arrêter une permanence à une date (son dernier jour) : plus aucun créneau après ; les rendez-vous déjà pris restent', params: IdParams, body: PermanenceEnd, response: { 200: PermanenceEnded, ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => endPermanence(trx, request.principal!, request.params.id, request.body ?? {}, app.clock())))

  app.get('/referrals/:id/slots', {
    config: { access: 'appointment.slots', afterLookup: true },
    schema: { tags, security, summary: 'Les prochains créneaux libres dans les lieux qui desservent la commune de la saisine, les plus proches d’abord', params: IdParams, querystring: SlotQuery, response: { 200: Type.Object({ items: Type.Array(Slot) }), ...errorResponses } },
  }, async (request) => ({ items: await app.tx(request, (trx) => referralSlots(trx, request.principal!, request.params.id, request.query, app.clock())) }))

  app.get('/appointments', {
    config: { access: 'appointment.read' },
    schema: { tags, security, summary: 'Mes rendez-vous (référent), ceux de mon organisme, de ma mairie, ou du réseau (mission TIC), par date', querystring: AppointmentQuery, response: { 200: Type.Object({ items: Type.Array(Appointment) }), ...errorResponses } },
  }, async (request) => ({ items: await app.tx(request, (trx) => listAppointments(trx, request.principal!, request.query, app.clock())) }))

  app.get('/appointments/:id', {
    config: { access: 'appointment.read', afterLookup: true },
    schema: { tags, security, summary: 'Un rendez-vous', params: IdParams, response: { 200: Appointment, ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => getAppointment(trx, request.principal!, request.params.id)))

  app.post('/appointments/:id/reschedule', {
    config: { access: 'appointment.change', afterLookup: true },
    schema: { tags, security, summary: 'Déplacer un rendez-vous (motif obligatoire) : invitation mise à jour (SEQUENCE + 1) au référent, au secrétariat et à l’usager. Pris : 409 avec les prochains créneaux libres', params: IdParams, body: RescheduleBody, response: { 200: Appointment, ...errorResponses, 409: SlotTaken } },
  }, async (request, reply) => {
    try {
      return await app.tx(request, (trx) => rescheduleAppointment(trx, request.principal!, request.params.id, request.body, app.clock()))
    } catch (err) {
      if (err instanceof Conflict && err.code === 'slot_taken') return reply.code(409).send({ error: { code: err.code, message: err.message }, alternatives: (err.details as { alternatives: unknown[] }).alternatives } as never)
      throw err
    }
  })

  app.post('/appointments/:id/cancel', {
    config: { access: 'appointment.change', afterLookup: true },
    schema: { tags, security, summary: 'Annuler un rendez-vous (motif obligatoire) : annulation d’agenda (METHOD:CANCEL) envoyée à tous', params: IdParams, body: CancelBody, response: { 200: Appointment, ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => cancelAppointment(trx, request.principal!, request.params.id, request.body, app.clock())))

  app.post('/appointments/:id/outcome', {
    config: { access: 'appointment.outcome', afterLookup: true },
    schema: { tags, security, summary: 'Indiquer l’issue d’un rendez-vous passé : tenu, usager absent, annulé par l’usager', params: IdParams, body: OutcomeBody, response: { 200: OutcomeResult, ...errorResponses } },
  }, async (request) => app.tx(request, (trx) => recordOutcome(trx, request.principal!, request.params.id, request.body.outcome, app.clock())))

  app.get('/appointments/:id/ics', {
    config: { access: 'appointment.read', afterLookup: true },
    schema: { tags, security, summary: 'Le rendez-vous au format iCalendar (.ics) : REQUEST tant qu’il est prévu, CANCEL une fois annulé', params: IdParams, response: { ...errorResponses } },
  }, async (request, reply) => {
    const ics = await app.tx(request, (trx) => appointmentIcs(trx, request.principal!, request.params.id, app.clock()))
    return reply.header('content-type', 'text/calendar; charset=utf-8').header('content-disposition', `attachment; filename="${ics.filename}"`).send(ics.content as never)
  })
}
