// An organisation admin's pages: invite a person (she chooses her own password from the mail's link, issue 13),
// change a role, set an absence and a backup, deactivate. The rules are the directory's use cases, as in the API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DomainError, ROLE_LABELS, isUuid } from '@relais/core'
import type { DirectoryRole } from '@relais/core/directory'
import { deactivatePerson, getPerson, listPeople, updatePerson } from '@relais/directory/people'
import { invitePerson } from '@relais/directory/invitations'
import { accountLinkKey } from '@relais/db/credentials'
import { invitationFieldErrors } from './accounts.ts'
import { httpError } from '../plugins/errors.ts'
import { errorItems, fieldErrors } from './format.ts'
import { peopleRows } from './admin.ts'
import { localInstant } from './referrals.ts'

const ORG_ROLES: DirectoryRole[] = ['referent', 'secretary', 'org_admin']

const NEW_FIELDS = {
  name: { id: 'nouveau-nom', label: 'Nom et prénom' }, email: { id: 'nouveau-courriel', label: 'Adresse électronique' },
  role: { id: 'nouveau-role', label: 'Rôle' }, organisationId: { id: 'nouveau-nom', label: 'Organisme' },
}
const PERSON_FIELDS = {
  role: { id: 'role', label: 'Rôle' }, absentFrom: { id: 'absence-debut', label: 'Absent à partir du' }, absentUntil: { id: 'absence-fin', label: 'Jusqu’au (inclus)' },
  backupPersonId: { id: 'suppleant', label: 'Suppléant' }, confirm: { id: 'desactiver-confirmer', label: 'Confirmation' },
}

const DONE: Record<string, string> = {
  ajout: 'L’invitation est envoyée : la personne choisira son mot de passe avec le lien reçu par courriel (valable 7 jours).', role: 'Le rôle a été changé.',
  absence: 'L’absence et le suppléant sont enregistrés : pendant l’absence, les saisines vont au suppléant.', desactivation: 'Le compte est désactivé : ses sessions sont fermées.',
}

