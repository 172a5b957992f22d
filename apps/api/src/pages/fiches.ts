// Knowledge-base pages: search with highlighted extracts, a fiche, writing and publishing, history, figures for the
// mission TIC, and « Cette fiche répond à la question » from the filing form. The rules are the use cases'.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import Value from 'typebox/value'
import { InvalidInput, authorize, isUuid, mayAttempt, type PersonRole } from '@relais/core'
import { FICHE_STATUS_LABELS, FICHE_TERRITORY_KINDS, type FicheTerritoryKind } from '@relais/core/knowledge'
import type { TenantTx } from '@relais/db'
import {
  archiveFiche, createFiche, draftFicheFromAnswer, exportFiches, ficheHistory, importFiches, ficheThemes, ficheOwnersFor, ficheVersion, getFiche, knowledgeFigures, listFiches, publishFiche, recordDeflection,
  searchFiches, updateFiche, type FicheInput, type Principal,
} from '@relais/knowledge'
import { FicheBody } from '../schemas/fiches.ts'
import { schemaIssues } from '../plugins/errors.ts'
import { errorItems, fieldErrors, longDate, shortDate } from './format.ts'
import fastifyMultipart from '@fastify/multipart'

const TERRITORY_LABELS: Record<FicheTerritoryKind, string> = { departement: 'Tout le département', epci: 'Des intercommunalités (EPCI)', commune: 'Des communes' }

const DONE: Record<string, string> = {
  creee: 'Le brouillon est enregistré : il n’est visible que de votre organisme et de la mission TIC tant qu’il n’est pas publié.',
  modifiee: 'Les modifications sont enregistrées. Publiez-les pour que tout le réseau les voie.',
  publiee: 'La fiche est publiée : tout le réseau la trouve dans la base de connaissance.',
  archivee: 'La fiche est archivée : elle ne sort plus dans les recherches.',
  repondu: 'C’est noté : la question est résolue par cette fiche, sans saisine. Merci !',
  'depuis-reponse': 'Le brouillon est créé à partir de la réponse. Complétez-le (titre, thèmes, territoire), relisez-le, puis publiez-le.',
}

const principal = (request: FastifyRequest) => request.principal! as Principal
/** « 2027-03-01 » → « 01/03/2027 » */
const dayText = (ymd: string) => ymd.split('-').reverse().join('/')

/** The best fiches for a question being filed: the chosen theme, the commune of the question. */
export async function ficheSuggestions(trx: TenantTx, p: Principal, v: { question?: string; themeCode?: string; communeInsee?: string }, now: Date) {
  if (!v.themeCode || !v.question?.trim()) return { searched: false, items: [] }
  try {
    const r = await searchFiches(trx, p, { q: v.question, themeCode: v.themeCode, communeInsee: v.communeInsee || undefined, limit: 5 }, now)
    return { searched: true, items: r.items }
  } catch (err) {
    if (err instanceof InvalidInput) return { searched: false, items: [] }
    throw err
  }
}

/** The form's flat fields as the use case's input; empty optional fields are absent, as in the API. */
function ficheInput(body: Record<string, unknown>, withOwner: boolean): FicheInput {
  const s = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '')
  const list = (k: string) => (Array.isArray(body[k]) ? (body[k] as unknown[]).filter((x): x is string => typeof x === 'string') : s(k) ? [s(k)] : [])
  const kind = (FICHE_TERRITORY_KINDS as readonly string[]).includes(s('territoryKind')) ? (s('territoryKind') as FicheTerritoryKind) : 'departement'
  return {
    title: s('title'), body: s('body').replace(/\r\n/g, '\n'), themeCodes: list('themeCodes'),
    territory: { kind, codes: kind === 'departement' ? [] : s('territoryCodes').split(/[\s,;]+/).filter(Boolean) },
    ...(s('reviewBy') ? { reviewBy: s('reviewBy') } : {}),
    ...(withOwner && s('organisationId') ? { organisationId: s('organisationId') } : {}),
  }
}

