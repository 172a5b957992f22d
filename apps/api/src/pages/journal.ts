// The mission TIC's audit log: every change to the directory and the SLA policy, who and when, before → after.
import type { FastifyInstance } from 'fastify'
import { CLOCK_MODE_LABELS, ESCALATION_TARGET_LABELS, ROLE_LABELS, describeOpeningHours, labelOf, type EscalationTarget, type WeeklyHours } from '@relais/core'
import type { AuditEntity } from '@relais/db'
import { listAuditLog } from '@relais/directory/audit'
import { duration, longDate } from './format.ts'

const ENTITY_LABELS: Record<AuditEntity, string> = {
  person: 'Personne', organisation: 'Organisation', theme: 'Thème', routing_rule: 'Règle de routage', coverage: 'Couverture', sla_policy: 'Politique de délai',
  privacy_settings: 'Règles des données personnelles', privacy_subject: 'Données d’une personne',
}
const ACTION_LABELS: Record<string, string> = { create: 'création', update: 'modification', deactivate: 'désactivation', import: 'import', find: 'recherche', export: 'export', erase: 'effacement' }
const FIELD_LABELS: Record<string, string> = {
  name: 'nom', email: 'adresse électronique', role: 'rôle', active: 'actif', absentFrom: 'absent à partir du', absentUntil: 'absent jusqu’au',
  backupPersonId: 'suppléant', organisationId: 'organisme', password: 'mot de passe', status: 'état', kind: 'type', label: 'libellé', code: 'code',
  slaResponseMinutes: 'délai propre', responseMinutes: 'délai de réponse', clockMode: 'décompte', reminderBeforeMinutes: 'relance avant l’échéance',
  escalations: 'escalades', openingHours: 'heures d’ouverture', themeCode: 'thème', territoryKind: 'territoire', territoryCode: 'code du territoire',
  personId: 'référent', personEmail: 'référent', organisationName: 'organisme', communeInsee: 'commune', retirees: 'règles retirées', creees: 'règles créées',
  shortName: 'nom court', address: 'adresse', phone: 'téléphone',
  dpoContact: 'délégué à la protection des données', retentionMonths: 'conservation (mois après la clôture)', referentMailContact: 'coordonnées de l’usager dans les courriels aux référents',
  references: 'saisines', by: 'recherche par', format: 'format',
  infoReminderDays: 'relance de la mairie après (jours ouvrés)', infoCloseDays: 'clôture sans suite possible après (jours ouvrés)',
}

/** A value as people read it: dates in French, durations in hours, roles by name, lists one after the other. */
function readable(key: string, v: unknown, timeZone: string): string {
  if (v === null || v === undefined || v === '') return '—'
  if (typeof v === 'boolean') return v ? 'oui' : 'non'
  if (key === 'role') return labelOf(ROLE_LABELS, String(v))
  if (key === 'clockMode') return labelOf(CLOCK_MODE_LABELS, String(v))
  if (/Minutes$/.test(key) && typeof v === 'number') return duration(v)
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return longDate(v, timeZone)
  if (key === 'escalations' && Array.isArray(v)) {
    return v.length ? (v as { afterDueMinutes: number; notify: EscalationTarget[] }[]).map((e) => `après ${duration(e.afterDueMinutes)} : ${e.notify.map((n) => ESCALATION_TARGET_LABELS[n] ?? n).join(', ')}`).join(' ; ') : 'aucune'
  }
  if (key === 'openingHours' && typeof v === 'object') return describeOpeningHours(v as WeeklyHours).map((d) => `${d.day} ${d.windows}`).join(' ; ')
  if (Array.isArray(v)) return v.length ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ; ') : 'aucune'
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

export async function journalPages(app: FastifyInstance) {
  const kit = app.pages
  app.get<{ Querystring: { objet?: string } }>('/journal', { config: { access: 'audit.read' } }, async (request, reply) => {
    const entity = Object.keys(ENTITY_LABELS).includes(request.query.objet ?? '') ? (request.query.objet as AuditEntity) : undefined
    const data = await app.tx(request, async (trx) => ({ me: await kit.me(trx, request), rows: await listAuditLog(trx, request.principal!, { entity }, 300) }))
    const items = data.rows.map((r) => {
      const keys = [...new Set([...Object.keys(r.before ?? {}), ...Object.keys(r.after ?? {})])]
      return {
        at: longDate(r.at, data.me.timeZone), iso: r.at.toISOString(), who: r.actorName ? `${r.actorName} (${r.actorOrganisation})` : 'Relais',
        what: `${ENTITY_LABELS[r.entity]} — ${ACTION_LABELS[r.action] ?? r.action}`, label: r.label,
        changes: keys.map((k) => ({ field: FIELD_LABELS[k] ?? k, before: r.before ? readable(k, r.before[k], data.me.timeZone) : '', after: r.after ? readable(k, r.after[k], data.me.timeZone) : '', hasBefore: !!r.before, hasAfter: !!r.after })),
      }
    })
    return kit.render(reply, 'journal.hbs', {
      title: 'Journal des modifications', me: data.me, items,
      entities: Object.entries(ENTITY_LABELS).map(([value, label]) => ({ value, label, selected: value === entity })),
    })
  })
}
