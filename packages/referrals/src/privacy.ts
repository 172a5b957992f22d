// Citizens' personal data (issue 18): the log of who displayed a referral's citizen data, read by the mission TIC.
import { CHANNEL_LABELS, STATUS_LABELS, authorizeRole, conflict, dateTimeFr, invalidFields, notFound } from '@relais/core'
import type { AccessVia, TenantTx } from '@relais/db'
import { renderPdf, type PdfBlock } from '@relais/documents/pdf'
import * as log from '@relais/db/repositories/access-log'
import { recordChange } from '@relais/db/repositories/audit'
import * as referrals from '@relais/db/repositories/referrals'
import * as subjects from '@relais/db/repositories/subjects'
import type { SubjectKey } from '@relais/db/repositories/subjects'
import { privacyNotice, privacySettings } from './citizen.ts'
import { anonymiseNow } from './retention.ts'
import { tenantTimeZone } from '@relais/db/repositories/parties'
import type { Principal } from './service.ts'

export const ACCESS_LOG_LIMIT = 500

export interface AccessEntry { at: string; via: AccessVia; referral: { id: string; reference: string }; person: { id: string; name: string; role: string }; organisation: string }

const entry = (r: log.AccessRow): AccessEntry => ({
  at: r.at.toISOString(), via: r.via, referral: { id: r.referralId, reference: r.reference }, person: { id: r.personId, name: r.personName, role: r.role }, organisation: r.organisation,
})

/** Who displayed this referral's citizen data, latest first (the mission TIC). Another tenant's referral: 404. */
export async function referralAccessLog(trx: TenantTx, p: Principal, referralId: string) {
  authorizeRole(p, 'referral.access_log')
  const r = await log.referralRef(trx, p.tenantId, referralId)
  if (!r) throw notFound('Cette saisine')
  const items = await log.accessLog(trx, p.tenantId, [r.id], ACCESS_LOG_LIMIT)
  return { referral: { id: r.id, reference: r.reference }, items: items.map(entry) }
}

/** The displays of several referrals (a person's), latest first. */
export async function accessLogOf(trx: TenantTx, p: Principal, referralIds: string[]): Promise<AccessEntry[]> {
  authorizeRole(p, 'privacy.subjects')
  return (await log.accessLog(trx, p.tenantId, referralIds, ACCESS_LOG_LIMIT)).map(entry)
}

// ---------------------------------------------------------------- the rights of access and erasure (the mission TIC)

export const SUBJECT_LIMIT = 200

export type SubjectQuery = { email?: string; name?: string }

/** Exactly one key: an address (exact, case ignored) or a name (every word, accents and case ignored). */
function keyOf(q: SubjectQuery): SubjectKey {
  const email = q.email?.trim()
  const name = q.name?.trim()
  if (email && name) throw invalidFields([{ path: 'email', message: 'Cherchez par adresse électronique ou par nom, pas les deux à la fois.' }])
  if (email) {
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw invalidFields([{ path: 'email', message: 'Adresse électronique invalide.' }])
    return { email }
  }
  if (name) {
    if (name.replace(/\s/g, '').length < 2) throw invalidFields([{ path: 'name', message: 'Le nom compte au moins deux lettres.' }])
    return { name }
  }
  throw invalidFields([{ path: 'email', message: 'Indiquez l’adresse électronique ou le nom de la personne.' }])
}

const byWords = (key: SubjectKey) => ('email' in key ? 'adresse électronique' : 'nom')

export interface SubjectReferralView {
  id: string; reference: string; status: string; filedAt: string; closedAt: string | null
  citizen: { name: string; email: string | null; phone: string | null; preferredChannel: string }
  theme: string; commune: string; mairie: string; organisation: string
}

const view = (r: subjects.SubjectReferral): SubjectReferralView => ({
  id: r.id, reference: r.reference, status: r.status, filedAt: r.filed_at.toISOString(), closedAt: r.closed_at?.toISOString() ?? null,
  citizen: { name: r.citizen_name, email: r.citizen_email, phone: r.citizen_phone, preferredChannel: r.citizen_preferred_channel },
  theme: r.theme_label, commune: r.commune_name, mairie: r.mairie_name, organisation: r.holder_name,
})

