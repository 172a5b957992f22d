// Referral pages: list (mairie's follow-up, partner's inbox, mission TIC's view), filing form, detail with actions.
// The rules (who sees what, which action when, validation) are the service's; these routes only translate.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fastifyMultipart from '@fastify/multipart'
import Value from 'typebox/value'
import type { TSchema } from 'typebox'
import { ACCEPT_ATTRIBUTE, ACCEPTED_FILES_TEXT, REFERRAL_ATTACHMENTS_MAX_BYTES, attachmentsTotalTooLarge, DomainError, InvalidInput, NotFound, TooLarge, UnsupportedType, Unprocessable, filingFieldIssues, isUuid, matchCommune, mayAttempt, parseReference, reachOf, ACTION_LABELS, REFERRAL_STATUSES, allowedActions, type ReferralAction, type ReferralStatus } from '@relais/core'
import { fromLocalMs } from '@relais/core/sla/time-zone'
import { act, forwardAnswer, readAttachment, storeAttachments, type IncomingFile, appointmentsOfReferral, listPlaces, referralSlots, privacyNotice, privacySettings, reassignChoices, currentHolder, fileReferralSummary, filingChoices, getReferral, listReferrals, organisationChoices, referralIdByReference, waitingOnMe, ownCommune, type FileInput, type Principal } from '@relais/referrals'
import { ACTIONS, FileBody } from '../schemas/referrals.ts'
import { httpError, schemaIssues } from '../plugins/errors.ts'
import { readFilePart, sendAttachment, UPLOAD_LIMITS } from '../plugins/uploads.ts'
import { CHANNEL_LABELS, LIST_PAGE_SIZE, deadline, errorItems, fieldErrors, waitingLinks, longDate, shortDate, statusLabel, timelineEntry } from './format.ts'
import { ficheSuggestions } from './fiches.ts'
import { APPOINTMENT_DONE, APPOINTMENT_ERRORS, appointmentItem } from './appointments.ts'


/** Button and heading of each action, as the issue names them. */
export const ACTION_BUTTONS: Record<ReferralAction, string> = {
  answer: 'Répondre', request_info: 'Demander un complément', provide_info: 'Apporter un complément', close: 'Clôturer', reopen: 'Rouvrir',
  cancel: 'Annuler la saisine', transfer: 'Transférer', reassign: 'Réaffecter', close_no_reply: 'Clôturer sans suite', propose_appointment: 'Proposer un rendez-vous', assign: 'Affecter',
}

const DONE: Record<string, string> = {
  deposee: 'La saisine a été déposée : l’organisme destinataire est prévenu par courriel, et l’usager reçoit son accusé de réception par courriel.',
  deposee_imprimer: 'La saisine a été déposée : l’organisme destinataire est prévenu par courriel. L’usager n’a pas donné d’adresse électronique : imprimez son accusé de réception (plus bas) et remettez-le-lui.',
  answer: 'Votre réponse a été envoyée à la mairie.',
  request_info: 'Votre demande de complément a été envoyée à la mairie ; le délai est suspendu.',
  provide_info: 'Le complément a été transmis ; le délai repart.',
  close: 'La saisine est close.',
  reopen: 'La saisine est rouverte.',
  cancel: 'La saisine est annulée.',
  transfer: 'La saisine a été transférée.',
  reassign: 'La saisine a été réaffectée : la personne choisie est prévenue par courriel.',
  close_no_reply: 'La saisine est clôturée sans suite ; la mairie en est informée.',
  propose_appointment: 'Le rendez-vous a été proposé à la mairie.',
  assign: 'La saisine a été affectée.',
  reponse_transmise: 'La réponse a été envoyée à l’usager par courriel, au nom de la mairie.',
}

type Item = Awaited<ReturnType<typeof listReferrals>>['items'][number]

