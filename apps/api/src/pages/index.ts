// The extranet: server-rendered French pages over the same service functions as the JSON API.
// Encapsulated (not fastify-plugin): its form parser, views, CSRF and error pages stay out of the API.
import { createHmac } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import Handlebars from 'handlebars'
import fastifyView from '@fastify/view'
import fastifyFormbody from '@fastify/formbody'
import fastifyStatic from '@fastify/static'
import fastifyCsrf from '@fastify/csrf-protection'
import { DomainError, mayAttempt, ONBOARDING_ACTIONS, reachOf, type Action, type PersonRole } from '@relais/core'
import { httpError, UNAVAILABLE_MESSAGE } from '../plugins/errors.ts'
import type { Tx } from '@relais/db'
import { profileOf } from '@relais/directory'
import { ACCESS_COOKIE, accessCookieOptions, type HttpSessions } from '../plugins/auth.ts'
import { ROLE_LABELS } from './format.ts'
import { referralPages } from './referrals.ts'
import { adminPages } from './admin.ts'
import { orgAdminPages } from './org-admin.ts'
import { networkAdminPages } from './network-admin.ts'
import { directoryEditPages } from './directory-edit.ts'
import { journalPages } from './journal.ts'
import { appointmentPages } from './appointments.ts'
import { livePages } from './live.ts'
import { fichePages } from './fiches.ts'
import { accountPages } from './accounts.ts'
import { statsPages } from './stats.ts'
import { citizenPages } from './citizen.ts'
import { conventionPages } from './conventions.ts'
import { onboardingPages } from './onboarding.ts'
import { conventionRegisterPages } from './convention-register.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const VIEWS = path.resolve(here, '../../views')
const PUBLIC = path.resolve(here, '../../public')

declare module 'fastify' {
  interface FastifyInstance {
    pages: PageKit
  }
}

export interface Me {
  name: string; organisation: string; role: string; roleLabel: string; nav: { href: string; label: string; current: boolean }[]
  /** The tenant's time zone, for every time shown or read, and its promise (« 3 jours ouvrés ») for the footer. */
  timeZone: string; promise: string
}

// Who may open a page is its route's `config.access` (an action of the access table); the auth plugin's hook checks it.
export interface PageKit {
  /** Who is logged in, for the page header; read in the page's own transaction. */
  me(trx: Tx, request: FastifyRequest): Promise<Me>
  render(reply: FastifyReply, template: string, data: Record<string, unknown>, status?: number): Promise<FastifyReply>
  /** Renders the French 404 page. */
  notFound(request: FastifyRequest, reply: FastifyReply, me?: Me): Promise<FastifyReply>
  setAccessCookie(reply: FastifyReply, token: string): void
  sessions: HttpSessions
}

/**
 * A page of ours to come back to after login, never another site: the value is resolved against PUBLIC_URL as a
 * browser would, and only a path on that same origin is kept (normalised). Control characters (which a browser
 * strips, "/\t/evil" becoming "//evil", or which a Location header cannot carry) and backslashes are refused.
 */
export function safeReturn(value: unknown, publicUrl: string): string | null {
  if (typeof value !== 'string' || !value.startsWith('/') || value.length > 500 || /[\u0000-\u001f\u007f\\]/.test(value)) return null
  let url: URL
  try { url = new URL(value, publicUrl) } catch { return null }
  if (url.origin !== new URL(publicUrl).origin) return null
  const path = `${url.pathname}${url.search}${url.hash}`
  return path.startsWith('/') && !path.startsWith('//') ? path : null
}

function handlebars() {
  const hb = Handlebars.create()
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b)
  // The first truthy argument (so `(or formError "…")` gives a default), false when none is.
  hb.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).find(Boolean) ?? false)
  hb.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''))
  hb.registerHelper('lookupField', (obj: Record<string, string> | undefined, key: string) => obj?.[key])
  return hb
}

/** The menu: each entry shows to the roles the access table lets open its page. */
const NAV: [href: string, action: Action, label: (role: PersonRole) => string][] = [
  ['/adhesion', 'onboarding.read', () => 'Adhésion'],
  ['/tableau-de-bord', 'network.overview', () => 'Tableau de bord'],
  ['/saisines', 'referral.read', (role) => ({ own_mairie: 'Saisines de la mairie', holder: 'Saisines reçues' } as Record<string, string>)[reachOf(role, 'referral.read') ?? ''] ?? 'Saisines'],
  ['/saisines/nouvelle', 'referral.file', () => 'Nouvelle saisine'],
  ['/triage', 'network.overview', () => 'File de tri'],
  ['/courriels', 'mails.read', () => 'Courriels en échec'],
  ['/annuaire/organisations', 'directory.browse', () => 'Annuaire'],
  ['/organisation/personnes', 'organisation.people', () => 'Personnes de l’organisme'],
  ['/fiches', 'fiche.read', () => 'Base de connaissance'],
  ['/journal', 'audit.read', () => 'Journal des modifications'],
  ['/statistiques', 'stats.read', () => 'Statistiques'],
  ['/conventions', 'convention.read', () => 'Conventions'],
  ['/rendez-vous', 'appointment.read', () => 'Rendez-vous'],
  ['/lieux', 'place.read', () => 'Lieux d’accueil'],
]

