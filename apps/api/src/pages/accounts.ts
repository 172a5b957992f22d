// Issue 13's pages: « Mot de passe oublié ? », the links mailed to choose a password (invitation, reset), « Mon compte »
// (change one's password) and the mission TIC's invitation form. The rules are packages/auth and packages/directory's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DomainError, ROLE_LABELS, dateTimeFr, isUuid } from '@relais/core'
import type { DirectoryRole } from '@relais/core/directory'
import { accountLinkKey } from '@relais/db/credentials'
import { changePassword, inspectLink, requestPasswordReset, useAccountLink } from '@relais/auth'
import { invitePerson } from '@relais/directory/invitations'
import { listOrganisations } from '@relais/directory/organisations'
import { profileOf } from '@relais/directory'
import { httpError } from '../plugins/errors.ts'
import { errorItems, fieldErrors } from './format.ts'

const RESET_ANSWER = 'Si un compte existe à cette adresse, un courriel vient d’y être envoyé avec un lien pour choisir un nouveau mot de passe (valable une heure).'
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

const LINK_FIELDS = { password: { id: 'mdp', label: 'Mot de passe' }, confirm: { id: 'mdp-confirmation', label: 'Confirmation' } }
const ACCOUNT_FIELDS = {
  currentPassword: { id: 'mdp-actuel', label: 'Mot de passe actuel' }, newPassword: { id: 'mdp-nouveau', label: 'Nouveau mot de passe' },
  confirm: { id: 'mdp-confirmation', label: 'Confirmation' },
}
export const INVITE_FIELDS = {
  organisationId: { id: 'invite-organisme', label: 'Organisme' }, name: { id: 'invite-nom', label: 'Nom et prénom' },
  email: { id: 'invite-courriel', label: 'Adresse électronique' }, role: { id: 'invite-role', label: 'Rôle' },
}

/** The form's fields checked before the use case: every problem at once, next to its field. */
export function invitationFieldErrors(values: { name: string; email: string; role: string }, roles: readonly string[]): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!values.name.trim()) errors.name = 'Saisissez le nom et le prénom.'
  else if (values.name.length > 200) errors.name = 'Le nom ne doit pas dépasser 200 caractères.'
  if (!EMAIL.test(values.email.trim()) || values.email.length > 254) errors.email = 'Saisissez une adresse électronique valide (nom@exemple.fr).'
  if (!roles.includes(values.role)) errors.role = 'Choisissez un rôle.'
  return errors
}

const KINDS = {
  invitation: {
    path: '/compte/invitation', heading: 'Bienvenue dans Relais', button: 'Créer mon compte',
    intro: 'Vous avez été invitée à rejoindre Relais. Choisissez votre mot de passe pour ouvrir votre compte.',
  },
  password_reset: {
    path: '/compte/nouveau-mot-de-passe', heading: 'Nouveau mot de passe', button: 'Enregistrer le mot de passe',
    intro: 'Choisissez votre nouveau mot de passe. Toutes vos sessions ouvertes seront fermées.',
  },
} as const

