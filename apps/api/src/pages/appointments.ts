// Appointments at France services (issue 14), the pages: the agenda (a referent's, an organisation's, a mairie's,
// a place's week; printable), the pending outcomes, the convocation to print for the citizen, the .ics, and the
// forms that move, cancel or record the outcome of an appointment from the referral page.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { DomainError, NotFound, badRequest, isUuid, mayAttempt, describeOpeningHours, WEEKDAY_LABELS, WEEKDAYS } from '@relais/core'
import { addPlaceClosure, endPermanence, getPlace, importPlaces, removePlaceClosure, updatePlace, type PlaceView } from '@relais/referrals'
import type { OpeningWindow, WeeklyHours } from '@relais/core'
import { appointmentIcs, cancelAppointment, createPermanence, createPlace, getAppointment, listAppointments, listPermanences, listPlaces, pendingOutcomes, recordOutcome, rescheduleAppointment, OUTCOMES, type AppointmentView, type Outcome, type Principal } from '@relais/referrals'
import { httpError } from '../plugins/errors.ts'
import { APPOINTMENT_STATUS_LABELS, errorItems, fieldErrors, longDate } from './format.ts'
import { localInstant } from './referrals.ts'

const DAY = 86_400_000

/** The place form's fields (id and label shown in the error summary), by the use case's paths. */
const PLACE_FIELDS: Record<string, { id: string; label: string }> = {
  name: { id: 'lieu-nom', label: 'Nom' }, address: { id: 'lieu-adresse', label: 'Adresse' }, phone: { id: 'lieu-tel', label: 'Téléphone' },
  desks: { id: 'lieu-bureaux', label: 'Bureaux' }, communes: { id: 'lieu-communes', label: 'Communes desservies' }, whatToBring: { id: 'lieu-apporter', label: 'À apporter' },
  from: { id: 'fermeture-du', label: 'Fermé du' }, to: { id: 'fermeture-au', label: 'Fermé jusqu’au' },
  ...Object.fromEntries(WEEKDAYS.flatMap((d) => [
    [`openingHours_${d}`, { id: `h-${d}-1-opens`, label: `Horaires du ${WEEKDAY_LABELS[d]}` }],
    ...[0, 1].map((i) => [`openingHours_${d}_${i}`, { id: `h-${d}-${i + 1}-opens`, label: `Horaires du ${WEEKDAY_LABELS[d]}, plage ${i + 1}` }]),
  ])),
}
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/

/** The opening hours of the form (two windows a day: « h-mon-1-opens »…), and what is wrong with them. */
function hoursFromForm(b: Record<string, string>): { hours: WeeklyHours; issues: { path: string; message: string }[] } {
  const hours: WeeklyHours = {}
  const issues: { path: string; message: string }[] = []
  WEEKDAYS.forEach((d) => {
    const windows: OpeningWindow[] = []
    for (const i of [1, 2]) {
      const opens = (b[`h-${d}-${i}-opens`] ?? '').trim(), closes = (b[`h-${d}-${i}-closes`] ?? '').trim()
      if (!opens && !closes) continue
      if (!HHMM.test(opens) || !HHMM.test(closes)) { issues.push({ path: `openingHours.${d}.${i - 1}`, message: 'Indiquez l’ouverture et la fermeture (HH:MM).' }); continue }
      windows.push({ opens, closes })
    }
    if (windows.length) hours[d] = windows
  })
  return { hours, issues }
}

