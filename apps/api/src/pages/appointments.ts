// Appointments at France services (issue 14), the pages: the agenda (a referent's, an organisation's, a mairie's,
// a place's week; printable), the pending outcomes, the convocation to print for the citizen, the .ics, and the
// forms that move, cancel or record the outcome of an appointment from the referral page.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { DomainError, NotFound, badRequest, isUuid, mayAttempt, describeOpeningHours, WEEKDAY_LABELS, WEEKDAYS } from '@relais/core'
import { appointmentIcs, cancelAppointment, createPermanence, createPlace, getAppointment, listAppointments, listPermanences, listPlaces, pendingOutcomes, recordOutcome, rescheduleAppointment, OUTCOMES, type AppointmentView, type Outcome, type Principal } from '@relais/referrals'
import { httpError } from '../plugins/errors.ts'
import { APPOINTMENT_STATUS_LABELS, longDate } from './format.ts'
import { localInstant } from './referrals.ts'

const DAY = 86_400_000

/** The messages a failed appointment form comes back with (by code: nothing typed travels in the address). */
export const APPOINTMENT_ERRORS: Record<string, string> = {
  slot_taken: 'Ce créneau est déjà pris (par le référent ou au guichet du lieu) : choisissez un autre horaire.',
  validation_failed: 'Le rendez-vous n’a pas été modifié : indiquez une date et une heure d’ouverture du lieu, dans l’année qui vient, et un motif.',
  appointment_not_booked: 'Ce rendez-vous n’est plus prévu.',
  appointment_not_yet: 'L’issue d’un rendez-vous s’indique après l’heure prévue.',
  outcome_recorded: 'L’issue de ce rendez-vous est déjà indiquée.',
  forbidden: 'Vous ne pouvez pas modifier ce rendez-vous.',
}
export const APPOINTMENT_DONE: Record<string, string> = {
  rdv_deplace: 'Le rendez-vous a été déplacé : l’invitation mise à jour est envoyée au référent, au secrétariat et à l’usager.',
  rdv_annule: 'Le rendez-vous a été annulé : chacun en est prévenu, avec l’annulation pour son agenda.',
  rdv_tenu: 'Rendez-vous tenu : la mairie peut désormais clôturer la saisine.',
  rdv_issue: 'L’issue du rendez-vous est enregistrée.',
}

/** An appointment as the pages show it. */
export function appointmentItem(a: AppointmentView, p: Principal, timeZone: string, now: Date) {
  const booked = a.status === 'booked'
  return {
    ...a, when: longDate(a.startsAt, timeZone), until: longDate(a.endsAt, timeZone).replace(/^.* à /, ''), statusLabel: APPOINTMENT_STATUS_LABELS[a.status] ?? a.status,
    booked, canChange: booked && mayAttempt(p.role, 'appointment.change'), canOutcome: booked && mayAttempt(p.role, 'appointment.outcome') && new Date(a.startsAt) <= now,
    localStart: localInput(a.startsAt, timeZone),
  }
}

