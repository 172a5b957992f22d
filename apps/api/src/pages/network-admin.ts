// The mission TIC's directory pages that change things: routing rules (CSV import and export in the page, each refused
// line shown with its number and reason, nothing applied when one is refused) and the SLA policy with its per-theme
// overrides. Same use cases as the JSON API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { CLOCK_MODE_LABELS, DomainError, ESCALATION_TARGET_LABELS, TERRITORY_KIND_LABELS, describeOpeningHours, type ClockMode, type EscalationTarget, type SlaPolicyChange } from '@relais/core'
import { exportAssignments, importAssignments, listAssignments, parseAssignmentCsv } from '@relais/directory/assignments'
import { listThemes } from '@relais/directory/themes'
import { changeSlaPolicy, slaPolicyOf } from '@relais/referrals'
import { httpError } from '../plugins/errors.ts'
import { duration, errorItems, fieldErrors } from './format.ts'

interface CsvLineIssue { line: number; column?: string; message: string }

const CLOCK_MODES: ClockMode[] = ['business_hours', 'working_days', 'calendar']
const TARGETS: EscalationTarget[] = ['org_admins', 'backup', 'mission_tic']

const SLA_FIELDS: Record<string, { id: string; label: string }> = {
  responseMinutes: { id: 'delai-reponse', label: 'Délai de réponse' }, reminderBeforeMinutes: { id: 'delai-relance', label: 'Relance avant l’échéance' },
  clockMode: { id: 'decompte-business_hours', label: 'Décompte' },
  'escalations_0_afterDueMinutes': { id: 'escalade-1', label: 'Escalade 1' }, 'escalations_1_afterDueMinutes': { id: 'escalade-2', label: 'Escalade 2' },
  'escalations_2_afterDueMinutes': { id: 'escalade-3', label: 'Escalade 3' },
  infoReminderDays: { id: 'complement-relance', label: 'Relancer la mairie après' }, infoCloseDays: { id: 'complement-cloture', label: 'Clôture sans suite possible après' }, themeCode: { id: 'theme-code', label: 'Thème' }, themeHours: { id: 'theme-delai', label: 'Délai de ce thème' },
}

/** « 72 », « 1,5 » hours → minutes; null when it is not a number of hours. */
function hoursToMinutes(value: unknown): number | null {
  const s = String(value ?? '').trim().replace(',', '.')
  if (!/^\d+(\.\d+)?$/.test(s)) return null
  return Math.round(Number(s) * 60)
}
const hoursOf = (minutes: number) => String(Math.round((minutes / 60) * 100) / 100).replace('.', ',')