export async function pagesPlugin(app: FastifyInstance) {
  const production = app.config.NODE_ENV === 'production'
  await app.register(fastifyFormbody)
  await app.register(fastifyStatic, { root: PUBLIC, prefix: '/static/', decorateReply: false, maxAge: production ? 3600_000 : 0 })
  await app.register(fastifyView, {
    engine: { handlebars: handlebars() },
    root: VIEWS,
    layout: 'layouts/main.hbs',
    production,
    options: { partials: { fieldError: 'partials/field-error.hbs', referralTable: 'partials/referral-table.hbs', directoryNav: 'partials/directory-nav.hbs', peopleTable: 'partials/people-table.hbs', ficheSuggestions: 'partials/fiche-suggestions.hbs', errorSummary: 'partials/error-summary.hbs', appointmentCard: 'partials/appointment-card.hbs', waiting: 'partials/waiting.hbs', statsBody: 'partials/stats-body.hbs', privacyNotice: 'partials/privacy-notice.hbs', attachmentList: 'partials/attachment-list.hbs' } },
  })
  // A form's token is bound to the session that received it (the access token's session family, or « anonyme »
  // before login): a CSRF cookie planted by someone else (cookie tossing) comes with a token for another session.
  const sessionOf = (request: FastifyRequest) => request.principal?.sessionId ?? 'anonyme'
  await app.register(fastifyCsrf, {
    cookieKey: 'relais_csrf',
    cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure: production },
    getUserInfo: sessionOf,
    csrfOpts: { userInfo: true, hmacKey: createHmac('sha256', app.config.JWT_SECRET).update('relais csrf').digest('base64url') },
  })

  const kit: PageKit = {
    sessions: app.sessions,
    setAccessCookie(reply, token) { reply.setCookie(ACCESS_COOKIE, token, accessCookieOptions(production)) },
    async me(trx, request) {
      const p = request.principal!
      const who = await profileOf(trx, p)
      const url = request.url.split('?')[0]
      return {
        name: who.person.name, organisation: who.organisation.name, role: p.role, roleLabel: ROLE_LABELS[p.role] ?? p.role,
        timeZone: who.tenant.timeZone, promise: who.tenant.promise,
        // While her organisation is onboarding, only the onboarding pages; afterwards the checklist leaves the menu.
        nav: NAV.filter(([href, action]) => mayAttempt(p.role, action) && (p.onboarding ? ONBOARDING_ACTIONS.has(action) : href !== '/adhesion')).map(([href, , label]) => ({ href, label: label(p.role), current: url === href })),
      }
    },
    async render(reply, template, data, status = 200) {
      const csrfToken = reply.generateCsrf({ userInfo: sessionOf(reply.request) })
      reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8')
      return reply.viewAsync(template, { ...data, csrfToken }) as unknown as Promise<FastifyReply>
    },
    async notFound(request, reply, me) {
      return kit.render(reply, 'error.hbs', { title: 'Page introuvable', me, heading: 'Page introuvable', message: 'Cette page n’existe pas, ou vous n’y avez pas accès.' }, 404)
    },
  }
  app.decorate('pages', kit)

  // Errors on pages are pages too: French, with the layout, never JSON; the status is the API's (one mapping).
  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
      return kit.render(reply, 'error.hbs', { title: 'Formulaire expiré', heading: 'Formulaire expiré', message: 'Ce formulaire a expiré ou ne vient pas de Relais. Revenez à la page précédente, rechargez-la et recommencez.' }, 403)
    }
    const { status, message } = httpError(err)
    if (status === 404) return kit.notFound(request, reply)
    if (status === 503) {
      request.log.error({ err }, 'database unavailable')
      reply.header('retry-after', '5')
      return kit.render(reply, 'error.hbs', { title: 'Service indisponible', heading: 'Service momentanément indisponible', message: UNAVAILABLE_MESSAGE }, 503)
    }
    if (err instanceof DomainError && err.code === 'onboarding_only') {
      return kit.render(reply, 'error.hbs', { title: 'Adhésion en cours', heading: 'Adhésion en cours', message: err.message, link: { href: '/adhesion', label: 'Voir les étapes de l’adhésion' } }, 403)
    }
    if (status < 500) {
      const heading = err instanceof DomainError ? 'Action impossible' : 'Requête invalide'
      return kit.render(reply, 'error.hbs', { title: heading, heading, message: err instanceof DomainError ? message : 'La requête est invalide.' }, status)
    }
    request.log.error({ err }, 'page error')
    return kit.render(reply, 'error.hbs', { title: 'Erreur', heading: 'Une erreur est survenue', message: 'Une erreur interne est survenue. L’équipe technique a été prévenue : réessayez dans quelques instants.' }, 500)
  })

  await app.register(authPages)
  await app.register(referralPages)
  await app.register(adminPages)
  await app.register(orgAdminPages)
  await app.register(networkAdminPages)
  await app.register(directoryEditPages)
  await app.register(journalPages)
  await app.register(appointmentPages)
  await app.register(livePages)
  await app.register(fichePages)
  await app.register(accountPages)
  await app.register(statsPages)
  await app.register(citizenPages)
  await app.register(conventionPages)
  await app.register(onboardingPages)
  await app.register(conventionRegisterPages)

  // Any other address opened in a browser: the French 404 page, not the API's JSON (which /api/ keeps).
  app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    if (request.url.startsWith('/api/')) return reply.code(404).send({ error: { code: 'not_found', message: 'Cette adresse n’existe pas.' } })
    return kit.notFound(request, reply)
  })
}