function rows(items: Item[], now: Date, timeZone: string) {
  return items.map((i) => ({
    ...i, statusLabel: statusLabel(i.status), deadline: deadline(i, now), filed: shortDate(i.filedAt, timeZone), due: shortDate(i.dueAt, timeZone),
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

/** The API's schema errors with the API's French messages, keyed by form field, every field at once. */
function schemaErrors(schema: TSchema, value: unknown): { path: string; message: string }[] {
  return schemaIssues([...Value.Errors(schema, value)] as never)
}

// The filing form's fields as its error summary names them (the labels people see next to them).
const FILE_LABELS: Record<string, { id: string; label: string }> = {
  themeCode: { id: 'themeCode', label: 'Thème' }, communeInsee: { id: 'communeInsee', label: 'Commune concernée' }, question: { id: 'question', label: 'Question de l’usager' },
  citizenName: { id: 'citizenName', label: 'Nom et prénom' }, citizenEmail: { id: 'citizenEmail', label: 'Adresse électronique' }, citizenPhone: { id: 'citizenPhone', label: 'Téléphone' },
  preferredChannel: { id: 'canal-email', label: 'L’usager préfère être contacté par' }, internalNote: { id: 'internalNote', label: 'Note interne' },
  files: { id: 'fichiers', label: 'Pièces jointes' },
}

// Each action form's fields: the element to link to and the label it shows.
const ACTION_FIELDS: Record<ReferralAction, Record<string, { id: string; label: string }>> = {
  answer: { body: { id: 'answer-body', label: 'Votre réponse' }, files: { id: 'answer-fichiers', label: 'Pièces jointes' } },
  propose_appointment: { slot: { id: 'rdv-creneau', label: 'Créneau' }, placeId: { id: 'rdv-lieu', label: 'Lieu (hors permanence)' }, startsAt: { id: 'rdv-date', label: 'Date et heure (hors permanence)' }, minutes: { id: 'rdv-duree', label: 'Durée (hors permanence)' }, personId: { id: 'rdv-creneau', label: 'Référent' }, note: { id: 'rdv-message', label: 'Message' } },
  request_info: { body: { id: 'info-body', label: 'Ce qu’il vous manque' }, files: { id: 'info-fichiers', label: 'Pièces jointes' } },
  provide_info: { body: { id: 'complement-body', label: 'Le complément' }, files: { id: 'complement-fichiers', label: 'Pièces jointes' } },
  transfer: { organisationId: { id: 'transfert-organisme', label: 'Vers l’organisme' }, reason: { id: 'transfert-motif', label: 'Motif' } },
  close_no_reply: { body: { id: 'sans-suite-body', label: 'Message à la mairie' } },
  reassign: { personId: { id: 'reaffecter-personne', label: 'À une autre personne de l’organisme' }, reason: { id: 'reaffecter-motif', label: 'Motif' } },
  assign: { organisationId: { id: 'affecter-organisme', label: 'Organisme' } },
  close: {},
  reopen: { body: { id: 'rouvrir-body', label: 'Motif' } },
  cancel: { body: { id: 'annuler-body', label: 'Motif de l’annulation' }, confirm: { id: 'annuler-confirmer', label: 'Confirmation' } },
}

const FAILED_TITLES: Record<ReferralAction, string> = {
  answer: 'La réponse n’a pas été envoyée', propose_appointment: 'Le rendez-vous n’a pas été proposé', request_info: 'La demande n’a pas été envoyée',
  provide_info: 'Le complément n’a pas été transmis', transfer: 'La saisine n’a pas été transférée', close_no_reply: 'La saisine n’a pas été clôturée', reassign: 'La saisine n’a pas été réaffectée', assign: 'La saisine n’a pas été affectée',
  close: 'La saisine n’a pas été close', reopen: 'La saisine n’a pas été rouverte', cancel: 'La saisine n’a pas été annulée',
}

/** What the page asks beyond the API: cancelling is final, so the form wants a reason and a ticked confirmation. */
function pageIssues(action: ReferralAction, raw: Record<string, string>): { path: string; message: string }[] {
  if (action !== 'cancel') return []
  const out: { path: string; message: string }[] = []
  if (!raw.body?.trim()) out.push({ path: 'body', message: 'Le motif de l’annulation est obligatoire.' })
  if (raw.confirm !== '1') out.push({ path: 'confirm', message: 'Cochez la case pour confirmer l’annulation.' })
  return out
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

/** « 2026-11-26T14:30 » typed in the tenant's time zone → an instant; null if it is not a date. */
export function localInstant(value: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value)
  if (!m) return null
  const local = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]))
  return new Date(fromLocalMs(local, timeZone))
}

/** The actions whose forms carry files (issue 15). */
const WITH_FILES: readonly ReferralAction[] = ['answer', 'request_info', 'provide_info']
const isAttachmentRefusal = (err: unknown) => err instanceof TooLarge || err instanceof UnsupportedType || err instanceof Unprocessable
/** Said under every file field after a failed form: a browser never keeps the files chosen. */
const CHOOSE_AGAIN = 'Les fichiers choisis n’ont pas été enregistrés : choisissez-les de nouveau.'

export async function referralPages(app: FastifyInstance) {
  const kit = app.pages

  // Forms with files come as multipart/form-data: the fields (the CSRF token among them) go to the body as with the
  // other forms; each file is read as it streams in, up to its limit (plugins/uploads.ts), and kept for the handler.
  const uploads = new WeakMap<FastifyRequest, { files: IncomingFile[]; budget: { left: number; over: string | null } }>()
  const uploadsOf = (request: FastifyRequest) => {
    let u = uploads.get(request)
    if (!u) uploads.set(request, u = { files: [], budget: { left: REFERRAL_ATTACHMENTS_MAX_BYTES, over: null } })
    return u
  }
  /** The files of the request, or the refusal when the files together were over a referral's total. */
  const filesOf = (request: FastifyRequest): IncomingFile[] => {
    const u = uploads.get(request)
    if (u?.budget.over) throw attachmentsTotalTooLarge(u.budget.over, 0)
    return u?.files ?? []
  }
  await app.register(fastifyMultipart, {
    attachFieldsToBody: 'keyValues', limits: UPLOAD_LIMITS, throwFileSizeLimit: false,
    async onFile(part) {
      const u = uploadsOf(this)
      const f = await readFilePart(part, u.budget)
      if (f) u.files.push(f)
    },
  })

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
    // The search box: a full reference the person may see opens that referral; anything else filters the list.
    const search = typeof q.q === 'string' ? q.q.trim().slice(0, 200) : ''
    if (search && parseReference(search)) {
      const id = await app.tx(request, (trx) => referralIdByReference(trx, p, search))
      if (id) return reply.redirect(`/saisines/${id}`, 303)
    }
    const communeTyped = typeof q.commune === 'string' ? q.commune.trim().slice(0, 100) : ''
    const filters = {
      status,
      themeCode: q.theme && q.theme.length <= 50 ? q.theme : undefined,
      organisationId: wholeNetwork && isUuid(q.organisme) ? q.organisme : undefined,
      overdue: q.retard === '1' ? true : undefined,
      q: search || undefined,
    }
    // Sorted and paged by the database (see listReferrals): a mairie's overdue ones first, a holder's by deadline.
    const cursor = typeof q.apres === 'string' && q.apres.length <= 500 ? q.apres : undefined
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      const choices = await filingChoices(trx, p)
      // The commune filter is a text field (241 communes make no usable select): what was typed names one commune.
      const match = communeTyped ? matchCommune(communeTyped, choices.communes) : null
      const communeInsee = match?.kind === 'one' ? match.commune.insee : undefined
      const communeError = !match || match.kind === 'one' ? undefined : match.kind === 'none'
        ? `Aucune commune du département ne correspond à « ${communeTyped} ».`
        : `Plusieurs communes correspondent à « ${communeTyped} » : ${match.communes.slice(0, 8).map((c) => c.name).join(', ')}${match.communes.length > 8 ? '…' : ''}. Précisez.`
      const list = communeError ? { items: [], nextCursor: null }
        : await listReferrals(trx, p, { ...filters, communeInsee, open: !status && view === 'ouvertes', sort: ownFilings ? 'follow_up' : 'inbox', limit: LIST_PAGE_SIZE, cursor }, now)
      return {
        me, items: rows(list.items, now, me.timeZone), nextCursor: list.nextCursor, ...choices,
        waiting: waitingLinks(await waitingOnMe(trx, p, now)),
        communeInsee, communeError, communeName: match?.kind === 'one' ? match.commune.name : communeTyped,
        ...await (async () => {
          const all = await organisationChoices(trx, p)
          return { allOrganisations: all, organisations: wholeNetwork ? all.filter((o) => o.kind === 'partner') : [] }
        })(),
      }
    })
    // « Suivantes » keeps the filters; « Premières » goes back to the top.
    const keep = new URLSearchParams()
    keep.set('vue', view)
    for (const [k, v] of [['q', filters.q], ['statut', status], ['theme', filters.themeCode], ['commune', data.communeInsee], ['organisme', filters.organisationId], ['retard', q.retard === '1' ? '1' : undefined]] as const) if (v) keep.set(k, v)
    const nextUrl = data.nextCursor ? `/saisines?${new URLSearchParams([...keep, ['apres', data.nextCursor]])}` : null
    const firstUrl = cursor ? `/saisines?${keep}` : null
    const title = ownFilings ? 'Saisines de la mairie' : wholeNetwork ? 'Saisines du réseau' : 'Saisines reçues'
    // Landed here after an action took the referral out of the person's sight (a transfer): say what happened.
    let done: string | undefined
    if (q.fait === 'transfer') {
      const ref = q.ref && parseReference(q.ref) ? q.ref : null
      const to = isUuid(q.vers) ? data.allOrganisations.find((o) => o.id === q.vers)?.name : undefined
      done = ref ? `La saisine ${ref} a été transférée${to ? ` à ${to}` : ''}.` : DONE.transfer
    } else if (q.fait && DONE[q.fait]) done = DONE[q.fait]
    return kit.render(reply, 'referrals.hbs', {
      title: data.communeError ? `Erreur : ${title}` : title, ...data, done, nextUrl, firstUrl, isSecretary: ownFilings, isAdmin: wholeNetwork, live: !ownFilings,
      filters: { ...filters, vue: view, retard: q.retard === '1' }, searching: !!(filters.q || data.communeInsee),
      statuses: REFERRAL_STATUSES.map((s) => ({ value: s, label: statusLabel(s), selected: s === status })),
    })
  })

  async function renderNew(request: FastifyRequest, reply: Parameters<typeof kit.render>[0], values: Record<string, string>, errors: Record<string, string> = {}, formError?: string, status = 200) {
    const p = request.principal!
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      const mairieInsee = await ownCommune(trx, p)
      const suggestions = await ficheSuggestions(trx, p, { communeInsee: mairieInsee ?? undefined, ...values }, app.clock())
      return { me, ...await filingChoices(trx, p), mairieInsee, suggestions, notice: privacyNotice(await privacySettings(trx, p.tenantId)) }
    })
    const v: Record<string, string> = { preferredChannel: 'email', communeInsee: data.mairieInsee ?? '', ...values }
    return kit.render(reply, 'referral-new.hbs', {
      accept: ACCEPT_ATTRIBUTE, acceptedText: ACCEPTED_FILES_TEXT, chooseAgain: Object.keys(errors).length > 0 && !errors.files ? CHOOSE_AGAIN : undefined,
      title: errors && Object.keys(errors).length ? 'Erreur : nouvelle saisine' : 'Nouvelle saisine',
      ...data, values: v, errors, formError, hasErrors: Object.keys(errors).length > 0,
      errorList: errorItems(errors, FILE_LABELS),
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
    // The schema's and the service's field rules together: one round of corrections, not two.
    const invalid = [...schemaErrors(FileBody, input), ...filingFieldIssues(input)]
    if (invalid.length) return renderNew(request, reply, values, formErrors(invalid, FILE_FIELDS), undefined, 400)
    const p = request.principal! as Principal
    let filed: { id: string; reference: string; holderId: string; acknowledgement: 'email' | 'print' }
    try {
      // The files and the referral in one transaction: a refused file files nothing, a refused filing keeps no file.
      filed = await app.tx(request, async (trx) => {
        const files = filesOf(request)
        const stored = files.length ? await storeAttachments(trx, p, {}, files, app.clock()) : []
        const r = await fileReferralSummary(trx, p, { ...input, ...(stored.length ? { attachmentIds: stored.map((f) => f.id) } : {}) }, app.clock())
        return { id: r.id, reference: r.reference, holderId: r.assignedOrganisation.id, acknowledgement: r.acknowledgement }
      })
    } catch (err) {
      if (isAttachmentRefusal(err)) return renderNew(request, reply, values, { files: (err as DomainError).message }, undefined, httpError(err).status)
      if (err instanceof InvalidInput) return renderNew(request, reply, values, formErrors(err.details, FILE_FIELDS), err.message, 400)
      throw err
    }
    // After the commit, best effort: the partner's open inbox shows it without a reload.
    await app.live.publish({ tenantId: p.tenantId, organisationId: filed.holderId, id: filed.id, reference: filed.reference })
    // Without an address, the receipt is the secretary's to print: the page says so next to the button.
    return reply.redirect(`/saisines/${filed.id}?fait=${filed.acknowledgement === 'email' ? 'deposee' : 'deposee_imprimer'}`, 303)
  })

  async function renderDetail(request: FastifyRequest, reply: Parameters<typeof kit.render>[0], id: string, extra: { failed?: ReferralAction; errors?: Record<string, Record<string, string>>; values?: Record<string, Record<string, string>>; formError?: string; status?: number } = {}) {
    const p = request.principal! as Principal
    const now = app.clock()
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      let r
      try { r = await getReferral(trx, p, id, { logged: { via: 'page', at: now } }) } catch (err) { if (err instanceof NotFound) return { me, r: null }; throw err }
      const orgs = await organisationChoices(trx, p)
      const allowedHere = allowedActions(r.status as ReferralStatus, p.role)
      const colleagues = allowedHere.includes('reassign') ? await reassignChoices(trx, p, r.holder.organisation.id) : []
      // Booking (issue 14): the next free slots of the permanences serving the referral's commune, and the places.
      const booking = allowedHere.includes('propose_appointment')
        ? { slots: await referralSlots(trx, p, id, { days: 28 }, now), places: await listPlaces(trx, p) }
        : { slots: [], places: [] }
      const appointments = await appointmentsOfReferral(trx, p.tenantId, id)
      return { me, r, orgs, colleagues, booking, appointments }
    })
    if (!data.r) return kit.notFound(request, reply, data.me)
    const r = data.r
    const orgs = data.orgs ?? []
    const names = new Map(orgs.map((o) => [o.id, o.name]))
    names.set(r.mairie.id, r.mairie.name)
    const allowed = allowedActions(r.status as ReferralStatus, p.role)
    const can: Record<string, boolean> = Object.fromEntries(allowed.map((a) => [a, true]))
    // « Clôturer sans suite » appears once the holder was told the complement is overdue (the policy's second delay).
    const lastRequest = [...r.timeline].reverse().find((e) => e.kind === 'info_requested')
    if (can.close_no_reply && !(lastRequest && r.timeline.some((e) => e.kind === 'info_stale_notified' && e.seq > lastRequest.seq))) delete can.close_no_reply
    const q = request.query as Record<string, string | undefined>
    // After an answer the same form corrects it: say so on the button.
    const answered = r.answers.length > 0
    // The error sits in the failed action's form when the page still shows it; otherwise at the top (the state moved on).
    const failed = extra.failed && allowed.includes(extra.failed) ? extra.failed : undefined
    const tz = data.me.timeZone
    const fileLink = (f: (typeof r.attachments)[number]) => ({ ...f, href: `/saisines/${r.id}/pieces-jointes/${f.id}`, at: longDate(f.addedAt, tz) })
    return kit.render(reply, 'referral.hbs', {
      title: `${extra.formError || extra.errors ? 'Erreur : ' : ''}Saisine ${r.reference}`, me: data.me, r,
      statusLabel: statusLabel(r.status), deadline: deadline(r, now), printedOn: longDate(now, tz), filed: longDate(r.filedAt, tz), due: longDate(r.dueAt, tz), closed: longDate(r.closedAt, tz),
      channel: CHANNEL_LABELS[r.citizen.preferredChannel] ?? r.citizen.preferredChannel,
      answers: r.answers.map((a) => ({ ...a, atText: longDate(a.at, tz), files: a.attachments.map(fileLink) })),
      timeline: r.timeline.filter((e) => e.kind !== 'mail_sent').map((e) => ({ ...timelineEntry(e, names, tz), files: e.attachments.map(fileLink) })),
      files: r.attachments.map(fileLink), accept: ACCEPT_ATTRIBUTE, acceptedText: ACCEPTED_FILES_TEXT,
      can, hasActions: allowed.length > 0, canAcknowledge: mayAttempt(p.role, 'referral.acknowledge'), canReadAccessLog: mayAttempt(p.role, 'referral.access_log'), canForward: answered && mayAttempt(p.role, 'referral.forward_answer') && !r.timeline.some((e) => e.kind === 'anonymised'), answered, buttons: answered ? { ...ACTION_BUTTONS, answer: 'Corriger la réponse' } : ACTION_BUTTONS, canDraftFiche: mayAttempt(p.role, 'fiche.from_answer'),
      failed, failedTitle: failed ? FAILED_TITLES[failed] : undefined,
      summaryItems: failed ? errorItems(extra.errors?.[failed] ?? {}, ACTION_FIELDS[failed]) : [],
      partners: orgs.filter((o) => (o.kind === 'partner' || o.kind === 'mission_tic') && o.status === 'active' && o.id !== r.holder.organisation.id),
      slots: (data.booking?.slots ?? []).slice(0, 12).map((x, i) => ({ ...x, value: `${x.placeId}|${x.startsAt}|${x.personId}`, i, label: `${longDate(x.startsAt, tz)} — ${x.placeName}${x.personName ? ` (${x.personName})` : ''}`, checked: extra.values?.propose_appointment?.slot === `${x.placeId}|${x.startsAt}|${x.personId}` })),
      places: (data.booking?.places ?? []).filter((x) => x.active),
      colleagues: (data.colleagues ?? []).filter((c) => c.id !== r.holder.person?.id),
      done: q.fait ? DONE[q.fait] : undefined,
      errors: extra.errors ?? {}, values: extra.values ?? {}, formError: extra.formError,
      appointments: (data.appointments ?? []).map((a) => appointmentItem(a, p, tz, now)),
      rdvDone: q.rdv ? APPOINTMENT_DONE[q.rdv] : undefined, rdvError: q.rdv_erreur ? APPOINTMENT_ERRORS[q.rdv_erreur] : undefined,
    }, extra.status ?? 200)
  }

  app.get<{ Params: { id: string } }>('/saisines/:id', { config: { access: 'referral.read' } }, async (request, reply) => {
    if (!isUuid(request.params.id)) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
    return renderDetail(request, reply, request.params.id)
  })

  // « Transmettre la réponse à l’usager » (issue 18): by mail in the mairie's name, or a letter to print.
  const trackingUrl = `${app.config.PUBLIC_URL.replace(/\/+$/, '')}/suivi`
  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/saisines/:id/transmettre-reponse', { config: { access: 'referral.forward_answer' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const id = request.params.id
    if (!isUuid(id)) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
    const channel = request.body?.channel === 'print' ? 'print' : undefined
    let data
    try {
      data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), letter: await forwardAnswer(trx, request.principal! as Principal, id, { channel }, app.clock()) }))
    } catch (err) {
      if (err instanceof NotFound) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
      if (err instanceof DomainError && httpError(err).status < 500) return renderDetail(request, reply, id, { formError: err.message, status: httpError(err).status })
      throw err
    }
    if (data.letter.channel === 'email') return reply.redirect(`/saisines/${id}?fait=reponse_transmise#resultat`, 303)
    const l = data.letter
    return kit.render(reply, 'answer-letter.hbs', { title: `Réponse à imprimer ${l.reference}`, me: data.me, id, letter: l, today: longDate(app.clock(), l.timeZone), answeredOn: longDate(l.answer.at, l.timeZone), trackingUrl })
  })
  app.get<{ Params: { id: string } }>('/saisines/:id/transmettre-reponse', { config: { access: 'referral.read' } }, async (request, reply) => {
    if (!isUuid(request.params.id)) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
    return reply.redirect(`/saisines/${request.params.id}#reponse`, 303)
  })

  // A file of the referral, as a download (the same rules as the API: those who see the referral; else the 404 page).
  app.get<{ Params: { id: string; attachmentId: string } }>('/saisines/:id/pieces-jointes/:attachmentId', { config: { access: 'attachment.read' } }, async (request, reply) => {
    const { id, attachmentId } = request.params
    if (!isUuid(id) || !isUuid(attachmentId)) return kit.notFound(request, reply)
    const a = await app.tx(request, (trx) => readAttachment(trx, request.principal! as Principal, id, attachmentId, app.clock()))
    return sendAttachment(reply, a)
  })

  // One POST per action, on the API's paths (answer, request-info, close…), validated by the API's schemas.
  for (const a of ACTIONS) {
    app.post<{ Params: { id: string }; Body: Record<string, string> }>(`/saisines/:id/${a.path}`, { config: { access: `referral.${a.action}`, afterLookup: true }, preHandler: app.csrfProtection }, async (request, reply) => {
      const id = request.params.id
      if (!isUuid(id)) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
      const raw = Object.fromEntries(Object.entries(request.body ?? {}).filter(([k, v]) => k !== '_csrf' && typeof v === 'string' && v !== '')) as Record<string, string>
      const values = { [a.action]: raw }
      const { confirm: _confirm, ...input }: Record<string, unknown> = { ...raw }
      const issues = pageIssues(a.action, raw)
      if (a.action === 'propose_appointment') {
        // A slot of a permanence (« lieu|début|référent »), or « autre » with a place and a local date and time.
        const slot = raw.slot
        delete input.slot
        delete input.at
        if (slot && slot !== 'autre') {
          const [placeId, startsAt, personId] = slot.split('|')
          Object.assign(input, { placeId, startsAt, ...(personId ? { personId } : {}) })
        } else if (!slot) {
          issues.push({ path: 'slot', message: 'Choisissez un créneau, ou « Autre horaire » avec un lieu et une heure.' })
        } else if (typeof raw.at === 'string') {
          const { timeZone } = await app.tx(request, (trx) => kit.me(trx, request))
          const at = localInstant(raw.at, timeZone)
          if (at) input.startsAt = at.toISOString()
          else issues.push({ path: 'startsAt', message: 'Date et heure invalides.' })
        } else issues.push({ path: 'startsAt', message: 'Indiquez la date et l’heure.' })
        if (input.minutes !== undefined) input.minutes = Number(input.minutes)
      }
      if (input.toRouting !== undefined) input.toRouting = input.toRouting === '1'
      // Every problem at once (the page's own first: their wording is the form's), each next to its field.
      const invalid = [...issues, ...schemaErrors(a.body, input).filter((e) => !(a.action === 'propose_appointment' && issues.some((i) => i.path === e.path || i.path === 'slot')))]
      if (invalid.length) return renderDetail(request, reply, id, { failed: a.action, errors: { [a.action]: { ...fieldErrors(invalid), ...(uploads.get(request)?.files.length ? { files: CHOOSE_AGAIN } : {}) } }, values, status: 400 })
      const p = request.principal! as Principal
      try {
        await app.tx(request, async (trx) => {
          // Files first, for this referral, then the action that carries them: one transaction, nothing half-written.
          const files = WITH_FILES.includes(a.action) ? filesOf(request) : []
          const stored = files.length ? await storeAttachments(trx, p, { referralId: id }, files, app.clock()) : []
          await act(trx, p, id, a.action, { ...input, ...(stored.length ? { attachmentIds: stored.map((f) => f.id) } : {}) } as Record<string, string>, app.clock())
        })
      } catch (err) {
        if (err instanceof NotFound) throw err
        if (isAttachmentRefusal(err)) return renderDetail(request, reply, id, { failed: a.action, errors: { [a.action]: { files: (err as DomainError).message } }, values, status: httpError(err).status })
        if (err instanceof DomainError && httpError(err).status < 500) {
          const fields = fieldErrors(err.details)
          return renderDetail(request, reply, id, { failed: a.action, errors: { [a.action]: fields }, values, formError: Object.keys(fields).length ? undefined : err.message, status: httpError(err).status })
        }
        throw err
      }
      let holder: { organisationId: string; reference: string } | undefined
      if (a.action === 'transfer' || a.action === 'assign' || a.action === 'reopen') {
        holder = await app.tx(request, (trx) => currentHolder(trx, p, id)) ?? undefined
        if (holder) await app.live.publish({ tenantId: p.tenantId, organisationId: holder.organisationId, id, reference: holder.reference })
      }
      // Transferred away: the referent no longer sees it; back to the inbox rather than to a 404, saying where it went.
      const stillVisible = await app.tx(request, (trx) => getReferral(trx, p, id).then(() => true, () => false))
      if (stillVisible) return reply.redirect(`/saisines/${id}?fait=${a.action}#resultat`, 303)
      const where = holder ? `&ref=${encodeURIComponent(holder.reference)}&vers=${holder.organisationId}` : ''
      return reply.redirect(`/saisines?fait=${a.action}${where}#resultat`, 303)
    })
    // The address of an action opened again (a reload, a bookmark): back to the referral, never a bare error.
    app.get<{ Params: { id: string } }>(`/saisines/:id/${a.path}`, { config: { access: 'referral.read' } }, async (request, reply) => {
      if (!isUuid(request.params.id)) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
      return reply.redirect(`/saisines/${request.params.id}`, 303)
    })
  }
}

export { ACTION_LABELS }
