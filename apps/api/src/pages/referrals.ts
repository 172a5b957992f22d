// Referral pages: list (mairie's follow-up, partner's inbox, mission TIC's view), filing form, detail with actions.
// The rules (who sees what, which action when, validation) are the service's; these routes only translate.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import Value from 'typebox/value'
import type { TSchema } from 'typebox'
import { DomainError, InvalidInput, NotFound, isInsee, isUuid, mayAttempt, reachOf, ACTION_LABELS, CLOCK_STATUSES, REFERRAL_STATUSES, UNFINISHED_STATUSES, allowedActions, type ReferralAction, type ReferralStatus } from '@relais/core'
import { fromLocalMs } from '@relais/core/sla/time-zone'
import { act, currentHolder, fileReferralSummary, filingChoices, getReferral, listReferrals, organisationChoices, ownCommune, type FileInput, type Principal } from '@relais/referrals'
import { ACTIONS, FileBody } from '../schemas/referrals.ts'
import { fieldPath, frenchMessage, httpError } from '../plugins/errors.ts'
import { CHANNEL_LABELS, deadline, fieldErrors, longDate, shortDate, statusLabel, timelineEntry } from './format.ts'
import { ficheSuggestions } from './fiches.ts'


/** Button and heading of each action, as the issue names them. */
export const ACTION_BUTTONS: Record<ReferralAction, string> = {
  answer: 'Répondre', request_info: 'Demander un complément', provide_info: 'Apporter un complément', close: 'Clore', reopen: 'Rouvrir',
  cancel: 'Annuler la saisine', transfer: 'Transférer', propose_appointment: 'Proposer un rendez-vous', assign: 'Affecter',
}

const DONE: Record<string, string> = {
  deposee: 'La saisine a été déposée : l’organisme destinataire est prévenu par courriel.',
  answer: 'Votre réponse a été envoyée à la mairie.',
  request_info: 'Votre demande de complément a été envoyée à la mairie ; le délai est suspendu.',
  provide_info: 'Le complément a été transmis ; le délai repart.',
  close: 'La saisine est close.',
  reopen: 'La saisine est rouverte.',
  cancel: 'La saisine est annulée.',
  transfer: 'La saisine a été transférée.',
  propose_appointment: 'Le rendez-vous a été proposé à la mairie.',
  assign: 'La saisine a été affectée.',
}

type Item = Awaited<ReturnType<typeof listReferrals>>['items'][number]

/** A mairie's own filings: overdue first (most late first), then newest. Others: by deadline, soonest first, closed ones last. */
export function sortForList(items: Item[], ownFilings: boolean): Item[] {
  const due = (i: Item) => (i.dueAt ? new Date(i.dueAt).getTime() : Number.POSITIVE_INFINITY)
  const filed = (i: Item) => new Date(i.filedAt).getTime()
  if (ownFilings) {
    return [...items].sort((a, b) => (Number(b.overdue) - Number(a.overdue)) || (a.overdue && b.overdue ? due(a) - due(b) : 0) || filed(b) - filed(a))
  }
  const rank = (i: Item) => (CLOCK_STATUSES.includes(i.status as ReferralStatus) ? 0 : UNFINISHED_STATUSES.includes(i.status as ReferralStatus) ? 1 : 2)
  return [...items].sort((a, b) => rank(a) - rank(b) || (rank(a) === 0 ? due(a) - due(b) : filed(b) - filed(a)) || filed(b) - filed(a))
}

function rows(items: Item[], now: Date) {
  return items.map((i) => ({
    ...i, statusLabel: statusLabel(i.status), deadline: deadline(i, now), filed: shortDate(i.filedAt), due: shortDate(i.dueAt),
  }))
}