export async function networkAdminPages(app: FastifyInstance) {
  const kit = app.pages

  // Routing rules and coverage: the same page shape, the same CSV use cases (one table or the other).
  const CSV_PAGES = [
    { table: 'routing_rule' as const, path: '/annuaire/regles', section: 'regles', title: 'Règles de routage', what: 'les règles', noun: 'règle(s)',
      intro: 'La règle la plus précise l’emporte : commune, puis intercommunalité, puis département.', button: 'Importer les règles' },
    { table: 'coverage' as const, path: '/annuaire/couverture', section: 'couverture', title: 'Couverture', what: 'la couverture', noun: 'entrée(s)',
      intro: 'Ce que chaque organisme couvre, par thème et territoire. Elle se modifie aussi depuis la page de chaque organisation.', button: 'Importer la couverture' },
  ]

  for (const page of CSV_PAGES) {
    async function render(request: FastifyRequest, reply: FastifyReply, extra: { refused?: CsvLineIssue[]; message?: string; csv?: string; status?: number } = {}) {
      const q = request.query as Record<string, string | undefined>
      const themeCode = (q.theme ?? '').slice(0, 50) || undefined
      const data = await app.tx(request, async (trx) => {
        const actor = request.principal!
        const themes = await listThemes(trx, actor, {}, undefined, 500)
        const labels = new Map(themes.map((t) => [t.code, t.label]))
        return {
          me: await kit.me(trx, request),
          themes: themes.map((t) => ({ code: t.code, label: t.label, selected: t.code === themeCode })),
          items: (await listAssignments(trx, page.table, actor, { themeCode }, undefined, null)).map((a) => ({ ...a, themeLabel: labels.get(a.themeCode) ?? a.themeCode, territoryLabel: TERRITORY_KIND_LABELS[a.territoryKind] })),
        }
      })
      const done = q.fait === 'import' ? `Import terminé : ${Number(q.crees) || 0} ${page.noun} créée(s), ${Number(q.inchangees) || 0} inchangée(s), ${Number(q.retirees) || 0} retirée(s).` : undefined
      return kit.render(reply, 'directory-rules.hbs', {
        title: `${extra.refused ? 'Erreur : ' : ''}Annuaire : ${page.title.toLowerCase()}`, ...data, section: page.section, done, page,
        refused: extra.refused, refusedMessage: extra.message, csv: extra.csv ?? '',
      }, extra.status ?? 200)
    }

    app.get(page.path, { config: { access: 'directory.browse' } }, async (request, reply) => render(request, reply))

    app.get(`${page.path}.csv`, { config: { access: 'routing.read' } }, async (request, reply) => {
      const { csv, filename } = await app.tx(request, (trx) => exportAssignments(trx, page.table, request.principal!))
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(csv)
    })

    app.post<{ Body: Record<string, string> }>(`${page.path}/import`, { config: { access: 'routing.import' }, preHandler: app.csrfProtection }, async (request, reply) => {
      const csv = String(request.body?.csv ?? '')
      if (!csv.trim()) return render(request, reply, { refused: [{ line: 1, message: 'Le fichier est vide : choisissez un fichier CSV ou collez son contenu.' }], message: 'Rien n’a été importé.', status: 400 })
      let result
      try {
        const records = parseAssignmentCsv(request.principal!, csv)
        result = await app.tx(request, (trx) => importAssignments(trx, page.table, request.principal!, records))
      } catch (err) {
        if (err instanceof DomainError && httpError(err).status === 400) {
          const refused = Array.isArray(err.details) ? (err.details as CsvLineIssue[]).filter((d) => typeof d?.line === 'number') : []
          return render(request, reply, { refused: refused.length ? refused : [{ line: 1, message: err.message }], message: err.message, csv, status: 400 })
        }
        throw err
      }
      return reply.redirect(`${page.path}?fait=import&crees=${result.created}&inchangees=${result.unchanged}&retirees=${result.deactivated}#resultat`, 303)
    })
  }

  async function renderSla(request: FastifyRequest, reply: FastifyReply, extra: { failed?: 'policy' | 'theme'; errors?: Record<string, string>; values?: Record<string, string>; formError?: string; status?: number } = {}) {
    const tenantId = request.principal!.tenantId
    const data = await app.tx(request, async (trx) => {
      const base = await slaPolicyOf(trx, tenantId, null)
      const themes = await listThemes(trx, request.principal!, { active: true }, undefined, 500)
      const perTheme = []
      for (const t of themes) {
        const p = await slaPolicyOf(trx, tenantId, t.code)
        perTheme.push({ code: t.code, label: t.label, response: duration(p.responseMinutes), clock: CLOCK_MODE_LABELS[p.clockMode], own: !p.inherited })
      }
      return { me: await kit.me(trx, request), base, perTheme }
    })
    const b = data.base
    const v: Record<string, string> = {
      responseHours: hoursOf(b.responseMinutes), reminderHours: hoursOf(b.reminderBeforeMinutes), clockMode: b.clockMode,
      infoReminderDays: String(b.infoReminderDays ?? ''), infoCloseDays: String(b.infoCloseDays ?? ''),
      ...Object.fromEntries([0, 1, 2].flatMap((i) => [[`esc${i}`, b.escalations[i] ? hoursOf(b.escalations[i].afterDueMinutes) : ''], ...TARGETS.map((n) => [`esc${i}_${n}`, b.escalations[i]?.notify.includes(n) ? '1' : ''])])),
      ...(extra.failed === 'policy' ? extra.values : {}),
    }
    const errors = extra.errors ?? {}
    const q = request.query as Record<string, string | undefined>
    return kit.render(reply, 'directory-sla.hbs', {
      title: `${extra.failed ? 'Erreur : ' : ''}Politique de délai`, me: data.me, section: 'delais', values: v, errors,
      failed: extra.failed, formError: extra.formError, summaryItems: errorItems(errors, SLA_FIELDS),
      done: q.fait === 'politique' ? 'La politique de délai est enregistrée ; les échéances des saisines en cours sont recalculées.' : q.fait === 'theme' ? 'Le délai du thème est enregistré.' : undefined,
      policy: {
        response: duration(b.responseMinutes), clock: CLOCK_MODE_LABELS[b.clockMode], reminder: b.reminderBeforeMinutes ? duration(b.reminderBeforeMinutes) : 'aucune',
        infoReminderDays: b.infoReminderDays, infoCloseDays: b.infoCloseDays,
        escalations: b.escalations.map((e, i) => ({ level: i + 1, after: duration(e.afterDueMinutes), notify: e.notify.map((n) => ESCALATION_TARGET_LABELS[n]).join(', ') })),
        // Opening hours only count in business hours: shown there only.
        hours: b.clockMode === 'business_hours' ? describeOpeningHours(b.openingHours) : null,
      },
      clockModes: CLOCK_MODES.map((m) => ({ value: m, label: CLOCK_MODE_LABELS[m], checked: m === v.clockMode })),
      levels: [0, 1, 2].map((i) => ({ i, n: i + 1, value: v[`esc${i}`], error: errors[`escalations_${i}_afterDueMinutes`], targets: TARGETS.map((t) => ({ value: t, label: ESCALATION_TARGET_LABELS[t], checked: v[`esc${i}_${t}`] === '1' })) })),
      perTheme: data.perTheme, themeValues: extra.failed === 'theme' ? extra.values : {},
      themeChoices: data.perTheme.map((t) => ({ code: t.code, label: t.label, selected: extra.failed === 'theme' && extra.values?.themeCode === t.code })),
    }, extra.status ?? 200)
  }

  app.get('/annuaire/delais', { config: { access: 'directory.browse' } }, async (request, reply) => renderSla(request, reply))

  /** Saves a policy through the use case; refused fields come back next to their inputs. */
  async function save(request: FastifyRequest, reply: FastifyReply, failed: 'policy' | 'theme', values: Record<string, string>, errors: Record<string, string>, themeCode: string | null, change: () => Promise<SlaPolicyChange>) {
    if (Object.keys(errors).length) return renderSla(request, reply, { failed, errors, values, status: 400 })
    try {
      const c = await change()
      await app.tx(request, (trx) => changeSlaPolicy(trx, request.principal!.tenantId, themeCode, c, app.clock(), request.principal!))
    } catch (err) {
      if (err instanceof DomainError && httpError(err).status < 500) {
        const fields = fieldErrors(err.details)
        return renderSla(request, reply, { failed, errors: fields, values, formError: Object.keys(fields).length ? undefined : err.message, status: httpError(err).status })
      }
      throw err
    }
    return reply.redirect(`/annuaire/delais?fait=${failed === 'policy' ? 'politique' : 'theme'}#resultat`, 303)
  }

  app.post<{ Body: Record<string, string> }>('/annuaire/delais', { config: { access: 'sla_policy.write' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const b = request.body ?? {}
    const values = Object.fromEntries(Object.entries(b).filter(([k, v]) => k !== '_csrf' && typeof v === 'string')) as Record<string, string>
    const errors: Record<string, string> = {}
    const response = hoursToMinutes(b.responseHours)
    if (!response) errors.responseMinutes = 'Indiquez un nombre d’heures supérieur à zéro (par exemple 72).'
    const reminder = b.reminderHours?.trim() ? hoursToMinutes(b.reminderHours) : 0
    if (reminder === null) errors.reminderBeforeMinutes = 'Indiquez un nombre d’heures (0 : pas de relance).'
    const clockMode = CLOCK_MODES.includes(b.clockMode as ClockMode) ? (b.clockMode as ClockMode) : null
    if (!clockMode) errors.clockMode = 'Choisissez un décompte.'
    const escalations: SlaPolicyChange['escalations'] = []
    for (const i of [0, 1, 2]) {
      if (!String(b[`esc${i}`] ?? '').trim()) continue
      const after = hoursToMinutes(b[`esc${i}`])
      const notify = TARGETS.filter((t) => b[`esc${i}_${t}`] === '1')
      if (after === null) errors[`escalations_${i}_afterDueMinutes`] = 'Indiquez un nombre d’heures après l’échéance.'
      else if (!notify.length) errors[`escalations_${i}_afterDueMinutes`] = 'Cochez qui prévenir à ce niveau.'
      else escalations.push({ afterDueMinutes: after, notify })
    }
    // The information pause (issue 12): whole working days, within the API's bounds.
    // A form without the fields (sent before they existed) keeps the current delays.
    const days = (key: 'infoReminderDays' | 'infoCloseDays', min: number, max: number, message: string) => {
      if (b[key] === undefined) return undefined
      const raw = String(b[key]).trim()
      if (/^\d{1,3}$/.test(raw) && Number(raw) >= min && Number(raw) <= max) return Number(raw)
      errors[key] = message
      return null
    }
    const infoReminderDays = days('infoReminderDays', 1, 60, 'Indiquez un nombre de jours ouvrés entre 1 et 60 (5 par défaut).')
    const infoCloseDays = days('infoCloseDays', 2, 120, 'Indiquez un nombre de jours ouvrés entre 2 et 120 (10 par défaut).')
    return save(request, reply, 'policy', values, errors, null, async () => {
      // The opening hours are kept as they are: this form does not change them.
      const current = await app.tx(request, (trx) => slaPolicyOf(trx, request.principal!.tenantId, null))
      return { responseMinutes: response!, reminderBeforeMinutes: reminder!, clockMode: clockMode!, escalations, openingHours: current.openingHours, infoReminderDays: infoReminderDays ?? current.infoReminderDays, infoCloseDays: infoCloseDays ?? current.infoCloseDays }
    })
  })

  app.post<{ Body: Record<string, string> }>('/annuaire/delais/theme', { config: { access: 'sla_policy.write' }, preHandler: app.csrfProtection }, async (request, reply) => {
    const b = request.body ?? {}
    const values = { themeCode: String(b.themeCode ?? ''), themeHours: String(b.themeHours ?? '') }
    const errors: Record<string, string> = {}
    if (!values.themeCode || values.themeCode.length > 50) errors.themeCode = 'Choisissez un thème.'
    const response = hoursToMinutes(values.themeHours)
    if (!response) errors.themeHours = 'Indiquez un nombre d’heures supérieur à zéro.'
    return save(request, reply, 'theme', values, errors, values.themeCode, async () => {
      // A theme's own deadline over the département's other rules.
      const current = await app.tx(request, (trx) => slaPolicyOf(trx, request.principal!.tenantId, values.themeCode))
      const { themeCode: _c, inherited: _i, ...rest } = current
      return { ...rest, responseMinutes: response!, reminderBeforeMinutes: Math.min(rest.reminderBeforeMinutes, Math.max(0, response! - 60)) }
    })
  })
}
