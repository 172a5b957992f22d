// The mission TIC changes the directory in the pages (issue 12): creates and edits organisations and themes, and
// says which communes or territories an organisation covers for a theme. Same use cases as the JSON API (checks,
// audit log); a refused form comes back with each error next to its field.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DomainError, ORGANISATION_KIND_LABELS, ORGANISATION_STATUS_LABELS, TERRITORY_KIND_LABELS, isUuid, matchCommune } from '@relais/core'
import type { OrganisationKind, OrganisationStatus } from '@relais/core/directory'
import { createOrganisation, getOrganisation, listOrganisations, updateOrganisation } from '@relais/directory/organisations'
import { createTheme, getTheme, listThemes, updateTheme } from '@relais/directory/themes'
import { createAssignment, deactivateAssignment, getAssignment, listAssignments } from '@relais/directory/assignments'
import { filingChoices } from '@relais/referrals'
import { httpError } from '../plugins/errors.ts'
import { duration, errorItems, fieldErrors } from './format.ts'

type Extra = { failed?: string; errors?: Record<string, string>; values?: Record<string, string>; formError?: string; status?: number }

const ORG_FIELDS = {
  name: { id: 'org-nom', label: 'Nom' }, kind: { id: 'org-type', label: 'Type' }, communeInsee: { id: 'org-commune', label: 'Commune' },
  email: { id: 'org-courriel', label: 'Adresse électronique' }, status: { id: 'org-statut', label: 'Statut' },
}
const THEME_FIELDS = { code: { id: 'theme-code', label: 'Code' }, label: { id: 'theme-libelle', label: 'Libellé' } }
/**
 * What an organisation covers, and the routing rules that send it referrals: the same form on its page for both
 * (a rule comes before coverage when routing). The slug names the form's address and its fields' ids.
 */
const ASSIGNMENT_FORMS = {
  couverture: {
    table: 'coverage' as const, title: 'Ce qu’elle couvre', button: 'Ajouter la couverture', failedTitle: 'La couverture n’a pas été ajoutée',
    hint: 'Pour chaque thème, les communes, intercommunalités ou le département dont les saisines peuvent lui être adressées.',
    add: 'Ajouter une couverture', empty: 'Aucune couverture.', caption: 'Couverture',
    added: 'La couverture est ajoutée : les saisines de ce thème sur ce territoire peuvent lui être adressées.', retired: 'La couverture est retirée.',
  },
  regle: {
    table: 'routing_rule' as const, title: 'Règles de routage vers elle', button: 'Ajouter la règle', failedTitle: 'La règle n’a pas été ajoutée',
    hint: 'Les saisines de ce thème sur ce territoire lui sont adressées en premier : une règle passe avant la couverture.',
    add: 'Ajouter une règle de routage', empty: 'Aucune règle de routage ne la désigne.', caption: 'Règles de routage vers',
    added: 'La règle de routage est ajoutée : les saisines de ce thème sur ce territoire lui sont désormais adressées.', retired: 'La règle de routage est retirée.',
  },
}
type AssignmentSlug = keyof typeof ASSIGNMENT_FORMS
const SLUGS = Object.keys(ASSIGNMENT_FORMS) as AssignmentSlug[]
const assignmentFields = (slug: AssignmentSlug) => ({
  themeCode: { id: `${slug}-theme`, label: 'Thème' }, territoryKind: { id: `${slug}-type-commune`, label: 'Territoire' },
  territoryCode: { id: `${slug}-code`, label: 'Code du territoire' },
})
const KINDS = Object.keys(ORGANISATION_KIND_LABELS) as OrganisationKind[]
const STATUSES = Object.keys(ORGANISATION_STATUS_LABELS) as OrganisationStatus[]

const DONE: Record<string, string> = {
  organisation: 'L’organisation est enregistrée.', creee: 'L’organisation est créée. Dites maintenant ce qu’elle couvre.',
  ...Object.fromEntries(SLUGS.flatMap((slug) => [[slug, ASSIGNMENT_FORMS[slug].added], [`${slug}-retiree`, ASSIGNMENT_FORMS[slug].retired]])),
  theme: 'Le thème est enregistré.', 'theme-cree': 'Le thème est créé : il est proposé dans le formulaire de saisine.',
}