/** « 2026-12-01 » → that day at 00:00 in the tenant's zone; the end of an absence is the next day's start (the day is included). */
function localDay(value: string | undefined, timeZone: string, end = false): Date | null | 'invalid' {
  if (!value) return null
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!m) return 'invalid'
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])]
  const day = new Date(Date.UTC(y, mo, d))
  if (day.getUTCMonth() !== mo || day.getUTCDate() !== d) return 'invalid'
  if (end) day.setUTCDate(d + 1)
  return localInstant(`${day.toISOString().slice(0, 10)}T00:00`, timeZone) ?? 'invalid'
}
const dayOf = (d: Date | null, timeZone: string, end = false) => {
  if (!d) return ''
  const t = end ? new Date(d.getTime() - 60_000) : d
  return new Intl.DateTimeFormat('fr-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(t)
}

export async function orgAdminPages(app: FastifyInstance) {
  const kit = app.pages
  const linkKey = accountLinkKey(app.config.JWT_SECRET)
  const access = { config: { access: 'organisation.people' as const } }
  const form = { config: { access: 'organisation.people' as const }, preHandler: app.csrfProtection }

  async function renderPerson(request: FastifyRequest, reply: FastifyReply, id: string, extra: { failed?: string; errors?: Record<string, string>; values?: Record<string, string>; formError?: string; status?: number } = {}) {
    const p = request.principal!
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      let person
      try { person = await getPerson(trx, p, id) } catch (err) { if (err instanceof DomainError && [403, 404].includes(httpError(err).status)) return { me, person: null, colleagues: [] }; throw err }
      if (person.organisationId !== p.organisationId) return { me, person: null, colleagues: [] }
      const colleagues = (await listPeople(trx, p, { organisationId: p.organisationId }, undefined, 500)).filter((c) => c.id !== person.id && c.active)
      return { me, person, colleagues }
    })
    if (!data.person) return kit.notFound(request, reply, data.me)
    const person = data.person
    const v = { role: person.role, absentFrom: dayOf(person.absentFrom, data.me.timeZone), absentUntil: dayOf(person.absentUntil, data.me.timeZone, true), backupPersonId: person.backupPersonId ?? '', ...extra.values }
    const errors = extra.errors ?? {}
    const q = request.query as Record<string, string | undefined>
    return kit.render(reply, 'org-person.hbs', {
      title: `${extra.failed ? 'Erreur : ' : ''}${person.name}`, me: data.me, person, values: v, errors, failed: extra.failed, formError: extra.formError,
      summaryItems: errorItems(errors, PERSON_FIELDS), done: q.fait ? DONE[q.fait] : undefined, self: person.id === p.personId,
      roles: ORG_ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r], selected: r === v.role })),
      colleagues: data.colleagues.map((c) => ({ id: c.id, name: c.name, selected: c.id === v.backupPersonId })),
    }, extra.status ?? 200)
  }

  async function renderList(request: FastifyRequest, reply: FastifyReply, extra: { errors?: Record<string, string>; values?: Record<string, string>; formError?: string; status?: number } = {}) {
    const p = request.principal!
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      return { me, people: peopleRows(await listPeople(trx, p, { organisationId: p.organisationId }, undefined, 500), app.clock(), me.timeZone) }
    })
    const errors = extra.errors ?? {}
    const values = { role: 'referent', ...extra.values }
    const q = request.query as Record<string, string | undefined>
    return kit.render(reply, 'org-people.hbs', {
      title: `${Object.keys(errors).length || extra.formError ? 'Erreur : ' : ''}Personnes de l’organisme`, ...data, manage: true, values, errors,
      failed: Object.keys(errors).length > 0 || !!extra.formError, formError: extra.formError, summaryItems: errorItems(errors, NEW_FIELDS),
      done: q.fait ? DONE[q.fait] : undefined,
      roles: ORG_ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r], selected: r === values.role })),
    }, extra.status ?? 200)
  }

  app.get('/organisation/personnes', access, async (request, reply) => renderList(request, reply))

  app.post<{ Body: Record<string, string> }>('/organisation/personnes', form, async (request, reply) => {
    const p = request.principal!
    const b = request.body ?? {}
    const values = { name: String(b.name ?? ''), email: String(b.email ?? ''), role: String(b.role ?? '') }
    const errors = invitationFieldErrors(values, ORG_ROLES)
    if (Object.keys(errors).length) return renderList(request, reply, { errors, values, status: 400 })
    try {
      await app.tx(request, (trx) => invitePerson(trx, p, p.organisationId, { name: values.name, email: values.email.trim(), role: values.role as DirectoryRole }, { linkKey, now: app.clock() }))
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status < 500) {
        const fields = fieldErrors(err.details)
        return renderList(request, reply, { errors: fields, values, formError: Object.keys(fields).length ? undefined : err.message, status: httpError(err).status })
      }
      throw err
    }
    return reply.redirect('/organisation/personnes?fait=ajout#resultat', 303)
  })

  app.get<{ Params: { id: string } }>('/organisation/personnes/:id', access, async (request, reply) => {
    if (!isUuid(request.params.id)) return kit.notFound(request, reply)
    return renderPerson(request, reply, request.params.id)
  })

  /** One change of a person through the use case; a refused one comes back in its form with its fields marked. */
  async function change(request: FastifyRequest<{ Params: { id: string }; Body: Record<string, string> }>, reply: FastifyReply, failed: string, values: Record<string, string>, errors: Record<string, string>, run: () => Promise<unknown>, done: string) {
    const id = request.params.id
    if (!isUuid(id)) return kit.notFound(request, reply)
    if (Object.keys(errors).length) return renderPerson(request, reply, id, { failed, errors, values, status: 400 })
    try {
      await run()
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status < 500) {
        if (httpError(err).status === 404) return kit.notFound(request, reply)
        const fields = fieldErrors(err.details)
        return renderPerson(request, reply, id, { failed, errors: fields, values, formError: Object.keys(fields).length ? undefined : err.message, status: httpError(err).status })
      }
      throw err
    }
    return reply.redirect(done === 'desactivation' ? `/organisation/personnes?fait=${done}#resultat` : `/organisation/personnes/${id}?fait=${done}#resultat`, 303)
  }

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/organisation/personnes/:id/role', form, async (request, reply) => {
    const role = String(request.body?.role ?? '')
    const errors: Record<string, string> = ORG_ROLES.includes(role as DirectoryRole) ? {} : { role: 'Choisissez un rôle.' }
    return change(request, reply, 'role', { role }, errors, () => app.tx(request, (trx) => updatePerson(trx, request.principal!, request.params.id, { role: role as DirectoryRole })), 'role')
  })

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/organisation/personnes/:id/absence', form, async (request, reply) => {
    const b = request.body ?? {}
    const values = { absentFrom: String(b.absentFrom ?? ''), absentUntil: String(b.absentUntil ?? ''), backupPersonId: String(b.backupPersonId ?? '') }
    const timeZone = (await app.tx(request, (trx) => kit.me(trx, request))).timeZone
    const from = localDay(values.absentFrom, timeZone)
    const until = localDay(values.absentUntil, timeZone, true)
    const errors: Record<string, string> = {}
    if (from === 'invalid') errors.absentFrom = 'Date invalide (jj/mm/aaaa).'
    if (until === 'invalid') errors.absentUntil = 'Date invalide (jj/mm/aaaa).'
    if (!from && until && until !== 'invalid') errors.absentFrom = 'Indiquez aussi le premier jour d’absence.'
    if (values.backupPersonId && !isUuid(values.backupPersonId)) errors.backupPersonId = 'Choisissez un suppléant dans la liste.'
    return change(request, reply, 'absence', values, errors, () => app.tx(request, (trx) => updatePerson(trx, request.principal!, request.params.id, {
      absentFrom: from as Date | null, absentUntil: until as Date | null, backupPersonId: values.backupPersonId || null,
    })), 'absence')
  })

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/organisation/personnes/:id/desactiver', form, async (request, reply) => {
    const errors: Record<string, string> = request.body?.confirm === '1' ? {} : { confirm: 'Cochez la case pour confirmer la désactivation.' }
    return change(request, reply, 'desactiver', {}, errors, () => app.tx(request, (trx) => deactivatePerson(trx, request.principal!, request.params.id)), 'desactivation')
  })
}