async function authPages(app: FastifyInstance) {
  const kit = app.pages

  app.get('/', { config: { access: 'me.read' } }, async (request, reply) => {
    const p = request.principal!
    return reply.redirect(p.onboarding ? '/adhesion' : mayAttempt(p.role, 'network.overview') ? '/tableau-de-bord' : '/saisines', 303)
  })

  app.get<{ Querystring: { retour?: string } }>('/connexion', { config: { access: 'public' } }, async (request, reply) => {
    const retour = safeReturn(request.query.retour, app.config.PUBLIC_URL)
    return kit.render(reply, 'login.hbs', { title: 'Connexion', retour, values: {} })
  })

  app.post<{ Body: { email?: string; password?: string; retour?: string } }>('/connexion', { config: { access: 'public' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const body = request.body ?? {}
    const email = String(body.email ?? '').trim()
    const password = String(body.password ?? '')
    const retour = safeReturn(body.retour, app.config.PUBLIC_URL)
    const errors: Record<string, string> = {}
    if (!email) errors.email = 'Saisissez votre adresse électronique.'
    if (!password) errors.password = 'Saisissez votre mot de passe.'
    if (email.length > 254 || password.length > 256) errors.email = 'Adresse électronique ou mot de passe incorrect.'
    if (Object.keys(errors).length) return kit.render(reply, 'login.hbs', { title: 'Connexion', retour, values: { email }, errors }, 400)
    try {
      const tokens = await kit.sessions.login(request, reply, { email, password })
      kit.setAccessCookie(reply, tokens.accessToken)
    } catch (err) {
      if (err instanceof DomainError) return kit.render(reply, 'login.hbs', { title: 'Connexion', retour, values: { email }, formError: err.message }, httpError(err).status)
      throw err
    }
    return reply.redirect(retour ?? '/', 303)
  })

  // The legal pages every public site carries, linked from the footer, readable without an account.
  const legal: [path: string, template: string, title: string][] = [
    ['/mentions-legales', 'legal/mentions.hbs', 'Mentions légales'],
    ['/donnees-personnelles', 'legal/data.hbs', 'Données personnelles'],
    ['/accessibilite', 'legal/accessibility.hbs', 'Déclaration d’accessibilité'],
  ]
  for (const [url, template, title] of legal) {
    app.get(url, { config: { access: 'public' } }, async (_request, reply) => kit.render(reply, template, { title }))
  }

  app.get('/deconnexion', { config: { access: 'me.read' } }, async (request, reply) => {
    const me = await app.tx(request, (trx) => kit.me(trx, request))
    return kit.render(reply, 'logout.hbs', { title: 'Déconnexion', me })
  })

  // Logged in, so that the form's token (bound to the session) can be checked; without a session there is nothing to end.
  app.post('/deconnexion', { config: { access: 'me.read' }, preHandler: app.csrfProtection }, async (request, reply) => {
    await kit.sessions.logout(request, reply)
    reply.clearCookie(ACCESS_COOKIE, { path: '/' })
    return reply.redirect('/connexion?sortie=1', 303)
  })
}