/** The form's flat fields as the service's input; empty optional fields are absent, as in the API. */
function fileInput(body: Record<string, string | undefined>): FileInput {
  const s = (k: string) => (typeof body[k] === 'string' ? body[k]! : '')
  const opt = (k: string) => (s(k).trim() ? s(k).trim() : undefined)
  return {
    themeCode: s('themeCode'),
    ...(opt('communeInsee') ? { communeInsee: opt('communeInsee') } : {}),
    question: s('question'),
    citizen: {
      name: s('citizenName'),
      ...(opt('citizenEmail') ? { email: opt('citizenEmail') } : {}),
      ...(opt('citizenPhone') ? { phone: opt('citizenPhone') } : {}),
      preferredChannel: s('preferredChannel') as FileInput['citizen']['preferredChannel'],
    },
    ...(opt('internalNote') ? { internalNote: s('internalNote') } : {}),
  }
}

/** The API's schema errors with the API's French messages, keyed by form field. */
function schemaErrors(schema: TSchema, value: unknown): { path: string; message: string }[] {
  return [...Value.Errors(schema, value)].map((e) => ({ path: fieldPath(e as never, 'body'), message: frenchMessage(e as never) }))
}

// Form field names of the filing form ← the service's paths.
const FILE_FIELDS: Record<string, string> = {
  themeCode: 'themeCode', communeInsee: 'communeInsee', question: 'question', internalNote: 'internalNote',
  citizen_name: 'citizenName', citizen_email: 'citizenEmail', citizen_phone: 'citizenPhone', citizen_preferredChannel: 'preferredChannel',
}

function formErrors(details: unknown, fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(fieldErrors(details))) out[fields[k] ?? k] ??= v
  return out
}

/** « 2026-11-26T14:30 » typed in Paris → an instant; null if it is not a date. */
export function parisLocal(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value)
  if (!m) return null
  const local = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]))
  return new Date(fromLocalMs(local, 'Europe/Paris'))
}

