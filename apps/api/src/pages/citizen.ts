// The citizen's pages (issue 18): /suivi (no login), the printable acknowledgement of receipt, and the mission TIC's
// settings for citizens' data. The rules are the use cases'; these routes only translate.
import type { FastifyInstance } from 'fastify'
import { DomainError, NotFound, ROLE_LABELS, STATUS_LABELS, isUuid } from '@relais/core'
import { LoginThrottle } from '@relais/auth'
import { eraseSubject, exportSubject, findSubject, subjectAccessLog, subjectPdf, referralAccessLog, type AccessEntry, changePrivacySettings, printReceipt, privacySettings, trackReferral, TrackingThrottled } from '@relais/referrals'
import { httpError } from '../plugins/errors.ts'
import { fieldErrors, longDate } from './format.ts'

export async function citizenPages(app: FastifyInstance) {
  const kit = app.pages
  const guard = new LoginThrottle(app.redis, app.config.REDIS_PREFIX, 'tracking')
  const trackingUrl = `${app.config.PUBLIC_URL.replace(/\/+$/, '')}/suivi`

  app.get<{ Querystring: { reference?: string } }>('/suivi', { config: { access: 'public' } }, async (request, reply) => {
    const reference = typeof request.query.reference === 'string' ? request.query.reference.slice(0, 40) : ''
    return kit.render(reply, 'tracking.hbs', { title: 'Suivre ma demande', values: { reference } })
  })

  app.post<{ Body: { reference?: string; code?: string } }>('/suivi', { config: { access: 'public' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const reference = String(request.body?.reference ?? '').slice(0, 40)
    const code = String(request.body?.code ?? '').slice(0, 40)
    if (!reference.trim() || !code.trim()) {
      return kit.render(reply, 'tracking.hbs', { title: 'Erreur : suivre ma demande', values: { reference }, formError: 'Saisissez la référence et le code de suivi de votre accusé de réception.' }, 400)
    }
    try {
      const t = await trackReferral(app.db, guard, { reference, code, ip: request.ip }, request.log)
      return kit.render(reply, 'tracking.hbs', {
        title: `Suivi de la demande ${t.reference}`, values: { reference: t.reference }, tracking: t,
        expected: t.expectedAt ? longDate(t.expectedAt, t.timeZone) : undefined, steps: t.steps.map((s) => ({ ...s, at: longDate(s.at, t.timeZone) })),
      })
    } catch (err) {
      if (err instanceof TrackingThrottled) reply.header('retry-after', String(err.retryAfterSeconds))
      if (err instanceof DomainError && httpError(err).status < 500) {
        return kit.render(reply, 'tracking.hbs', { title: 'Erreur : suivre ma demande', values: { reference }, formError: err.message }, httpError(err).status)
      }
      throw err
    }
  })

  // A new code each time: the previous one stops working, so a lost receipt can be replaced.
  app.post<{ Params: { id: string } }>('/saisines/:id/accuse-de-reception', { config: { access: 'referral.acknowledge' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const id = request.params.id
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      if (!isUuid(id)) return { me, receipt: null }
      try {
        return { me, receipt: await printReceipt(trx, request.principal!, id, app.clock()) }
      } catch (err) {
        if (err instanceof NotFound) return { me, receipt: null }
        throw err
      }
    })
    if (!data.receipt) return kit.notFound(request, reply, data.me)
    const r = data.receipt
    return kit.render(reply, 'receipt.hbs', {
      title: `Accusé de réception ${r.reference}`, me: data.me, receipt: r, filed: longDate(r.filedAt, r.timeZone), due: r.dueAt ? longDate(r.dueAt, r.timeZone) : undefined, trackingUrl,
    })
  })
  app.get<{ Params: { id: string } }>('/saisines/:id/accuse-de-reception', { config: { access: 'referral.read' } }, async (request, reply) => {
    if (!isUuid(request.params.id)) return app.tx(request, async (trx) => kit.notFound(request, reply, await kit.me(trx, request)))
    return reply.redirect(`/saisines/${request.params.id}#accuse`, 303)
  })

  // The access log of one referral (the mission TIC).
  app.get<{ Params: { id: string } }>('/saisines/:id/acces', { config: { access: 'referral.access_log' } }, async (request, reply) => {
    const id = request.params.id
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      if (!isUuid(id)) return { me, log: null }
      try { return { me, log: await referralAccessLog(trx, request.principal!, id) } } catch (err) { if (err instanceof NotFound) return { me, log: null }; throw err }
    })
    if (!data.log) return kit.notFound(request, reply, data.me)
    const ref = data.log.referral.reference
    return kit.render(reply, 'access-log.hbs', {
      title: `Journal des accès : saisine ${ref}`, me: data.me, heading: `Journal des accès à la saisine ${ref}`, caption: `Affichages des données de l’usager de la saisine ${ref}, le plus récent d’abord`,
      back: { url: `/saisines/${id}`, label: `Retour à la saisine ${ref}` }, items: accessItems(data.log.items, data.me.timeZone),
    })
  })

  // The rights of access and erasure (the mission TIC): find a person, export her data, read who saw it, erase it.
  const subjectOf = (q: Record<string, unknown>) => ({ email: typeof q.email === 'string' ? q.email.slice(0, 320) : '', name: typeof q.name === 'string' ? q.name.slice(0, 200) : '' })
  const keyOf = (v: { email: string; name: string }) => ({ ...(v.email.trim() ? { email: v.email } : {}), ...(v.name.trim() ? { name: v.name } : {}) })
  async function renderSubjects(request: Parameters<typeof app.tx>[0], reply: Parameters<typeof kit.render>[0], values: { email: string; name: string }, extra: { done?: string; formError?: string; errors?: Record<string, string>; status?: number } = {}) {
    const searching = !!(values.email.trim() || values.name.trim())
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      if (!searching) return { me, items: [], errors: {} as Record<string, string> }
      try { return { me, items: (await findSubject(trx, request.principal!, keyOf(values))).items, errors: {} } } catch (err) {
        if (err instanceof DomainError && httpError(err).status === 400) return { me, items: [], errors: fieldErrors(err.details), invalid: true }
        throw err
      }
    })
    const errors = { ...data.errors, ...extra.errors }
    const failed = Object.keys(errors).length > 0 || !!extra.formError
    return kit.render(reply, 'subjects.hbs', {
      title: `${failed ? 'Erreur : ' : ''}Annuaire : droits des usagers`, section: 'usagers', me: data.me, values, errors, done: extra.done, formError: extra.formError,
      searched: searching && !Object.keys(data.errors).length, query: new URLSearchParams(keyOf(values)).toString().replace(/&/g, '&'),
      items: data.items.map((i) => ({ ...i, filed: longDate(i.filedAt, data.me.timeZone), statusLabel: STATUS_LABELS[i.status as keyof typeof STATUS_LABELS] ?? i.status })),
    }, extra.status ?? ('invalid' in data ? 400 : 200))
  }
  app.get<{ Querystring: Record<string, string> }>('/annuaire/usagers', { config: { access: 'privacy.subjects' } }, async (request, reply) => renderSubjects(request, reply, subjectOf(request.query ?? {})))
  app.get<{ Querystring: Record<string, string> }>('/annuaire/usagers/export', { config: { access: 'privacy.subjects' } }, async (request, reply) => {
    const values = subjectOf(request.query ?? {})
    const format = request.query?.format === 'pdf' ? 'pdf' : 'json'
    let data
    try {
      data = { x: await app.tx(request, (trx) => exportSubject(trx, request.principal!, keyOf(values), app.clock(), format)) }
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status === 400) return renderSubjects(request, reply, values, { errors: fieldErrors(err.details), status: 400 })
      throw err
    }
    const name = `donnees-personnelles-${data.x.exportedAt.slice(0, 10)}`
    if (format === 'pdf') return reply.type('application/pdf').header('content-disposition', `attachment; filename="${name}.pdf"`).send(await subjectPdf(data.x))
    return reply.type('application/json; charset=utf-8').header('content-disposition', `attachment; filename="${name}.json"`).send(JSON.stringify({ ...data.x, timeZone: undefined }, null, 2))
  })
  app.get<{ Querystring: Record<string, string> }>('/annuaire/usagers/acces', { config: { access: 'privacy.subjects' } }, async (request, reply) => {
    const values = subjectOf(request.query ?? {})
    let data
    try {
      data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), log: await subjectAccessLog(trx, request.principal!, keyOf(values)) }))
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status === 400) return renderSubjects(request, reply, values, { errors: fieldErrors(err.details), status: 400 })
      throw err
    }
    return kit.render(reply, 'access-log.hbs', {
      title: 'Journal des accès aux données d’une personne', me: data.me, heading: 'Journal des accès aux données d’une personne', showReferral: true,
      caption: `Affichages des données de la personne dans ses ${data.log.referrals.length} demande(s), le plus récent d’abord`,
      back: { url: `/annuaire/usagers?${new URLSearchParams(keyOf(values))}`, label: 'Retour à la recherche' }, items: accessItems(data.log.items, data.me.timeZone),
    })
  })
  app.post<{ Body: Record<string, string> }>('/annuaire/usagers/effacer', { config: { access: 'privacy.subjects' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const values = subjectOf(request.body ?? {})
    if (request.body?.confirm !== '1') return renderSubjects(request, reply, values, { errors: { confirm: 'Cochez la case pour confirmer l’effacement.' }, status: 400 })
    try {
      const done = await app.tx(request, (trx) => eraseSubject(trx, request.principal!, keyOf(values), app.clock()))
      return renderSubjects(request, reply, values, { done: `Les données de la personne ont été effacées de ${done.erased.length} demande(s) : ${done.erased.map((r) => r.reference).join(', ')}.` })
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status < 500) return renderSubjects(request, reply, values, { formError: err.message, status: httpError(err).status })
      throw err
    }
  })

  const SETTINGS_TITLE = 'Données personnelles des usagers'
  async function renderSettings(request: Parameters<typeof app.tx>[0], reply: Parameters<typeof kit.render>[0], extra: { values?: Record<string, string>; errors?: Record<string, string>; done?: string; status?: number } = {}) {
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), settings: await privacySettings(trx, request.principal!.tenantId) }))
    const s = data.settings
    const values = extra.values ?? { dpoContact: s.dpoContact, retentionMonths: String(s.retentionMonths), referentMailContact: s.referentMailContact ? '1' : '' }
    return kit.render(reply, 'privacy-settings.hbs', { title: `${extra.errors ? 'Erreur : ' : ''}Annuaire : ${SETTINGS_TITLE.toLowerCase()}`, section: 'donnees', me: data.me, values, errors: extra.errors ?? {}, done: extra.done, inherited: !s.own }, extra.status ?? 200)
  }
  app.get('/annuaire/donnees-personnelles', { config: { access: 'privacy.settings' } }, async (request, reply) => renderSettings(request, reply))
  app.post<{ Body: Record<string, string> }>('/annuaire/donnees-personnelles', { config: { access: 'privacy.settings' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const b = request.body ?? {}
    const values = { dpoContact: String(b.dpoContact ?? ''), retentionMonths: String(b.retentionMonths ?? ''), referentMailContact: b.referentMailContact === '1' ? '1' : '' }
    const months = /^\d{1,3}$/.test(values.retentionMonths.trim()) ? Number(values.retentionMonths.trim()) : NaN
    try {
      await app.tx(request, (trx) => changePrivacySettings(trx, request.principal!, { dpoContact: values.dpoContact.slice(0, 500), retentionMonths: months, referentMailContact: values.referentMailContact === '1' }, app.clock()))
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status === 400) return renderSettings(request, reply, { values, errors: fieldErrors(err.details), status: 400 })
      throw err
    }
    return renderSettings(request, reply, { done: 'Les règles ont été enregistrées.' })
  })
}

/** How a display happened, in words. */
export const VIA_LABELS: Record<string, string> = { page: 'Page de la saisine', api: 'Détail par l’API', print: 'Réponse imprimée pour l’usager', export: 'Export des données de la personne', download: 'Pièce jointe téléchargée' }

export function accessItems(items: AccessEntry[], timeZone: string) {
  return items.map((e) => ({ ...e, iso: e.at, at: longDate(e.at, timeZone), viaLabel: VIA_LABELS[e.via] ?? e.via, role: ROLE_LABELS[e.person.role as keyof typeof ROLE_LABELS] ?? e.person.role }))
}
