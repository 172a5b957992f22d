// Issue 13's convention pages: the versions per kind of organisation, one version (its text, hash and dates), and the
// mission TIC's form to publish a new one. The rules are packages/directory/src/conventions.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DomainError, dateTimeFr, isUuid, mayAttempt } from '@relais/core'
import { CONVENTION_KINDS, CONVENTION_KIND_LABELS, type ConventionKind } from '@relais/core/conventions'
import { getConvention, listConventions, publishConvention } from '@relais/directory/conventions'
import { httpError } from '../plugins/errors.ts'
import { errorItems, fieldErrors } from './format.ts'
import { localInstant } from './referrals.ts'

const FIELDS = {
  kind: { id: 'convention-type', label: 'Type d’organisme' }, title: { id: 'convention-titre', label: 'Titre' },
  effectiveAt: { id: 'convention-vigueur', label: 'Entrée en vigueur' }, body: { id: 'convention-texte', label: 'Texte' },
}

export async function conventionPages(app: FastifyInstance) {
  const kit = app.pages
  const read = { config: { access: 'convention.read' as const } }

  app.get('/conventions', read, async (request, reply) => {
    const p = request.principal!
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      const versions = await listConventions(trx, p)
      return {
        me,
        kinds: CONVENTION_KINDS.map((kind) => ({
          label: CONVENTION_KIND_LABELS[kind],
          versions: versions.filter((v) => v.kind === kind).map((v) => ({ ...v, effective: dateTimeFr(v.effectiveAt, me.timeZone) })),
        })),
      }
    })
    const q = request.query as Record<string, string | undefined>
    return kit.render(reply, 'conventions.hbs', { title: 'Conventions', ...data, canPublish: mayAttempt(p.role, 'convention.publish'), done: q.fait === 'publiee' })
  })

  async function renderForm(request: FastifyRequest, reply: FastifyReply, extra: { values?: Record<string, string>; errors?: Record<string, string>; formError?: string; status?: number } = {}) {
    const me = await app.tx(request, (trx) => kit.me(trx, request))
    const values = { kind: 'partner', ...extra.values }
    const errors = extra.errors ?? {}
    return kit.render(reply, 'convention-form.hbs', {
      title: `${Object.keys(errors).length || extra.formError ? 'Erreur : ' : ''}Publier une convention`, me, values, errors,
      failed: Object.keys(errors).length > 0 || !!extra.formError, formError: extra.formError, summaryItems: errorItems(errors, FIELDS),
      kinds: CONVENTION_KINDS.map((k) => ({ value: k, label: CONVENTION_KIND_LABELS[k], selected: k === values.kind })),
    }, extra.status ?? 200)
  }

  app.get('/conventions/nouvelle', { config: { access: 'convention.publish' } }, async (request, reply) => renderForm(request, reply))

  app.post<{ Body: Record<string, string> }>('/conventions/nouvelle', { config: { access: 'convention.publish' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const b = request.body ?? {}
    const values = { kind: String(b.kind ?? ''), title: String(b.title ?? ''), effectiveAt: String(b.effectiveAt ?? ''), body: String(b.body ?? '') }
    const timeZone = (await app.tx(request, (trx) => kit.me(trx, request))).timeZone
    const errors: Record<string, string> = {}
    if (!(CONVENTION_KINDS as readonly string[]).includes(values.kind)) errors.kind = 'Choisissez un type d’organisme.'
    if (!values.title.trim()) errors.title = 'Donnez un titre à la convention.'
    else if (values.title.length > 200) errors.title = 'Le titre ne doit pas dépasser 200 caractères.'
    const effectiveAt = /^\d{4}-\d{2}-\d{2}$/.test(values.effectiveAt) ? localInstant(`${values.effectiveAt}T00:00`, timeZone) : null
    if (!effectiveAt) errors.effectiveAt = 'Indiquez la date d’entrée en vigueur (jj/mm/aaaa).'
    if (!values.body.trim()) errors.body = 'Écrivez le texte de la convention.'
    else if (values.body.length > 200000) errors.body = 'Le texte ne doit pas dépasser 200 000 caractères.'
    if (Object.keys(errors).length) return renderForm(request, reply, { values, errors, status: 400 })
    let id: string
    try {
      id = (await app.tx(request, (trx) => publishConvention(trx, request.principal!, { kind: values.kind as ConventionKind, title: values.title, body: values.body, effectiveAt: effectiveAt! }, app.clock()))).id
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status < 500) {
        const fields = fieldErrors(err.details)
        return renderForm(request, reply, { values, errors: fields, formError: Object.keys(fields).length ? undefined : err.message, status: httpError(err).status })
      }
      throw err
    }
    return reply.redirect(`/conventions/${id}?fait=publiee`, 303)
  })

  app.get<{ Params: { id: string } }>('/conventions/:id', read, async (request, reply) => {
    if (!isUuid(request.params.id)) return kit.notFound(request, reply)
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      try {
        return { me, v: await getConvention(trx, request.principal!, request.params.id) }
      } catch (err) {
        if (err instanceof DomainError && httpError(err).status === 404) return { me, v: null }
        throw err
      }
    })
    if (!data.v) return kit.notFound(request, reply, data.me)
    const q = request.query as Record<string, string | undefined>
    return kit.render(reply, 'convention.hbs', {
      title: `${data.v.title} (version ${data.v.version})`, me: data.me, v: data.v, kindLabel: CONVENTION_KIND_LABELS[data.v.kind],
      effective: dateTimeFr(data.v.effectiveAt, data.me.timeZone), published: dateTimeFr(data.v.publishedAt, data.me.timeZone),
      done: q.fait === 'publiee' ? 'La version est publiée. Elle ne changera plus : un nouveau texte sera une nouvelle version.' : undefined,
    })
  })
}