export async function referralPages(app: FastifyInstance) {
  const kit = app.pages

  app.get<{ Querystring: Record<string, string | undefined> }>('/saisines', { config: { access: 'referral.read' } }, async (request, reply) => {
    const p = request.principal!
    // The list reads as its reach: the mairie's follow-up of what it filed, a holder's inbox, the whole network.
    const reach = reachOf(p.role, 'referral.read')
    const wholeNetwork = reach === 'tenant'
    const ownFilings = reach === 'own_mairie'
    const q = request.query
    const now = app.clock()
    // Defaults: a partner sees what it still has to handle; a mairie everything it filed.
    const view = q.vue === 'toutes' || q.vue === 'ouvertes' ? q.vue : ownFilings ? 'toutes' : 'ouvertes'
    const status = REFERRAL_STATUSES.includes(q.statut as ReferralStatus) ? (q.statut as ReferralStatus) : undefined
    const filters = {
      status,
      themeCode: q.theme && q.theme.length <= 50 ? q.theme : undefined,
      communeInsee: isInsee(q.commune) ? q.commune : undefined,
      organisationId: wholeNetwork && isUuid(q.organisme) ? q.organisme : undefined,
      overdue: q.retard === '1' ? true : undefined,
    }
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      const list = await listReferrals(trx, p, { ...filters, limit: 500 }, now)
      let items = list.items
      if (!status && view === 'ouvertes') items = items.filter((i) => CLOCK_STATUSES.includes(i.status as ReferralStatus))
      return {
        me, items: rows(sortForList(items, ownFilings), now), truncated: !!list.nextCursor,
        ...await filingChoices(trx, p),
        organisations: wholeNetwork ? (await organisationChoices(trx, p)).filter((o) => o.kind === 'partner') : [],
      }
    })
    const title = ownFilings ? 'Saisines de la mairie' : wholeNetwork ? 'Saisines du réseau' : 'Saisines reçues'
    return kit.render(reply, 'referrals.hbs', {
      title, ...data, isSecretary: ownFilings, isAdmin: wholeNetwork, live: !ownFilings,
      filters: { ...filters, vue: view, retard: q.retard === '1' },
      statuses: REFERRAL_STATUSES.map((s) => ({ value: s, label: statusLabel(s), selected: s === status })),
    })
  })

  async function renderNew(request: FastifyRequest, reply: Parameters<typeof kit.render>[0], values: Record<string, string>, errors: Record<string, string> = {}, formError?: string, status = 200) {
    const p = request.principal!
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      const mairieInsee = await ownCommune(trx, p)
      const suggestions = await ficheSuggestions(trx, p, { communeInsee: mairieInsee ?? undefined, ...values }, app.clock())
      return { me, ...await filingChoices(trx, p), mairieInsee, suggestions }
    })
    const v: Record<string, string> = { preferredChannel: 'email', communeInsee: data.mairieInsee ?? '', ...values }
    return kit.render(reply, 'referral-new.hbs', {
      title: errors && Object.keys(errors).length ? 'Erreur : nouvelle saisine' : 'Nouvelle saisine',
      ...data, values: v, errors, formError, hasErrors: Object.keys(errors).length > 0,
      errorList: Object.entries(errors).map(([field, message]) => ({ field, message })),
      themes: data.themes.map((t) => ({ ...t, selected: t.code === v.themeCode })),
      communes: data.communes.map((c) => ({ ...c, selected: c.insee === v.communeInsee })),
      channels: Object.entries(CHANNEL_LABELS).map(([value, label]) => ({ value, label, checked: value === v.preferredChannel })),
    }, status)
  }

  app.get('/saisines/nouvelle', { config: { access: 'referral.file' } }, async (request, reply) => renderNew(request, reply, {}))

  app.post<{ Body: Record<string, string> }>('/saisines/nouvelle', { config: { access: 'referral.file' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const body = request.body ?? {}
    const values = Object.fromEntries(Object.entries(body).filter(([k, v]) => k !== '_csrf' && typeof v === 'string')) as Record<string, string>
    // « Chercher dans les fiches » (and the live suggestions): the form comes back with the fiches, nothing is filed.
    if (body.chercher !== undefined) return renderNew(request, reply, values)
    const input = fileInput(body)
    const invalid = schemaErrors(FileBody, input)
    if (invalid.length) return renderNew(request, reply, values, formErrors(invalid, FILE_FIELDS), undefined, 400)
    const p = request.principal! as Principal
    let filed: { id: string; reference: string; holderId: string }
    try {
      filed = await app.tx(request, async (trx) => {
        const r = await fileReferralSummary(trx, p, input, app.clock())
        return { id: r.id, reference: r.reference, holderId: r.assignedOrganisation.id }
      })
    } catch (err) {
      if (err instanceof InvalidInput) return renderNew(request, reply, values, formErrors(err.details, FILE_FIELDS), err.message, 400)
      throw err
    }
    // After the commit, best effort: the partner's open inbox shows it without a reload.
    await app.live.publish({ tenantId: p.tenantId, organisationId: filed.holderId, id: filed.id, reference: filed.reference })
    return reply.redirect(`/saisines/${filed.id}?fait=deposee`, 303)
  })

  async function renderDetail(request: FastifyRequest, reply: Parameters<typeof kit.render>[0], id: string, extra: { errors?: Record<string, Record<string, string>>; values?: Record<string, Record<string, string>>; formError?: string; status?: number } = {}) {
    const p = request.principal! as Principal
    const now = app.clock()
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      let r
      try { r = await getReferral(trx, p, id) } catch (err) { if (err instanceof NotFound) return { me, r: null }; throw err }
      const orgs = await organisationChoices(trx, p)
      return { me, r, orgs }
    })
    if (!data.r) return kit.notFound(request, reply, data.me)
    const r = data.r
    const orgs = data.orgs ?? []
    const names = new Map(orgs.map((o) => [o.id, o.name]))
    names.set(r.mairie.id, r.mairie.name)
    const allowed = allowedActions(r.status as ReferralStatus, p.role)
    const can = Object.fromEntries(allowed.map((a) => [a, true]))
    const q = request.query as Record<string, string | undefined>
    return kit.render(reply, 'referral.hbs', {
      title: `${extra.formError || extra.errors ? 'Erreur : ' : ''}Saisine ${r.reference}`, me: data.me, r,
      statusLabel: statusLabel(r.status), deadline: deadline(r, now), filed: longDate(r.filedAt), due: longDate(r.dueAt), closed: longDate(r.closedAt),
      channel: CHANNEL_LABELS[r.citizen.preferredChannel] ?? r.citizen.preferredChannel,
      answers: r.answers.map((a) => ({ ...a, atText: longDate(a.at) })),
      timeline: r.timeline.filter((e) => e.kind !== 'mail_sent').map((e) => timelineEntry(e, names)),
      can, hasActions: allowed.length > 0, buttons: ACTION_BUTTONS, canDraftFiche: mayAttempt(p.role, 'fiche.write'),
      partners: orgs.filter((o) => (o.kind === 'partner' || o.kind === 'mission_tic') && o.status === 'active' && o.id !== r.holder.organisation.id),
      places: orgs.filter((o) => o.kind === 'msap'),
      done: q.fait ? DONE[q.fait] : undefined,
      errors: extra.errors ?? {}, values: extra.values ?? {}, formError: extra.formError,
    }, extra.status ?? 200)
  }

  app.get<{ Params: { id: string } }>('/saisines/:id', { config: { access: 'referral.read' } }, async (request, reply) => {
    if (!isUuid(request.params.id)) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
    return renderDetail(request, reply, request.params.id)
  })

  // One POST per action, on the API's paths (answer, request-info, close…), validated by the API's schemas.
  for (const a of ACTIONS) {
    app.post<{ Params: { id: string }; Body: Record<string, string> }>(`/saisines/:id/${a.path}`, { config: { access: `referral.${a.action}`, afterLookup: true }, preHandler: app.csrfProtection }, async (request, reply) => {
      const id = request.params.id
      if (!isUuid(id)) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
      const raw = Object.fromEntries(Object.entries(request.body ?? {}).filter(([k, v]) => k !== '_csrf' && typeof v === 'string' && v !== '')) as Record<string, string>
      const values = { [a.action]: raw }
      const input: Record<string, unknown> = { ...raw }
      if (a.action === 'propose_appointment' && typeof raw.at === 'string') {
        const at = parisLocal(raw.at)
        if (!at) return renderDetail(request, reply, id, { errors: { [a.action]: { at: 'Date et heure invalides.' } }, values, status: 400 })
        input.at = at.toISOString()
      }
      if (input.toRouting !== undefined) input.toRouting = input.toRouting === '1'
      const invalid = schemaErrors(a.body, input)
      if (invalid.length) return renderDetail(request, reply, id, { errors: { [a.action]: fieldErrors(invalid) }, values, status: 400 })
      const p = request.principal! as Principal
      try {
        await app.tx(request, (trx) => act(trx, p, id, a.action, input as Record<string, string>, app.clock()))
      } catch (err) {
        if (err instanceof NotFound) throw err
        if (err instanceof DomainError && httpError(err).status < 500) {
          const fields = fieldErrors(err.details)
          return renderDetail(request, reply, id, { errors: { [a.action]: fields }, values, formError: Object.keys(fields).length ? undefined : err.message, status: httpError(err).status })
        }
        throw err
      }
      if (a.action === 'transfer' || a.action === 'assign' || a.action === 'reopen') {
        const r = await app.tx(request, (trx) => currentHolder(trx, p, id))
        if (r) await app.live.publish({ tenantId: p.tenantId, organisationId: r.organisationId, id, reference: r.reference })
      }
      // Transferred away: the referent no longer sees it; back to the inbox rather than to a 404.
      const stillVisible = await app.tx(request, (trx) => getReferral(trx, p, id).then(() => true, () => false))
      return reply.redirect(stillVisible ? `/saisines/${id}?fait=${a.action}#resultat` : `/saisines?fait=${a.action}`, 303)
    })
  }
}

export { ACTION_LABELS }