export async function accountPages(app: FastifyInstance) {
  const kit = app.pages
  const linkKey = accountLinkKey(app.config.JWT_SECRET)
  const publicForm = { config: { access: 'public' as const }, preHandler: app.csrfProtection }

  // ---------------------------------------------------------------- forgotten password

  app.get('/mot-de-passe-oublie', { config: { access: 'public' } }, async (_request, reply) => kit.render(reply, 'password-forgotten.hbs', { title: 'Mot de passe oublié', values: {} }))

  app.post<{ Body: { email?: string } }>('/mot-de-passe-oublie', publicForm, async (request, reply) => {
    const email = String(request.body?.email ?? '').trim()
    const fail = (message: string, status: number, field = true) => kit.render(reply, 'password-forgotten.hbs', {
      title: 'Erreur : Mot de passe oublié', values: { email }, failed: true, errors: field ? { email: message } : {},
      formError: field ? undefined : message, summaryItems: field ? errorItems({ email: message }, { email: { id: 'email', label: 'Adresse électronique' } }) : [],
    }, status)
    if (!EMAIL.test(email) || email.length > 254) return fail('Saisissez une adresse électronique valide (nom@exemple.fr).', 400)
    try {
      await requestPasswordReset({ db: app.db, redis: app.redis, redisPrefix: app.config.REDIS_PREFIX, linkKey, now: app.clock }, { email, ip: request.ip }, request.log)
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status === 429) return fail(err.message, 429, false)
      throw err
    }
    // The same answer whether or not the address has an account.
    return kit.render(reply, 'password-forgotten.hbs', { title: 'Mot de passe oublié', sent: RESET_ANSWER })
  })

  // ---------------------------------------------------------------- links from the mails

  for (const kind of ['invitation', 'password_reset'] as const) {
    const words = KINDS[kind]
    async function renderLink(reply: FastifyReply, token: string, extra: { errors?: Record<string, string>; formError?: string; status?: number } = {}) {
      try {
        const link = await inspectLink(app.db, token, kind, app.clock())
        const errors = extra.errors ?? {}
        return kit.render(reply, 'account-link.hbs', {
          title: `${Object.keys(errors).length || extra.formError ? 'Erreur : ' : ''}${words.heading}`, ...words, action: words.path, token, link,
          expires: dateTimeFr(link.expiresAt, link.timeZone), errors, failed: Object.keys(errors).length > 0 || !!extra.formError,
          formError: extra.formError, summaryItems: errorItems(errors, LINK_FIELDS),
        }, extra.status ?? 200)
      } catch (err) {
        if (err instanceof DomainError && httpError(err).status === 400) {
          return kit.render(reply, 'account-link.hbs', { title: `Lien non valable`, heading: 'Lien non valable', refused: err.message }, 400)
        }
        throw err
      }
    }

    app.get<{ Querystring: { jeton?: string } }>(words.path, { config: { access: 'public' } }, async (request, reply) => renderLink(reply, String(request.query.jeton ?? '').slice(0, 300)))

    app.post<{ Body: { jeton?: string; password?: string; confirm?: string } }>(words.path, publicForm, async (request, reply) => {
      const b = request.body ?? {}
      const token = String(b.jeton ?? '').slice(0, 300)
      const password = String(b.password ?? '')
      const errors: Record<string, string> = {}
      if (!password) errors.password = 'Choisissez un mot de passe.'
      else if (password !== String(b.confirm ?? '')) errors.confirm = 'Les deux mots de passe ne sont pas identiques.'
      if (Object.keys(errors).length) return renderLink(reply, token, { errors, status: 400 })
      try {
        const { email } = await useAccountLink(app.db, { token, password }, kind, app.clock())
        const tokens = await kit.sessions.login(request, reply, { email, password })
        kit.setAccessCookie(reply, tokens.accessToken)
      } catch (err) {
        if (err instanceof DomainError && httpError(err).status === 400) {
          const fields = fieldErrors(err.details)
          if (fields.token) return renderLink(reply, token)
          return renderLink(reply, token, { errors: fields, formError: Object.keys(fields).length ? undefined : err.message, status: 400 })
        }
        throw err
      }
      return reply.redirect(kind === 'invitation' ? '/' : '/compte?fait=nouveau', 303)
    })
  }

  // ---------------------------------------------------------------- « Mon compte »

  const DONE: Record<string, string> = {
    mdp: 'Votre mot de passe est changé. Vos autres sessions sont fermées.',
    nouveau: 'Votre nouveau mot de passe est enregistré. Vos autres sessions sont fermées.',
  }
  async function renderAccount(request: FastifyRequest, reply: FastifyReply, extra: { errors?: Record<string, string>; formError?: string; status?: number } = {}) {
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), profile: await profileOf(trx, request.principal!) }))
    const errors = extra.errors ?? {}
    const fait = (request.query as Record<string, string | undefined>).fait
    return kit.render(reply, 'account.hbs', {
      title: `${Object.keys(errors).length || extra.formError ? 'Erreur : ' : ''}Mon compte`, ...data, errors, formError: extra.formError,
      failed: Object.keys(errors).length > 0 || !!extra.formError, summaryItems: errorItems(errors, ACCOUNT_FIELDS), done: fait ? DONE[fait] : undefined,
    }, extra.status ?? 200)
  }

  app.get('/compte', { config: { access: 'account.password' } }, async (request, reply) => renderAccount(request, reply))

  app.post<{ Body: { currentPassword?: string; newPassword?: string; confirm?: string } }>('/compte/mot-de-passe', { config: { access: 'account.password' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const b = request.body ?? {}
    const currentPassword = String(b.currentPassword ?? '')
    const newPassword = String(b.newPassword ?? '')
    const errors: Record<string, string> = {}
    if (!currentPassword) errors.currentPassword = 'Saisissez votre mot de passe actuel.'
    if (!newPassword) errors.newPassword = 'Choisissez un nouveau mot de passe.'
    else if (newPassword !== String(b.confirm ?? '')) errors.confirm = 'Les deux mots de passe ne sont pas identiques.'
    if (currentPassword.length > 256 || newPassword.length > 256) errors.newPassword = 'Le mot de passe ne doit pas dépasser 256 caractères.'
    if (Object.keys(errors).length) return renderAccount(request, reply, { errors, status: 400 })
    let email: string
    try {
      email = await app.tx(request, async (trx) => {
        await changePassword(trx, request.principal!, { currentPassword, newPassword })
        return (await profileOf(trx, request.principal!)).person.email
      })
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status === 400) {
        const fields = fieldErrors(err.details)
        return renderAccount(request, reply, { errors: fields, formError: Object.keys(fields).length ? undefined : err.message, status: 400 })
      }
      throw err
    }
    // Every session ended with the old password, this one too: she continues in a new one.
    const tokens = await kit.sessions.login(request, reply, { email, password: newPassword })
    kit.setAccessCookie(reply, tokens.accessToken)
    return reply.redirect('/compte?fait=mdp#resultat', 303)
  })

  // ---------------------------------------------------------------- the mission TIC invites anyone

  const INVITE_ROLES = ['secretary', 'referent', 'org_admin', 'network_admin'] as const
  async function renderInvite(request: FastifyRequest, reply: FastifyReply, extra: { values?: Record<string, string>; errors?: Record<string, string>; formError?: string; status?: number } = {}) {
    const q = request.query as Record<string, string | undefined>
    const values = { role: 'org_admin', organisationId: isUuid(q.organisme) ? q.organisme : '', ...extra.values }
    const data = await app.tx(request, async (trx) => ({
      me: await kit.me(trx, request),
      orgs: (await listOrganisations(trx, request.principal!, {}, undefined, 2000)).map((o) => ({ id: o.id, name: o.name, selected: o.id === values.organisationId })),
    }))
    const errors = extra.errors ?? {}
    return kit.render(reply, 'directory-invite.hbs', {
      title: `${Object.keys(errors).length || extra.formError ? 'Erreur : ' : ''}Inviter une personne`, ...data, section: 'inviter', values, errors,
      failed: Object.keys(errors).length > 0 || !!extra.formError, formError: extra.formError, summaryItems: errorItems(errors, INVITE_FIELDS),
      done: q.fait === 'invitation' ? `L’invitation est envoyée${q.a ? ` à ${q.a.slice(0, 254)}` : ''} : le lien reste valable 7 jours.` : undefined,
      roles: INVITE_ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r], selected: r === values.role })),
    }, extra.status ?? 200)
  }

  app.get('/annuaire/inviter', { config: { access: 'directory.browse' } }, async (request, reply) => renderInvite(request, reply))

  app.post<{ Body: Record<string, string> }>('/annuaire/inviter', { config: { access: 'directory.browse' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const b = request.body ?? {}
    const values = { organisationId: String(b.organisationId ?? ''), name: String(b.name ?? ''), email: String(b.email ?? '').trim(), role: String(b.role ?? '') }
    const errors = invitationFieldErrors(values, INVITE_ROLES)
    if (!isUuid(values.organisationId)) errors.organisationId = 'Choisissez un organisme.'
    if (Object.keys(errors).length) return renderInvite(request, reply, { values, errors, status: 400 })
    try {
      await app.tx(request, (trx) => invitePerson(trx, request.principal!, values.organisationId, { ...values, role: values.role as DirectoryRole }, { linkKey, now: app.clock() }))
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status < 500) {
        const fields = fieldErrors(err.details)
        if (httpError(err).status === 404) fields.organisationId = 'Cet organisme est introuvable.'
        return renderInvite(request, reply, { values, errors: fields, formError: Object.keys(fields).length ? undefined : err.message, status: httpError(err).status })
      }
      throw err
    }
    return reply.redirect(`/annuaire/inviter?${new URLSearchParams({ fait: 'invitation', a: values.email, organisme: values.organisationId })}#resultat`, 303)
  })
}