async function audited(trx: TenantTx, p: Principal, action: 'find' | 'export' | 'erase', key: SubjectKey, references: string[], extra: Record<string, unknown> = {}) {
  // Who looked for whom is kept by the references found, not by the address or name typed: the log is append-only and
  // must not keep what an erasure removes.
  const what = { find: 'Recherche des données d’une personne', export: 'Export des données d’une personne', erase: 'Effacement des données d’une personne' }[action]
  await recordChange(trx, p.tenantId, {
    actorPersonId: p.personId, entity: 'privacy_subject', entityId: null, action, label: `${what} (par ${byWords(key)}) : ${references.length} saisine(s)`,
    before: null, after: { by: byWords(key), references, ...extra },
  })
}

/** Every referral about a person in the tenant (the mission TIC); the search is on the audit log. */
export async function findSubject(trx: TenantTx, p: Principal, q: SubjectQuery) {
  authorizeRole(p, 'privacy.subjects')
  const key = keyOf(q)
  const rows = await subjects.subjectReferrals(trx, p.tenantId, key, SUBJECT_LIMIT)
  await audited(trx, p, 'find', key, rows.map((r) => r.reference))
  return { items: rows.map(view) }
}

/** What the tracking page shows of the steps, plus what was written about the request (answers, complements…). */
const WRITTEN: Record<string, string> = {
  answered: 'Réponse', info_requested: 'Complément demandé', info_provided: 'Complément apporté', cancelled: 'Annulation', reopened: 'Réouverture', closed: 'Clôture', mail_received: 'Courriel reçu',
}

export interface SubjectExport {
  exportedAt: string
  /** The tenant's, for the PDF's dates. */
  timeZone: string
  subject: { by: string; value: string }
  controller: string; purpose: string; legalBasis: string; retention: string
  referrals: (SubjectReferralView & { question: string; internalNote: string | null; written: { at: string; kind: string; label: string; organisation: string | null; text: string }[] })[]
}

/**
 * The right of access (RGPD art. 15): every referral about the person with what she gave and what was written about
 * it. Each referral's export is on its access log, and the export on the audit log.
 */
export async function exportSubject(trx: TenantTx, p: Principal, q: SubjectQuery, now: Date, format: 'json' | 'pdf' = 'json'): Promise<SubjectExport> {
  authorizeRole(p, 'privacy.subjects')
  const key = keyOf(q)
  const rows = await subjects.subjectReferrals(trx, p.tenantId, key, SUBJECT_LIMIT)
  const events = await subjects.subjectEvents(trx, p.tenantId, rows.map((r) => r.id))
  const settings = await privacySettings(trx, p.tenantId)
  const notice = privacyNotice(settings)
  await log.logAccess(trx, p.tenantId, rows.map((r) => r.id), p.personId, now, 'export')
  await audited(trx, p, 'export', key, rows.map((r) => r.reference), { format })
  return {
    exportedAt: now.toISOString(), timeZone: await tenantTimeZone(trx, p.tenantId), subject: { by: 'email' in key ? 'email' : 'name', value: 'email' in key ? key.email : key.name },
    controller: notice.controller, purpose: notice.purpose, legalBasis: notice.legalBasis, retention: notice.retention,
    referrals: rows.map((r) => ({
      ...view(r), question: r.question, internalNote: r.internal_note,
      written: events.filter((e) => e.referral_id === r.id && WRITTEN[e.kind]).map((e) => {
        const text = ['body', 'note', 'reason'].map((f) => e.data[f]).find((v) => typeof v === 'string') as string | undefined
        return { at: e.at.toISOString(), kind: e.kind, label: WRITTEN[e.kind]!, organisation: e.organisation, text: text ?? '' }
      }),
    })),
  }
}