/** A place's form values (two windows a day), from the place or from what was typed. */
function placeForm(x: PlaceView, typed?: Record<string, string>) {
  return {
    name: typed?.name ?? x.name, address: typed?.address ?? x.address ?? '', phone: typed?.phone ?? x.phone ?? '', desks: typed?.desks ?? String(x.desks),
    communes: typed?.communes ?? x.communes.join(' '), whatToBring: typed?.whatToBring ?? x.whatToBring ?? '', active: typed ? typed.active === '1' : x.active,
    days: WEEKDAYS.map((d) => ({
      day: d, label: WEEKDAY_LABELS[d],
      windows: [1, 2].map((i) => ({ i, opens: typed ? typed[`h-${d}-${i}-opens`] ?? '' : x.openingHours[d]?.[i - 1]?.opens ?? '', closes: typed ? typed[`h-${d}-${i}-closes`] ?? '' : x.openingHours[d]?.[i - 1]?.closes ?? '' })),
    })),
  }
}
const frDate = (iso: string) => iso.split('-').reverse().join('/')

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
  const PLACES_DONE: Record<string, string> = {
    lieu: 'Le lieu a été ajouté.', permanence: 'La permanence a été ajoutée.', 'permanence-arretee': 'La permanence est arrêtée : plus aucun créneau après son dernier jour ; les rendez-vous déjà pris restent.',
    'permanence-retiree': 'La permanence est retirée : elle n’avait pas commencé.',
  }
  async function renderPlaces(request: FastifyRequest, reply: Parameters<typeof kit.render>[0], extra: { refused?: { line: number; column?: string; message: string }[]; refusedMessage?: string; csv?: string; status?: number } = {}) {
    const p = request.principal! as Principal
    const q = (request.query ?? {}) as { fait?: string; erreur?: string; crees?: string }
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), places: await listPlaces(trx, p), permanences: await listPermanences(trx, p) }))
    const mayEnd = (organisationId: string) => mayAttempt(p.role, 'permanence.write') && (p.role === 'network_admin' || organisationId === p.organisationId)
    return kit.render(reply, 'places.hbs', {
      title: `${extra.refused ? 'Erreur : ' : ''}Lieux d’accueil et permanences`, me: data.me,
      places: data.places.map((x) => ({
        ...x, hours: describeOpeningHours(x.openingHours), closuresText: x.closures.map((c) => (c.to && c.to !== c.from ? `du ${frDate(c.from)} au ${frDate(c.to)}` : `le ${frDate(c.from)}`)).join(', '),
        permanences: data.permanences.filter((m) => m.placeId === x.id).map((m) => ({
          ...m, day: WEEKDAY_LABELS[WEEKDAYS[m.weekday - 1]], rhythm: m.everyWeeks === 1 ? 'chaque semaine' : `toutes les ${m.everyWeeks} semaines`,
          until: m.validUntil ? frDate(m.validUntil) : null, canEnd: mayEnd(m.organisationId),
        })),
      })),
      canWritePlaces: mayAttempt(p.role, 'place.write'), canWritePermanences: mayAttempt(p.role, 'permanence.write'),
      weekdays: WEEKDAYS.map((d, i) => ({ value: i + 1, label: WEEKDAY_LABELS[d] })), ownOrganisationId: p.organisationId,
      done: q.fait === 'import' ? `Import terminé : ${Number(q.crees) || 0} lieu(x) ajouté(s). Complétez leurs horaires depuis leur page.` : q.fait ? PLACES_DONE[q.fait] : undefined,
      error: q.erreur === '1' ? 'Rien n’a été enregistré : vérifiez les champs (nom, horaires HH:MM, dates AAAA-MM-JJ, codes INSEE).' : q.erreur === 'fin' ? 'La permanence n’a pas été arrêtée : indiquez son dernier jour (pas après la fin déjà prévue).' : undefined,
      refused: extra.refused, refusedMessage: extra.refusedMessage, csv: extra.csv ?? '',
    }, extra.status ?? 200)
  }

  app.get<{ Querystring: { fait?: string; erreur?: string } }>('/lieux', { config: { access: 'place.read' } }, async (request, reply) => renderPlaces(request, reply))

  // CSV import in the page, like the routing rules': every refused line with its number and reason, nothing applied.
  app.post<{ Body: Record<string, string> }>('/lieux/import', { config: { access: 'place.write' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const csv = String(request.body?.csv ?? '')
    if (!csv.trim()) return renderPlaces(request, reply, { refused: [{ line: 1, message: 'Le fichier est vide : choisissez un fichier CSV ou collez son contenu.' }], refusedMessage: 'Rien n’a été importé.', status: 400 })
    try {
      const r = await app.tx(request, (trx) => importPlaces(trx, request.principal! as Principal, csv, app.clock()))
      return reply.redirect(`/lieux?fait=import&crees=${r.created}#resultat`, 303)
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status < 500) {
        const lines = Array.isArray(err.details) ? (err.details as { line?: number; column?: string; message: string }[]).filter((d) => typeof d?.line === 'number') as { line: number; column?: string; message: string }[] : []
        return renderPlaces(request, reply, { refused: lines.length ? lines : [{ line: 1, message: err.message }], refusedMessage: 'Rien n’a été importé : corrigez les lignes refusées.', csv, status: 400 })
      }
      throw err
    }
  })

  // A place's page for the mission TIC: its details, opening hours per weekday, communes, desks, and its closures.
  async function renderPlace(request: FastifyRequest<{ Params: { id: string } }>, reply: Parameters<typeof kit.render>[0], extra: { typed?: Record<string, string>; errors?: Record<string, string>; closureErrors?: Record<string, string>; closureTyped?: Record<string, string>; status?: number } = {}) {
    const p = request.principal! as Principal
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      if (!isUuid(request.params.id)) return { me, place: null }
      try { return { me, place: await getPlace(trx, p, request.params.id) } } catch (err) { if (err instanceof NotFound) return { me, place: null }; throw err }
    })
    if (!data.place) return kit.notFound(request, reply, data.me)
    const q = (request.query ?? {}) as { fait?: string }
    const x = data.place
    return kit.render(reply, 'place-edit.hbs', {
      title: `${extra.errors || extra.closureErrors ? 'Erreur : ' : ''}${x.name} — lieu d’accueil`, me: data.me, place: x, form: placeForm(x, extra.typed),
      errors: extra.errors ?? {}, summary: extra.errors ? errorItems(extra.errors, PLACE_FIELDS) : null,
      closureErrors: extra.closureErrors ?? {}, closureSummary: extra.closureErrors ? errorItems(extra.closureErrors, PLACE_FIELDS) : null, closureTyped: extra.closureTyped ?? {},
      closures: x.closures.map((c) => ({ ...c, to: c.to || c.from, text: c.to && c.to !== c.from ? `Du ${frDate(c.from)} au ${frDate(c.to)}` : `Le ${frDate(c.from)}` })),
      done: q.fait === 'lieu' ? 'Le lieu est enregistré.' : q.fait === 'fermeture' ? 'La fermeture est ajoutée : aucun créneau ces jours-là.' : q.fait === 'fermeture-retiree' ? 'La fermeture est retirée.' : undefined,
    }, extra.status ?? 200)
  }

  app.get<{ Params: { id: string } }>('/lieux/:id', { config: { access: 'place.write' } }, async (request, reply) => renderPlace(request, reply))

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/lieux/:id', { config: { access: 'place.write' }, preHandler: app.csrfProtection }, async (request, reply) => {
    if (!isUuid(request.params.id)) return renderPlace(request, reply)
    const b = request.body ?? {}
    const { hours, issues } = hoursFromForm(b)
    const desks = Number(b.desks)
    if (!Number.isInteger(desks)) issues.push({ path: 'desks', message: 'Un nombre entier de bureaux, de 1 à 50.' })
    if (issues.length) return renderPlace(request, reply, { typed: b, errors: fieldErrors(issues), status: 400 })
    try {
      await app.tx(request, (trx) => updatePlace(trx, request.principal! as Principal, request.params.id, {
        name: b.name ?? '', address: b.address ?? '', phone: b.phone ?? '', desks, communes: (b.communes ?? '').split(/[\s,;]+/).filter(Boolean), whatToBring: b.whatToBring ?? '',
        openingHours: hours, active: b.active === '1',
      }, app.clock()))
    } catch (err) {
      if (err instanceof NotFound) return renderPlace(request, reply)
      if (err instanceof DomainError && httpError(err).status < 500) {
        const errors = fieldErrors(err.details)
        return renderPlace(request, reply, { typed: b, errors: Object.keys(errors).length ? errors : { name: err.message }, status: httpError(err).status })
      }
      throw err
    }
    return reply.redirect(`/lieux/${request.params.id}?fait=lieu#resultat`, 303)
  })

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/lieux/:id/fermetures', { config: { access: 'place.write' }, preHandler: app.csrfProtection }, async (request, reply) => {
    if (!isUuid(request.params.id)) return renderPlace(request, reply)
    const b = request.body ?? {}
    try {
      await app.tx(request, (trx) => addPlaceClosure(trx, request.principal! as Principal, request.params.id, { from: b.from, to: b.to, reason: b.reason }, app.clock()))
    } catch (err) {
      if (err instanceof NotFound) return renderPlace(request, reply)
      if (err instanceof DomainError && httpError(err).status < 500) return renderPlace(request, reply, { closureTyped: b, closureErrors: fieldErrors(err.details), status: httpError(err).status })
      throw err
    }
    return reply.redirect(`/lieux/${request.params.id}?fait=fermeture#fermetures`, 303)
  })

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/lieux/:id/fermetures/retirer', { config: { access: 'place.write' }, preHandler: app.csrfProtection }, async (request, reply) => {
    if (!isUuid(request.params.id)) return renderPlace(request, reply)
    const b = request.body ?? {}
    try {
      await app.tx(request, (trx) => removePlaceClosure(trx, request.principal! as Principal, request.params.id, { from: b.from ?? '', to: b.to ?? '' }, app.clock()))
    } catch (err) { if (err instanceof NotFound) return renderPlace(request, reply); throw err }
    return reply.redirect(`/lieux/${request.params.id}?fait=fermeture-retiree#fermetures`, 303)
  })

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/permanences/:id/fin', { config: { access: 'permanence.write', afterLookup: true }, preHandler: app.csrfProtection }, async (request, reply) => {
    if (!isUuid(request.params.id)) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
    try {
      const r = await app.tx(request, (trx) => endPermanence(trx, request.principal! as Principal, request.params.id, { lastDay: request.body?.lastDay }, app.clock()))
      return reply.redirect(`/lieux?fait=${r.withdrawn ? 'permanence-retiree' : 'permanence-arretee'}#resultat`, 303)
    } catch (err) {
      if (err instanceof NotFound) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
      if (err instanceof DomainError && httpError(err).status === 400) return reply.redirect('/lieux?erreur=fin#resultat', 303)
      throw err
    }
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
