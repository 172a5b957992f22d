// The citizen's pages (issue 18): /suivi (no login), the printable acknowledgement of receipt, and the mission TIC's
// settings for citizens' data. The rules are the use cases'; these routes only translate.
import type { FastifyInstance } from 'fastify'
import { DomainError, NotFound, ROLE_LABELS, isUuid } from '@relais/core'
import { LoginThrottle } from '@relais/auth'
import { referralAccessLog, type AccessEntry, changePrivacySettings, printReceipt, privacySettings, trackReferral, TrackingThrottled } from '@relais/referrals'
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
export const VIA_LABELS: Record<string, string> = { page: 'Page de la saisine', api: 'Détail par l’API', print: 'Réponse imprimée pour l’usager', export: 'Export des données de la personne' }

export function accessItems(items: AccessEntry[], timeZone: string) {
  return items.map((e) => ({ ...e, iso: e.at, at: longDate(e.at, timeZone), viaLabel: VIA_LABELS[e.via] ?? e.via, role: ROLE_LABELS[e.person.role as keyof typeof ROLE_LABELS] ?? e.person.role }))
}