// The form's fields as the error summary names them.
const FICHE_FIELDS: Record<string, { id: string; label: string }> = {
  organisationId: { id: 'organisationId', label: 'Organisme qui rédige la fiche' }, title: { id: 'title', label: 'Titre' },
  themeCodes: { id: 'themeCodes', label: 'Thèmes' }, territoryKind: { id: 'territoryCodes', label: 'Elle s’applique à' },
  territoryCodes: { id: 'territoryCodes', label: 'Codes des communes ou EPCI' }, reviewBy: { id: 'reviewBy', label: 'À relire avant le' }, body: { id: 'body', label: 'Texte de la fiche' },
}

function schemaErrors(value: unknown): { path: string; message: string }[] {
  return schemaIssues([...Value.Errors(FicheBody, value)] as never)
}

// Form field names ← the use case's paths.
const FIELDS: Record<string, string> = { title: 'title', body: 'body', themeCodes: 'themeCodes', territory_codes: 'territoryCodes', territory_kind: 'territoryKind', territory: 'territoryCodes', reviewBy: 'reviewBy', organisationId: 'organisationId' }
function formErrors(details: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(fieldErrors(details))) out[FIELDS[k] ?? FIELDS[k.split(/[._]/)[0]] ?? k] ??= v
  return out
}