/** The same export as a PDF (renderPdf), for a person who asks on paper. */
export async function subjectPdf(x: SubjectExport): Promise<Buffer> {
  const timeZone = x.timeZone
  const when = (iso: string) => dateTimeFr(iso, timeZone)
  const blocks: PdfBlock[] = [
    { paragraph: `Données personnelles trouvées dans Relais pour la personne recherchée par ${x.subject.by === 'email' ? 'adresse électronique' : 'nom'} « ${x.subject.value} », le ${when(x.exportedAt)} (RGPD, article 15).` },
    { fields: [['Responsable du traitement', x.controller], ['Finalité', x.purpose], ['Base légale', x.legalBasis], ['Conservation', x.retention], ['Demandes trouvées', String(x.referrals.length)]] },
  ]
  for (const r of x.referrals) {
    blocks.push({ heading: `Demande ${r.reference}` })
    blocks.push({ fields: [
      ['Déposée le', when(r.filedAt)], ['Statut', STATUS_LABELS[r.status as keyof typeof STATUS_LABELS] ?? r.status], ['Thème', r.theme], ['Commune', r.commune], ['Mairie', r.mairie], ['Organisme', r.organisation],
      ['Nom', r.citizen.name], ['Adresse électronique', r.citizen.email ?? '—'], ['Téléphone', r.citizen.phone ?? '—'], ['Contact préféré', CHANNEL_LABELS[r.citizen.preferredChannel as keyof typeof CHANNEL_LABELS] ?? r.citizen.preferredChannel],
    ] })
    blocks.push({ paragraph: `Question : ${r.question}` })
    if (r.internalNote) blocks.push({ paragraph: `Note interne de la mairie : ${r.internalNote}` })
    if (r.written.length) blocks.push({ table: { columns: ['Date', 'Écrit', 'Organisme', 'Texte'], rows: r.written.map((w) => [when(w.at), w.label, w.organisation ?? '—', w.text || '—']) } })
  }
  if (!x.referrals.length) blocks.push({ paragraph: 'Aucune demande ne concerne cette personne.' })
  return renderPdf({ title: 'Export des données personnelles', subtitle: 'Relais — droit d’accès', createdAt: new Date(x.exportedAt), blocks, footer: 'Document confidentiel : données personnelles' })
}

/**
 * The right to erasure (RGPD art. 17), early: the retention's anonymisation of every referral about the person, each
 * timeline still verifying. Referrals still in progress are refused (409, none erased): the request must be
 * finished (closed or cancelled) first, so no one is left with a question she can no longer read.
 */
export async function eraseSubject(trx: TenantTx, p: Principal, q: SubjectQuery, now: Date) {
  authorizeRole(p, 'privacy.subjects')
  const key = keyOf(q)
  const rows = await subjects.subjectReferrals(trx, p.tenantId, key, SUBJECT_LIMIT)
  if (!rows.length) throw notFound('Aucune demande de cette personne : rien à effacer. Cette personne')
  const open = rows.filter((r) => r.status !== 'closed' && r.status !== 'cancelled')
  if (open.length) {
    throw conflict('subject_has_open_referrals', `Ces demandes sont encore en cours : ${open.map((r) => r.reference).join(', ')}. Clôturez-les ou annulez-les d’abord ; rien n’a été effacé.`, { references: open.map((r) => r.reference) })
  }
  const actor = { personId: p.personId, organisationId: p.organisationId }
  let erasedEvents = 0
  let erasedAttachments = 0
  for (const r of rows) {
    await referrals.lockReferral(trx, p.tenantId, r.id)
    const done = await anonymiseNow(trx, p.tenantId, r, actor, now)
    erasedEvents += done.erasedEvents
    erasedAttachments += done.erasedAttachments
  }
  await audited(trx, p, 'erase', key, rows.map((r) => r.reference), { erasedEvents, erasedAttachments })
  return { erased: rows.map((r) => ({ id: r.id, reference: r.reference })), erasedEvents, erasedAttachments }
}

/** Who displayed the person's data, across her referrals (the mission TIC). */
export async function subjectAccessLog(trx: TenantTx, p: Principal, q: SubjectQuery) {
  authorizeRole(p, 'privacy.subjects')
  const key = keyOf(q)
  const rows = await subjects.subjectReferrals(trx, p.tenantId, key, SUBJECT_LIMIT)
  return { referrals: rows.map((r) => ({ id: r.id, reference: r.reference })), items: (await log.accessLog(trx, p.tenantId, rows.map((r) => r.id), ACCESS_LOG_LIMIT)).map(entry) }
}