const str = (b: Record<string, unknown> | undefined, k: string) => (typeof b?.[k] === 'string' ? (b[k] as string) : '')
const looksLikeEmail = (s: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s)

export async function directoryEditPages(app: FastifyInstance) {
  const kit = app.pages
  const browse = { config: { access: 'directory.browse' as const } }
  const write = { config: { access: 'directory.write' as const }, preHandler: app.csrfProtection }

  /** Runs a use case; a refusal (4xx) comes back as field errors or one message, for the caller to show. */
  async function attempt(request: FastifyRequest, fn: () => Promise<unknown>): Promise<{ errors: Record<string, string>; formError?: string; status: number } | null> {
    try {
      await fn()
      return null
    } catch (err) {
      if (!(err instanceof DomainError) || httpError(err).status >= 500) throw err
      const errors = fieldErrors(err.details)
      return { errors, formError: Object.keys(errors).length ? undefined : err.message, status: httpError(err).status }
    }
  }

  // ------------------------------------------------------------------ organisations

  async function renderOrganisations(request: FastifyRequest, reply: FastifyReply, extra: Extra = {}) {
    const query = request.query as Record<string, string | undefined>
    const kind = KINDS.includes(query.type as OrganisationKind) ? (query.type as OrganisationKind) : undefined
    const q = (query.q ?? '').trim().slice(0, 100) || undefined
    const data = await app.tx(request, async (trx) => ({
      me: await kit.me(trx, request),
      communes: (await filingChoices(trx, request.principal!)).communes,
      items: (await listOrganisations(trx, request.principal!, { kind, q }, undefined, 500)).slice(0, 500).map((o) => ({ ...o, kindLabel: ORGANISATION_KIND_LABELS[o.kind], statusLabel: ORGANISATION_STATUS_LABELS[o.status] })),
    }))
    const errors = extra.errors ?? {}
    const values = { kind: 'partner', ...extra.values }
    return kit.render(reply, 'directory-organisations.hbs', {
      title: `${extra.failed ? 'Erreur : ' : ''}Annuaire : organisations`, ...data, section: 'organisations', filters: { type: kind, q },
      kinds: KINDS.map((value) => ({ value, label: ORGANISATION_KIND_LABELS[value], selected: value === kind })),
      newKinds: KINDS.map((value) => ({ value, label: ORGANISATION_KIND_LABELS[value], selected: value === values.kind })),
      values, errors, failed: extra.failed, formError: extra.formError, summaryItems: errorItems(errors, ORG_FIELDS),
    }, extra.status ?? 200)
  }

  app.get('/annuaire/organisations', browse, async (request, reply) => renderOrganisations(request, reply))

  app.post<{ Body: Record<string, string> }>('/annuaire/organisations', write, async (request, reply) => {
    const b = request.body
    const values = { name: str(b, 'name').trim(), kind: str(b, 'kind'), commune: str(b, 'commune').trim(), email: str(b, 'email').trim() }
    const errors: Record<string, string> = {}
    if (!values.name) errors.name = 'Saisissez le nom de l’organisation.'
    else if (values.name.length > 200) errors.name = 'Le nom tient en 200 caractères.'
    if (!KINDS.includes(values.kind as OrganisationKind)) errors.kind = 'Choisissez un type.'
    if (values.email && !looksLikeEmail(values.email)) errors.email = 'Saisissez une adresse électronique valide (nom@exemple.fr) ou laissez vide.'
    let communeInsee: string | null = null
    if (values.commune) {
      const communes = await app.tx(request, async (trx) => (await filingChoices(trx, request.principal!)).communes)
      const m = matchCommune(values.commune, communes)
      if (m.kind === 'one') communeInsee = m.commune.insee
      else errors.communeInsee = m.kind === 'none' ? `Aucune commune du département ne correspond à « ${values.commune} ».` : `Plusieurs communes correspondent à « ${values.commune} » : précisez.`
    } else if (values.kind === 'mairie') errors.communeInsee = 'Indiquez la commune de la mairie.'
    if (Object.keys(errors).length) return renderOrganisations(request, reply, { failed: 'creation', errors, values, status: 400 })
    let id = ''
    const refused = await attempt(request, async () => {
      id = (await app.tx(request, (trx) => createOrganisation(trx, request.principal!, {
        kind: values.kind as OrganisationKind, name: values.name, communeInsee, email: values.email || null, status: 'active',
      }))).id
    })
    if (refused) return renderOrganisations(request, reply, { failed: 'creation', values, ...refused })
    return reply.redirect(`/annuaire/organisations/${id}?fait=creee#resultat`, 303)
  })

  async function renderOrganisation(request: FastifyRequest, reply: FastifyReply, id: string, extra: Extra = {}) {
    const p = request.principal!
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      const org = await getOrganisation(trx, p, id).catch((err) => { if (err instanceof DomainError && httpError(err).status === 404) return null; throw err })
      if (!org) return { me, org: null }
      const themes = await listThemes(trx, p, {}, undefined, 500)
      const labels = new Map(themes.map((t) => [t.code, t.label]))
      const rows = await Promise.all(SLUGS.map(async (slug) => (await listAssignments(trx, ASSIGNMENT_FORMS[slug].table, p, { organisationId: org.id, active: true }, undefined, null))
        .map((c) => ({ ...c, themeLabel: labels.get(c.themeCode) ?? c.themeCode, territoryLabel: TERRITORY_KIND_LABELS[c.territoryKind] }))))
      const communes = (await filingChoices(trx, p)).communes
      return { me, org, themes: themes.filter((t) => t.active), rows, communes }
    })
    if (!data.org) return kit.notFound(request, reply, data.me)
    const org = data.org
    const errors = extra.errors ?? {}
    const failedSlug = SLUGS.find((slug) => slug === extra.failed)
    const v: Record<string, string> = { name: org.name, email: org.email ?? '', status: org.status, ...(failedSlug ? {} : extra.values) }
    const q = request.query as Record<string, string | undefined>
    return kit.render(reply, 'directory-organisation.hbs', {
      title: `${extra.failed ? 'Erreur : ' : ''}${org.name}`, me: data.me, section: 'organisations', org, kindLabel: ORGANISATION_KIND_LABELS[org.kind],
      values: v, errors, failed: extra.failed, formError: extra.formError, done: q.fait ? DONE[q.fait] : undefined,
      summaryItems: errorItems(errors, failedSlug ? assignmentFields(failedSlug) : ORG_FIELDS),
      statuses: STATUSES.map((s) => ({ value: s, label: ORGANISATION_STATUS_LABELS[s], selected: s === v.status })),
      communes: data.communes,
      // Each form keeps what was typed only when it is the one refused.
      assignments: SLUGS.map((slug, i) => {
        const mine = slug === failedSlug
        const values: Record<string, string> = { territoryKind: 'commune', themeCode: '', territoryCode: '', ...(mine ? extra.values : {}) }
        return {
          slug, ...ASSIGNMENT_FORMS[slug], rows: data.rows[i], values, errors: mine ? errors : {}, failedHere: mine, formError: mine ? extra.formError : undefined,
          themes: data.themes.map((t) => ({ code: t.code, label: t.label, selected: t.code === values.themeCode })),
          territoryKinds: Object.entries(TERRITORY_KIND_LABELS).map(([value, label]) => ({ value, label, checked: value === values.territoryKind })),
        }
      }),
    }, extra.status ?? 200)
  }

  app.get<{ Params: { id: string } }>('/annuaire/organisations/:id', browse, async (request, reply) => {
    if (!isUuid(request.params.id)) return kit.notFound(request, reply)
    return renderOrganisation(request, reply, request.params.id)
  })

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/annuaire/organisations/:id', write, async (request, reply) => {
    const id = request.params.id
    if (!isUuid(id)) return kit.notFound(request, reply)
    const b = request.body
    const values = { name: str(b, 'name').trim(), email: str(b, 'email').trim(), status: str(b, 'status') }
    const errors: Record<string, string> = {}
    if (!values.name) errors.name = 'Saisissez le nom de l’organisation.'
    else if (values.name.length > 200) errors.name = 'Le nom tient en 200 caractères.'
    if (values.email && !looksLikeEmail(values.email)) errors.email = 'Saisissez une adresse électronique valide (nom@exemple.fr) ou laissez vide.'
    if (!STATUSES.includes(values.status as OrganisationStatus)) errors.status = 'Choisissez un statut.'
    if (Object.keys(errors).length) return renderOrganisation(request, reply, id, { failed: 'organisation', errors, values, status: 400 })
    const refused = await attempt(request, () => app.tx(request, (trx) => updateOrganisation(trx, request.principal!, id, {
      name: values.name, email: values.email || null, status: values.status as OrganisationStatus,
    })))
    if (refused) return renderOrganisation(request, reply, id, { failed: 'organisation', values, ...refused })
    return reply.redirect(`/annuaire/organisations/${id}?fait=organisation#resultat`, 303)
  })

  for (const slug of SLUGS) {
    app.post<{ Params: { id: string }; Body: Record<string, string> }>(`/annuaire/organisations/:id/${slug}`, write, async (request, reply) => {
      const id = request.params.id
      if (!isUuid(id)) return kit.notFound(request, reply)
      const b = request.body
      const values = { themeCode: str(b, 'themeCode'), territoryKind: str(b, 'territoryKind'), territoryCode: str(b, 'territoryCode').trim() }
      const errors: Record<string, string> = {}
      if (!values.themeCode) errors.themeCode = 'Choisissez un thème.'
      if (!(values.territoryKind in TERRITORY_KIND_LABELS)) errors.territoryKind = 'Choisissez un type de territoire.'
      let territoryCode = values.territoryCode
      if (values.territoryKind === 'commune' && territoryCode) {
        // A commune by its name (accents ignored) or its INSEE code, as in the lists' filter.
        const communes = await app.tx(request, async (trx) => (await filingChoices(trx, request.principal!)).communes)
        const m = matchCommune(territoryCode, communes)
        if (m.kind === 'one') territoryCode = m.commune.insee
        else errors.territoryCode = m.kind === 'none' ? `Aucune commune du département ne correspond à « ${territoryCode} ».` : `Plusieurs communes correspondent à « ${territoryCode} » : précisez.`
      }
      if (!territoryCode && values.territoryKind !== 'departement') errors.territoryCode = 'Indiquez la commune ou le code de l’intercommunalité.'
      if (Object.keys(errors).length) return renderOrganisation(request, reply, id, { failed: slug, errors, values, status: 400 })
      const refused = await attempt(request, () => app.tx(request, async (trx) => {
        const org = await getOrganisation(trx, request.principal!, id)
        return createAssignment(trx, ASSIGNMENT_FORMS[slug].table, request.principal!, { themeCode: values.themeCode, territoryKind: values.territoryKind, territoryCode, organisationId: org.id })
      }))
      if (refused) return renderOrganisation(request, reply, id, { failed: slug, values, ...refused })
      return reply.redirect(`/annuaire/organisations/${id}?fait=${slug}#resultat`, 303)
    })

    app.post<{ Params: { id: string; cid: string } }>(`/annuaire/organisations/:id/${slug}/:cid/retirer`, write, async (request, reply) => {
      const { id, cid } = request.params
      if (!isUuid(id) || !isUuid(cid)) return kit.notFound(request, reply)
      const gone = await app.tx(request, async (trx) => {
        const row = await getAssignment(trx, ASSIGNMENT_FORMS[slug].table, request.principal!, cid).catch(() => null)
        // A row of another organisation is not this page's to retire.
        if (!row || row.organisationId !== id) return true
        await deactivateAssignment(trx, ASSIGNMENT_FORMS[slug].table, request.principal!, cid)
        return false
      })
      if (gone) return kit.notFound(request, reply)
      return reply.redirect(`/annuaire/organisations/${id}?fait=${slug}-retiree#resultat`, 303)
    })
  }

  // ------------------------------------------------------------------ themes

  async function renderThemes(request: FastifyRequest, reply: FastifyReply, extra: Extra = {}) {
    const data = await app.tx(request, async (trx) => ({
      me: await kit.me(trx, request),
      items: (await listThemes(trx, request.principal!, {}, undefined, 500)).map((t) => ({ ...t, sla: t.slaResponseMinutes ? duration(t.slaResponseMinutes) : 'politique du département' })),
    }))
    const errors = extra.errors ?? {}
    const q = request.query as Record<string, string | undefined>
    return kit.render(reply, 'directory-themes.hbs', {
      title: `${extra.failed ? 'Erreur : ' : ''}Annuaire : thèmes`, ...data, section: 'themes', values: extra.values ?? {}, errors,
      failed: extra.failed, formError: extra.formError, summaryItems: errorItems(errors, THEME_FIELDS), done: q.fait ? DONE[q.fait] : undefined,
    }, extra.status ?? 200)
  }

  app.get('/annuaire/themes', browse, async (request, reply) => renderThemes(request, reply))

  app.post<{ Body: Record<string, string> }>('/annuaire/themes', write, async (request, reply) => {
    const values = { code: str(request.body, 'code').trim().toLowerCase(), label: str(request.body, 'label').trim() }
    const errors: Record<string, string> = {}
    if (!/^[a-z0-9][a-z0-9-]{0,49}$/.test(values.code)) errors.code = 'Un code de 1 à 50 caractères : lettres sans accent, chiffres et tirets (par exemple « aides-caf »).'
    if (!values.label) errors.label = 'Saisissez le libellé que les personnes liront.'
    else if (values.label.length > 200) errors.label = 'Le libellé tient en 200 caractères.'
    if (Object.keys(errors).length) return renderThemes(request, reply, { failed: 'creation', errors, values, status: 400 })
    const refused = await attempt(request, () => app.tx(request, (trx) => createTheme(trx, request.principal!, values)))
    if (refused) return renderThemes(request, reply, { failed: 'creation', values, ...refused, errors: refused.errors, formError: refused.formError })
    return reply.redirect('/annuaire/themes?fait=theme-cree#resultat', 303)
  })

  async function renderTheme(request: FastifyRequest, reply: FastifyReply, id: string, extra: Extra = {}) {
    const data = await app.tx(request, async (trx) => {
      const me = await kit.me(trx, request)
      const theme = await getTheme(trx, request.principal!, id).catch((err) => { if (err instanceof DomainError && httpError(err).status === 404) return null; throw err })
      return { me, theme }
    })
    if (!data.theme) return kit.notFound(request, reply, data.me)
    const errors = extra.errors ?? {}
    const q = request.query as Record<string, string | undefined>
    return kit.render(reply, 'directory-theme.hbs', {
      title: `${extra.failed ? 'Erreur : ' : ''}${data.theme.label}`, me: data.me, section: 'themes', theme: data.theme,
      values: { label: data.theme.label, active: data.theme.active ? '1' : '', ...extra.values }, errors, failed: extra.failed, formError: extra.formError,
      summaryItems: errorItems(errors, THEME_FIELDS), done: q.fait ? DONE[q.fait] : undefined,
    }, extra.status ?? 200)
  }

  app.get<{ Params: { id: string } }>('/annuaire/themes/:id', browse, async (request, reply) => {
    if (!isUuid(request.params.id)) return kit.notFound(request, reply)
    return renderTheme(request, reply, request.params.id)
  })

  app.post<{ Params: { id: string }; Body: Record<string, string> }>('/annuaire/themes/:id', write, async (request, reply) => {
    const id = request.params.id
    if (!isUuid(id)) return kit.notFound(request, reply)
    const values = { label: str(request.body, 'label').trim(), active: str(request.body, 'active') === '1' ? '1' : '' }
    const errors: Record<string, string> = {}
    if (!values.label) errors.label = 'Saisissez le libellé que les personnes liront.'
    else if (values.label.length > 200) errors.label = 'Le libellé tient en 200 caractères.'
    if (Object.keys(errors).length) return renderTheme(request, reply, id, { failed: 'theme', errors, values, status: 400 })
    const refused = await attempt(request, () => app.tx(request, (trx) => updateTheme(trx, request.principal!, id, { label: values.label, active: values.active === '1' })))
    if (refused) return renderTheme(request, reply, id, { failed: 'theme', values, ...refused })
    return reply.redirect(`/annuaire/themes/${id}?fait=theme#resultat`, 303)
  })
}