export async function fichePages(app: FastifyInstance) {
  const kit = app.pages

  // ---------------------------------------------------------------- search and list
  app.get<{ Querystring: Record<string, string | undefined> }>('/fiches', { config: { access: 'fiche.read' } }, async (request, reply) => {
    const p = principal(request)
    const now = app.clock()
    const q = typeof request.query.q === 'string' ? request.query.q.slice(0, 300) : ''
    const theme = request.query.theme && request.query.theme.length <= 50 ? request.query.theme : undefined
    const organisationId = isUuid(request.query.organisme) ? request.query.organisme : undefined
    const writer = mayAttempt(p.role as PersonRole, 'fiche.write')
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      const themes = await ficheThemes(trx, p)
      const results = q.trim() ? await searchFiches(trx, p, { q, themeCode: theme, organisationId, limit: 20, recordMiss: true }, now) : null
      const list = results ? null : await listFiches(trx, p, { themeCode: theme, organisationId, status: 'published', limit: 200 }, now)
      const mine = writer && !results ? (await listFiches(trx, p, { organisationId: p.role === 'network_admin' ? undefined : p.organisationId, limit: 200 }, now)).items.filter((i) => i.status !== 'published' || i.stale) : []
      const owners = (await listFiches(trx, p, { status: 'published', limit: 500 }, now)).items
      return { me, themes, results, list, mine, owners }
    })
    const organisations = [...new Map(data.owners.map((i) => [i.organisation.id, i.organisation])).values()].sort((a, b) => a.name.localeCompare(b.name, 'fr'))
    return kit.render(reply, 'fiches.hbs', {
      title: q ? `Recherche « ${q.slice(0, 60)} » — Base de connaissance` : 'Base de connaissance',
      me: data.me, q, writer, isAdmin: p.role === 'network_admin', bundles: mayAttempt(p.role as PersonRole, 'fiche.bundle'),
      themes: data.themes.map((t) => ({ ...t, selected: t.code === theme })),
      organisations: organisations.map((o) => ({ ...o, selected: o.id === organisationId })),
      results: data.results, list: data.list?.items.map((i) => ({ ...i, reviewByText: dayText(i.reviewBy) })),
      mine: data.mine.map((i) => ({ ...i, reviewByText: dayText(i.reviewBy) })),
    })
  })

  // ---------------------------------------------------------------- writing
  async function renderForm(request: FastifyRequest, reply: FastifyReply, opts: { id?: string; values: Record<string, unknown>; errors?: Record<string, string>; formError?: string; status?: number; warning?: string; done?: string }) {
    const p = principal(request)
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), themes: await ficheThemes(trx, p), owners: opts.id ? [] : await ficheOwnersFor(trx, p) }))
    const v = opts.values
    const chosen = new Set(Array.isArray(v.themeCodes) ? (v.themeCodes as string[]) : typeof v.themeCodes === 'string' ? [v.themeCodes] : [])
    const errors = opts.errors ?? {}
    return kit.render(reply, 'fiche-form.hbs', {
      title: `${Object.keys(errors).length ? 'Erreur : ' : ''}${opts.id ? 'Modifier la fiche' : 'Rédiger une fiche'}`,
      me: data.me, id: opts.id, values: v, errors, formError: opts.formError, warning: opts.warning, done: opts.done, hasErrors: Object.keys(errors).length > 0,
      errorList: errorItems(errors, FICHE_FIELDS),
      themes: data.themes.map((t) => ({ ...t, checked: chosen.has(t.code) })),
      kinds: FICHE_TERRITORY_KINDS.map((k) => ({ value: k, label: TERRITORY_LABELS[k], checked: (v.territoryKind ?? 'departement') === k })),
      owners: data.owners.length > 1 ? data.owners.map((o) => ({ ...o, selected: o.id === (v.organisationId ?? p.organisationId) })) : [],
    }, opts.status ?? 200)
  }

  app.get('/fiches/nouvelle', { config: { access: 'fiche.write' } }, async (request, reply) => renderForm(request, reply, { values: { territoryKind: 'departement' } }))

  app.post<{ Body: Record<string, unknown> }>('/fiches/nouvelle', { config: { access: 'fiche.write' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const body = request.body ?? {}
    const input = ficheInput(body, true)
    const invalid = schemaErrors(input)
    if (invalid.length) return renderForm(request, reply, { values: body, errors: formErrors(invalid), status: 400 })
    try {
      const f = await app.tx(request, (trx) => createFiche(trx, principal(request), input, app.clock()))
      return reply.redirect(`/fiches/${f.id}?fait=creee`, 303)
    } catch (err) {
      if (err instanceof InvalidInput) return renderForm(request, reply, { values: body, errors: formErrors(err.details), formError: err.message, status: 400 })
      throw err
    }
  })

  app.get<{ Params: { id: string }; Querystring: { fait?: string } }>('/fiches/:id/modifier', { config: { access: 'fiche.write', afterLookup: true } }, async (request, reply) => {
    if (!isUuid(request.params.id)) return kit.notFound(request, reply)
    const f = await app.tx(request, (trx) => getFiche(trx, principal(request), request.params.id, app.clock()))
    if (!f.canEdit) return kit.render(reply, 'error.hbs', { title: 'Action impossible', heading: 'Action impossible', message: 'Seuls les référents et les administrateurs de l’organisme qui rédige la fiche, et la mission TIC, peuvent la modifier.' }, 403)
    return renderForm(request, reply, {
      id: f.id, warning: f.checkWarning ?? undefined, done: DONE[request.query.fait ?? ''],
      values: { title: f.title, body: f.body, themeCodes: f.themes.map((t) => t.code), territoryKind: f.territory.kind, territoryCodes: f.territory.codes.join(', '), reviewBy: f.reviewBy },
    })
  })

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>('/fiches/:id/modifier', { config: { access: 'fiche.write', afterLookup: true }, preHandler: app.csrfProtection }, async (request, reply) => {
    if (!isUuid(request.params.id)) return kit.notFound(request, reply)
    // Looked up first: a draft the visitor cannot see is « not found », even with a faulty form.
    const current = await app.tx(request, (trx) => getFiche(trx, principal(request), request.params.id, app.clock()))
    authorize(principal(request), 'fiche.write', { organisationId: current.organisation.id })
    const body = request.body ?? {}
    const input = ficheInput(body, false)
    const invalid = schemaErrors(input)
    if (invalid.length) return renderForm(request, reply, { id: request.params.id, values: body, errors: formErrors(invalid), status: 400 })
    try {
      const { organisationId: _owner, ...patch } = input
      await app.tx(request, (trx) => updateFiche(trx, principal(request), request.params.id, patch, app.clock()))
      return reply.redirect(`/fiches/${request.params.id}?fait=modifiee`, 303)
    } catch (err) {
      if (err instanceof InvalidInput) return renderForm(request, reply, { id: request.params.id, values: body, errors: formErrors(err.details), formError: err.message, status: 400 })
      throw err
    }
  })

  for (const [path, run, done] of [['publier', publishFiche, 'publiee'], ['archiver', archiveFiche, 'archivee']] as const) {
    app.post<{ Params: { id: string } }>(`/fiches/:id/${path}`, { config: { access: 'fiche.write', afterLookup: true }, preHandler: app.csrfProtection }, async (request, reply) => {
      if (!isUuid(request.params.id)) return kit.notFound(request, reply)
      await app.tx(request, (trx) => run(trx, principal(request), request.params.id, app.clock()))
      return reply.redirect(`/fiches/${request.params.id}?fait=${done}`, 303)
    })
  }

  // « Faire une fiche de cette réponse », from the referral page: a draft without the citizen's details, then its form.
  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>('/saisines/:id/fiche', { config: { access: 'fiche.from_answer', afterLookup: true }, preHandler: app.csrfProtection }, async (request, reply) => {
    if (!isUuid(request.params.id)) return kit.notFound(request, reply)
    const raw = typeof request.body?.answerSeq === 'string' ? Number(request.body.answerSeq) : undefined
    const answerSeq = raw !== undefined && Number.isInteger(raw) && raw >= 1 && raw <= 1_000_000 ? raw : undefined
    const draft = await app.tx(request, (trx) => draftFicheFromAnswer(trx, principal(request), request.params.id, { answerSeq }, app.clock()))
    return reply.redirect(`/fiches/${draft.fiche.id}/modifier?fait=depuis-reponse`, 303)
  })

  // ---------------------------------------------------------------- reading
  app.get<{ Params: { id: string }; Querystring: { fait?: string } }>('/fiches/:id', { config: { access: 'fiche.read' } }, async (request, reply) => {
    if (!isUuid(request.params.id)) return kit.notFound(request, reply)
    const now = app.clock()
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), f: await getFiche(trx, principal(request), request.params.id, now, { countOpen: true }) }))
    const f = data.f
    return kit.render(reply, 'fiche.hbs', {
      title: f.title, me: data.me, f, done: DONE[request.query.fait ?? ''],
      territoryLabel: f.territory.kind === 'departement' ? TERRITORY_LABELS.departement : `${TERRITORY_LABELS[f.territory.kind]} : ${f.territory.codes.join(', ')}`,
      published: longDate(f.publishedAt, data.me.timeZone), reviewByText: dayText(f.reviewBy), updated: longDate(f.updatedAt, data.me.timeZone),
      canPublish: f.canEdit && f.status !== 'archived' && f.unpublishedChanges, canArchive: f.canEdit && f.status !== 'archived',
    })
  })

  app.get<{ Params: { id: string } }>('/fiches/:id/historique', { config: { access: 'fiche.read' } }, async (request, reply) => {
    if (!isUuid(request.params.id)) return kit.notFound(request, reply)
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), h: await ficheHistory(trx, principal(request), request.params.id) }))
    return kit.render(reply, 'fiche-history.hbs', {
      title: `Historique — ${data.h.fiche.title}`, me: data.me, fiche: data.h.fiche,
      versions: data.h.versions.map((v) => ({ ...v, at: longDate(v.publishedAt, data.me.timeZone) })),
    })
  })

  app.get<{ Params: { id: string; version: string } }>('/fiches/:id/versions/:version', { config: { access: 'fiche.read' } }, async (request, reply) => {
    const n = Number(request.params.version)
    if (!isUuid(request.params.id) || !Number.isInteger(n) || n < 1 || n > 1_000_000) return kit.notFound(request, reply)
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), v: await ficheVersion(trx, principal(request), request.params.id, n) }))
    return kit.render(reply, 'fiche.hbs', {
      title: `${data.v.title} (version ${n})`, me: data.me, archivedVersion: true,
      f: { id: data.v.ficheId, title: data.v.title, bodyHtml: data.v.bodyHtml, version: n, statusLabel: `Version ${n}` },
      published: longDate(data.v.publishedAt, data.me.timeZone), publishedBy: data.v.publishedBy,
    })
  })

  // ---------------------------------------------------------------- « Cette fiche répond à la question »
  // Posted from the filing form (its theme and commune come along; the citizen's fields are ignored, never stored).
  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>('/fiches/:id/repond', { config: { access: 'deflection.record' }, preHandler: app.csrfProtection }, async (request, reply) => {
    if (!isUuid(request.params.id)) return kit.notFound(request, reply)
    const body = request.body ?? {}
    const s = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '')
    await app.tx(request, (trx) => recordDeflection(trx, principal(request), { ficheId: request.params.id, themeCode: s('themeCode'), communeInsee: s('communeInsee') }, app.clock()))
    return reply.redirect(`/fiches/${request.params.id}?fait=repondu`, 303)
  })

  // ---------------------------------------------------------------- import and export (mission TIC, org admins)
  // The file comes as multipart/form-data, kept in memory (at most 20 Mio) with the form's fields, CSRF token included.
  await app.register(fastifyMultipart, { attachFieldsToBody: 'keyValues', limits: { fileSize: 20 * 1024 * 1024, files: 1, fields: 10 } })

  async function renderExchange(request: FastifyRequest, reply: FastifyReply, opts: { done?: string; refused?: { message: string; items: { message: string }[] }; fileError?: string; organisationId?: string; status?: number } = {}) {
    const p = principal(request)
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), owners: await ficheOwnersFor(trx, p) }))
    return kit.render(reply, 'fiches-exchange.hbs', {
      title: `${opts.refused || opts.fileError ? 'Erreur : ' : ''}Importer ou exporter des fiches`, me: data.me, isAdmin: p.role === 'network_admin',
      owners: data.owners.map((o) => ({ ...o, selected: o.id === (opts.organisationId ?? p.organisationId) })),
      done: opts.done, refused: opts.refused, fileError: opts.fileError,
    }, opts.status ?? 200)
  }

  app.get<{ Querystring: { importees?: string; publiees?: string } }>('/fiches/echange', { config: { access: 'fiche.bundle' } }, async (request, reply) => {
    const n = Number(request.query.importees)
    const published = Number(request.query.publiees)
    const done = Number.isInteger(n) && n >= 0 ? `${n} fiche(s) importée(s)${published > 0 ? ` et publiée(s)` : ' en brouillon : relisez-les, puis publiez-les'}.` : undefined
    return renderExchange(request, reply, { done })
  })

  app.get<{ Querystring: { format?: string; organisme?: string } }>('/fiches/echange/export', { config: { access: 'fiche.bundle' } }, async (request, reply) => {
    const format = request.query.format === 'zip' ? 'zip' : 'json'
    const organisationId = isUuid(request.query.organisme) ? request.query.organisme : undefined
    const out = await app.tx(request, (trx) => exportFiches(trx, principal(request), { format, organisationId }, app.clock()))
    return reply.header('content-type', out.contentType).header('content-disposition', `attachment; filename="${out.filename}"`).header('cache-control', 'no-store')
      .send(typeof out.content === 'string' ? Buffer.from(out.content, 'utf8') : Buffer.from(out.content))
  })

  app.post<{ Body: Record<string, unknown> }>('/fiches/echange', { config: { access: 'fiche.bundle' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const body = request.body ?? {}
    const organisationId = typeof body.organisme === 'string' && isUuid(body.organisme) ? body.organisme : undefined
    const file = body.fichier
    if (!Buffer.isBuffer(file) || !file.length) return renderExchange(request, reply, { fileError: 'Choisissez le fichier à importer.', organisationId, status: 400 })
    try {
      const r = await app.tx(request, (trx) => importFiches(trx, principal(request), file, { organisationId, publish: body.publier === '1' }, app.clock()))
      return reply.redirect(`/fiches/echange?importees=${r.imported}&publiees=${r.published}`, 303)
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err
      const items = Array.isArray(err.details) ? (err.details as { message: string }[]).map((d) => ({ message: d.message })) : []
      return renderExchange(request, reply, { refused: { message: err.message, items }, organisationId, status: 400 })
    }
  })

  // ---------------------------------------------------------------- figures for the mission TIC
  app.get('/fiches/statistiques', { config: { access: 'knowledge.stats' } }, async (request, reply) => {
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), figures: await knowledgeFigures(trx, principal(request), app.clock()) }))
    const f = data.figures
    return kit.render(reply, 'fiches-stats.hbs', {
      title: 'Base de connaissance : ce qu’elle résout, ce qui lui manque', me: data.me, ...f,
      deflections: f.deflectionsByTheme.reduce((n, r) => n + r.count, 0), misses: f.missesByTheme.reduce((n, r) => n + r.count, 0),
      neverOpened: f.neverOpened.map((r) => ({ ...r, at: shortDate(r.published_at, data.me.timeZone) })), stale: f.stale.map((r) => ({ ...r, at: dayText(r.review_by) })),
      statusLabels: FICHE_STATUS_LABELS,
    })
  })
}