/** 'YYYY-MM-DDTHH:MM' of an instant in the zone, for a datetime-local field. */
function localInput(iso: string, timeZone: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(iso)).map((x) => [x.type, x.value]))
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`
}

export async function appointmentPages(app: FastifyInstance) {
  const kit = app.pages

  // The agenda: a week from Monday; ?semaine=YYYY-MM-DD, ?lieu=<place>.
  app.get<{ Querystring: { semaine?: string; lieu?: string; fait?: string } }>('/rendez-vous', { config: { access: 'appointment.read' } }, async (request, reply) => {
    const p = request.principal! as Principal
    const now = app.clock()
    const q = request.query
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      const tz = me.timeZone
      const given = q.semaine && /^\d{4}-\d{2}-\d{2}$/.test(q.semaine) ? localInstant(`${q.semaine}T00:00`, tz) : null
      const base = given ?? localInstant(`${localInput(now.toISOString(), tz).slice(0, 10)}T00:00`, tz)!
      const wd = (new Date(base.getTime() + 12 * 3600_000).getUTCDay() + 6) % 7
      const monday = localInstant(`${localInput(new Date(base.getTime() - wd * DAY + 12 * 3600_000).toISOString(), tz).slice(0, 10)}T00:00`, tz)!
      const placeId = q.lieu && isUuid(q.lieu) ? q.lieu : undefined
      const items = await listAppointments(trx, p, { from: monday.toISOString(), days: 7, placeId }, now)
      const pending = mayAttempt(p.role, 'appointment.outcome') ? await pendingOutcomes(trx, p, now) : []
      const places = await listPlaces(trx, p)
      return { me, tz, monday, items, pending, places, placeId }
    })
    const tz = data.tz
    const day = (d: Date) => localInput(d.toISOString(), tz).slice(0, 10)
    const days = new Map<string, ReturnType<typeof appointmentItem>[]>()
    for (const a of data.items) {
      const key = day(new Date(a.startsAt))
      days.set(key, [...(days.get(key) ?? []), appointmentItem(a, p, tz, now)])
    }
    const place = data.places.find((x) => x.id === data.placeId)
    return kit.render(reply, 'appointments.hbs', {
      title: place ? `Agenda — ${place.name}` : 'Rendez-vous', me: data.me, place,
      weekLabel: `Semaine du ${longDate(data.monday, tz).replace(/ à .*$/, '')}`,
      previous: day(new Date(data.monday.getTime() - 7 * DAY + 12 * 3600_000)), next: day(new Date(data.monday.getTime() + 7 * DAY + 12 * 3600_000)),
      days: [...days].map(([date, list]) => ({ date, label: longDate(list[0].startsAt, tz).replace(/ à .*$/, ''), list })),
      pending: data.pending.map((a) => appointmentItem(a, p, tz, now)),
      places: data.places.map((x) => ({ ...x, selected: x.id === data.placeId })),
      done: q.fait ? APPOINTMENT_DONE[q.fait] : undefined,
    })
  })

  // The convocation for the citizen: printed by the mairie (or the partner) and handed or posted to her.
  app.get<{ Params: { id: string } }>('/rendez-vous/:id/convocation', { config: { access: 'appointment.read' } }, async (request, reply) => {
    const p = request.principal! as Principal
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      if (!isUuid(request.params.id)) return { me, a: null }
      try {
        const a = await getAppointment(trx, p, request.params.id)
        const place = (await listPlaces(trx, p)).find((x) => x.id === a.place.id)
        return { me, a, place }
      } catch (err) { if (err instanceof NotFound) return { me, a: null }; throw err }
    })
    if (!data.a) return kit.notFound(request, reply, data.me)
    const tz = data.me.timeZone
    return kit.render(reply, 'convocation.hbs', {
      title: `Convocation — ${data.a.reference}`, me: data.me, a: data.a, when: longDate(data.a.startsAt, tz), until: longDate(data.a.endsAt, tz).replace(/^.* à /, ''),
      whatToBring: data.place?.whatToBring, cancelled: data.a.status !== 'booked' && data.a.status !== 'held',
    })
  })

  app.get<{ Params: { id: string } }>('/rendez-vous/:id/ics', { config: { access: 'appointment.read' } }, async (request, reply) => {
    if (!isUuid(request.params.id)) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
    try {
      const ics = await app.tx(request, (trx) => appointmentIcs(trx, request.principal! as Principal, request.params.id, app.clock()))
      return reply.header('content-type', 'text/calendar; charset=utf-8').header('content-disposition', `attachment; filename="${ics.filename}"`).send(ics.content)
    } catch (err) {
      if (err instanceof NotFound) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
      throw err
    }
  })

  /** Runs a change and goes back to the referral (or the agenda), with what happened or why it did not. */
  async function change(request: FastifyRequest<{ Params: { id: string }; Body: Record<string, string> }>, reply: Parameters<typeof kit.render>[0], run: (p: Principal, now: Date, timeZone: string) => Promise<{ referralId: string; done: string }>) {
    const p = request.principal! as Principal
    if (!isUuid(request.params.id)) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
    const back = request.body?.retour === 'agenda' ? '/rendez-vous' : null
    const { timeZone, referralId } = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      try { return { timeZone: me.timeZone, referralId: (await getAppointment(trx, p, request.params.id)).referralId } } catch (err) { if (err instanceof NotFound) return { timeZone: me.timeZone, referralId: null }; throw err }
    })
    if (!referralId) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
    try {
      const r = await run(p, app.clock(), timeZone)
      return reply.redirect(back ? `${back}?fait=${r.done}` : `/saisines/${r.referralId}?rdv=${r.done}#rendez-vous`, 303)
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status < 500 && !(err instanceof NotFound)) {
        const code = APPOINTMENT_ERRORS[err.code] ? err.code : 'validation_failed'
        return reply.redirect(back ? `${back}?erreur=${code}` : `/saisines/${referralId}?rdv_erreur=${code}#rendez-vous`, 303)
      }
      throw err
    }
  }

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/rendez-vous/:id/deplacer', { config: { access: 'appointment.change', afterLookup: true }, preHandler: app.csrfProtection }, async (request, reply) =>
    change(request, reply, async (p, now, tz) => {
      const at = typeof request.body?.at === 'string' ? localInstant(request.body.at, tz) : null
      const a = await app.tx(request, (trx) => rescheduleAppointment(trx, p, request.params.id, { startsAt: at?.toISOString(), reason: request.body?.reason, placeId: isUuid(request.body?.placeId ?? '') ? request.body.placeId : undefined }, now))
      return { referralId: a.referralId, done: 'rdv_deplace' }
    }))

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/rendez-vous/:id/annuler', { config: { access: 'appointment.change', afterLookup: true }, preHandler: app.csrfProtection }, async (request, reply) =>
    change(request, reply, async (p, now) => {
      const a = await app.tx(request, (trx) => cancelAppointment(trx, p, request.params.id, { reason: request.body?.reason }, now))
      return { referralId: a.referralId, done: 'rdv_annule' }
    }))

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/rendez-vous/:id/issue', { config: { access: 'appointment.outcome', afterLookup: true }, preHandler: app.csrfProtection }, async (request, reply) =>
    change(request, reply, async (p, now) => {
      const outcome = (OUTCOMES as readonly string[]).includes(request.body?.outcome ?? '') ? request.body.outcome as Outcome : null
      if (!outcome) throw badRequest('validation_failed', 'Choisissez l’issue du rendez-vous.')
      const a = await app.tx(request, (trx) => recordOutcome(trx, p, request.params.id, outcome, now))
      return { referralId: a.referralId, done: outcome === 'held' ? 'rdv_tenu' : 'rdv_issue' }
    }))

  // Places and permanences: the list for everyone, the forms for the mission TIC (places) and admins (permanences).
  app.get<{ Querystring: { fait?: string; erreur?: string } }>('/lieux', { config: { access: 'place.read' } }, async (request, reply) => {
    const p = request.principal! as Principal
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), places: await listPlaces(trx, p), permanences: await listPermanences(trx, p) }))
    return kit.render(reply, 'places.hbs', {
      title: 'Lieux d’accueil et permanences', me: data.me,
      places: data.places.map((x) => ({ ...x, hours: describeOpeningHours(x.openingHours), permanences: data.permanences.filter((m) => m.placeId === x.id).map((m) => ({ ...m, day: WEEKDAY_LABELS[WEEKDAYS[m.weekday - 1]], rhythm: m.everyWeeks === 1 ? 'chaque semaine' : `toutes les ${m.everyWeeks} semaines` })) })),
      canWritePlaces: mayAttempt(p.role, 'place.write'), canWritePermanences: mayAttempt(p.role, 'permanence.write'),
      weekdays: WEEKDAYS.map((d, i) => ({ value: i + 1, label: WEEKDAY_LABELS[d] })), ownOrganisationId: p.organisationId,
      done: request.query.fait === 'lieu' ? 'Le lieu a été ajouté.' : request.query.fait === 'permanence' ? 'La permanence a été ajoutée.' : undefined,
      error: request.query.erreur === '1' ? 'Rien n’a été enregistré : vérifiez les champs (nom, horaires HH:MM, dates AAAA-MM-JJ, codes INSEE).' : undefined,
    })
  })

  app.post<{ Body: Record<string, string> }>('/lieux', { config: { access: 'place.write' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const b = request.body ?? {}
    try {
      await app.tx(request, (trx) => createPlace(trx, request.principal! as Principal, {
        name: b.name, address: b.address || null, phone: b.phone || null, communes: (b.communes ?? '').split(/[\s,;]+/).filter(Boolean), desks: b.desks ? Number(b.desks) : 1, whatToBring: b.whatToBring || null,
        openingHours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ opens: b.opens || '09:00', closes: b.closes || '17:00' }]])),
      }, app.clock()))
    } catch (err) { if (err instanceof DomainError && httpError(err).status < 500) return reply.redirect('/lieux?erreur=1', 303); throw err }
    return reply.redirect('/lieux?fait=lieu', 303)
  })

  app.post<{ Body: Record<string, string> }>('/permanences', { config: { access: 'permanence.write' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const b = request.body ?? {}
    const p = request.principal! as Principal
    try {
      await app.tx(request, (trx) => createPermanence(trx, p, {
        organisationId: isUuid(b.organisationId ?? '') ? b.organisationId : p.organisationId, placeId: b.placeId, weekday: Number(b.weekday), start: b.start, end: b.end,
        everyWeeks: b.everyWeeks ? Number(b.everyWeeks) : 1, validFrom: b.validFrom, validUntil: b.validUntil || null, slotMinutes: Number(b.slotMinutes),
      }))
    } catch (err) { if (err instanceof DomainError && httpError(err).status < 500) return reply.redirect('/lieux?erreur=1', 303); throw err }
    return reply.redirect('/lieux?fait=permanence', 303)
  })
}
