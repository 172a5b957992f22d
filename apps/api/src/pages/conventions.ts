// Issue 13's convention pages: the versions per kind of organisation, one version (its text, hash and dates), and the
// mission TIC's form to publish a new one. The rules are packages/directory/src/conventions.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DomainError, dateTimeFr, isUuid, mayAttempt } from '@relais/core'
import { CONVENTION_KINDS, CONVENTION_KIND_LABELS, type ConventionKind } from '@relais/core/conventions'
import { getConvention, listConventions, publishConvention } from '@relais/directory/conventions'
import { countersign, signConvention, signatureReceipt, signingState } from '@relais/directory/signatures'
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

  const SIGN_FIELDS = {
    signerName: { id: 'signature-nom', label: 'Vos nom et prénom' }, capacity: { id: 'signature-qualite', label: 'Votre qualité' },
    consent: { id: 'signature-accord', label: 'Acceptation' }, password: { id: 'signature-mot-de-passe', label: 'Mot de passe' },
  }

  async function renderVersion(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, extra: { values?: Record<string, string>; errors?: Record<string, string>; formError?: string; status?: number } = {}) {
    if (!isUuid(request.params.id)) return kit.notFound(request, reply)
    const p = request.principal!
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      try {
        const v = await getConvention(trx, p, request.params.id)
        return { me, v, signing: await signingState(trx, p, v, app.clock()) }
      } catch (err) {
        if (err instanceof DomainError && httpError(err).status === 404) return { me, v: null, signing: null }
        throw err
      }
    })
    if (!data.v) return kit.notFound(request, reply, data.me)
    const q = request.query as Record<string, string | undefined>
    const errors = extra.errors ?? {}
    const failed = Object.keys(errors).length > 0 || !!extra.formError
    return kit.render(reply, 'convention.hbs', {
      title: `${failed ? 'Erreur : ' : ''}${data.v.title} (version ${data.v.version})`, me: data.me, v: data.v, kindLabel: CONVENTION_KIND_LABELS[data.v.kind],
      effective: dateTimeFr(data.v.effectiveAt, data.me.timeZone), published: dateTimeFr(data.v.publishedAt, data.me.timeZone),
      done: q.fait === 'publiee' ? 'La version est publiée. Elle ne changera plus : un nouveau texte sera une nouvelle version.' : undefined,
      signing: data.signing, signedAt: data.signing?.signature ? dateTimeFr(data.signing.signature.signedAt, data.me.timeZone) : undefined,
      values: extra.values ?? {}, errors, failed, formError: extra.formError, summaryItems: errorItems(errors, SIGN_FIELDS),
    }, extra.status ?? 200)
  }

  app.get<{ Params: { id: string } }>('/conventions/:id', read, async (request, reply) => renderVersion(request, reply))

  // The org admin signs the version in force for her organisation: name, capacity, consent, her password.
  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/conventions/:id/signer', { config: { access: 'convention.sign' }, preHandler: app.csrfProtection }, async (request, reply) => {
    if (!isUuid(request.params.id)) return kit.notFound(request, reply)
    const b = request.body ?? {}
    const values = { signerName: String(b.signerName ?? '').slice(0, 200), capacity: String(b.capacity ?? '').slice(0, 300), consent: b.consent === '1' ? '1' : '' }
    let id: string
    try {
      id = (await app.tx(request, (trx) => signConvention(trx, request.principal!, request.params.id, {
        signerName: values.signerName, capacity: values.capacity, consent: values.consent === '1', password: String(b.password ?? '').slice(0, 256),
      }, { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? ''), now: app.clock() }))).id
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status < 500 && httpError(err).status !== 404) {
        const fields = fieldErrors(err.details)
        return renderVersion(request, reply, { values, errors: fields, formError: Object.keys(fields).length ? undefined : err.message, status: httpError(err).status })
      }
      throw err
    }
    return reply.redirect(`/conventions/signatures/${id}?fait=signee`, 303)
  })

  const receipt = { config: { access: 'convention.receipt' as const, afterLookup: true } }
  async function loadSignature(request: FastifyRequest<{ Params: { id: string } }>) {
    if (!isUuid(request.params.id)) return null
    return app.tx(request, async (trx) => {
      try {
        return await signatureReceipt(trx, request.principal!, request.params.id)
      } catch (err) {
        if (err instanceof DomainError && httpError(err).status === 404) return null
        throw err
      }
    })
  }

  app.get<{ Params: { id: string } }>('/conventions/signatures/:id', receipt, async (request, reply) => {
    const found = await loadSignature(request)
    const me = await app.tx(request, (trx) => kit.me(trx, request))
    if (!found) return kit.notFound(request, reply, me)
    const s = found.signature
    const q = request.query as Record<string, string | undefined>
    const done = q.fait === 'signee' ? 'La convention est signée. Le reçu de signature vous est envoyé par courriel, ainsi qu’à la mission TIC ; la mission TIC va la contresigner.'
      : q.fait === 'contresignee' ? `La signature est contresignée : ${s.organisationName} est actif et reçoit désormais les saisines de ses thèmes.` : undefined
    return kit.render(reply, 'convention-signature.hbs', {
      title: `Signature de ${s.organisationName}`, me, s, done, signed: dateTimeFr(s.signedAt, me.timeZone),
      countersigned: s.countersignedAt ? dateTimeFr(s.countersignedAt, me.timeZone) : undefined,
      canCountersign: !s.countersignedAt && mayAttempt(request.principal!.role, 'convention.countersign'),
    })
  })

  app.get<{ Params: { id: string } }>('/conventions/signatures/:id/recu.pdf', receipt, async (request, reply) => {
    const found = await loadSignature(request)
    if (!found) return kit.notFound(request, reply)
    return reply.type('application/pdf').header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="recu-signature-${found.signature.id.slice(0, 8)}.pdf"`).send(found.pdf)
  })

  app.post<{ Params: { id: string } }>('/conventions/signatures/:id/contresigner', { config: { access: 'convention.countersign' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const found = await loadSignature(request)
    if (!found) return kit.notFound(request, reply)
    await app.tx(request, (trx) => countersign(trx, request.principal!, found.signature.organisationId, app.clock()))
    return reply.redirect(`/conventions/signatures/${found.signature.id}?fait=contresignee`, 303)
  })
}
