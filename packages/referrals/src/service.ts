import { randomUUID } from 'node:crypto'
import { AppError, badRequest, countedMinutes, formatReference, nextStatus, notFound, type ReferralAction, type RoutingDecision } from '@relais/core'
import type { Role, Tx } from '@relais/db'
import { appendEvent, SYSTEM, type Actor } from './timeline.ts'
import { enqueueMail } from './outbox.ts'
import { holderRecipients, networkAdmins, personRecipient } from './recipients.ts'
import { decideRouting } from './routing-input.ts'
import { OPEN_STATUSES, pausesFrom, refreshSchedule } from './schedule.ts'
import { loadPolicy } from './policy.ts'

export interface Principal { personId: string; tenantId: string; organisationId: string; role: Role }

export interface FileInput {
  themeCode: string
  communeInsee?: string
  question: string
  citizen: { name: string; email?: string; phone?: string; preferredChannel: 'email' | 'phone' | 'post' | 'counter' }
  internalNote?: string
}

const actorOf = (p: Principal): Actor => ({ personId: p.personId, organisationId: p.organisationId })

/** Which referrals a person may see: the rule lives here only. Anything else is 404. */
export function canSee(p: Principal, r: { mairie_organisation_id: string; holder_organisation_id: string }): boolean {
  if (p.role === 'network_admin') return true
  if (p.role === 'secretary') return r.mairie_organisation_id === p.organisationId
  return r.holder_organisation_id === p.organisationId
}

async function assign(trx: Tx, args: { tenantId: string; referralId: string; decision: Pick<RoutingDecision, 'organisationId' | 'personId' | 'reason' | 'viaBackupOf'> & { mode: 'automatic' | 'manual' | 'transfer' | 'triage' }; previous: { organisationId: string; personId: string | null } | null; actor: Actor; now: Date }) {
  const d = args.decision
  await appendEvent(trx, args.tenantId, args.referralId, 'assigned', args.actor, args.now, {
    mode: d.mode, organisationId: d.organisationId, personId: d.personId, viaBackupOf: d.viaBackupOf ?? null, reason: d.reason,
    previousOrganisationId: args.previous?.organisationId ?? null, previousPersonId: args.previous?.personId ?? null,
  })
}

export async function fileReferral(trx: Tx, p: Principal, input: FileInput, now: Date) {
  if (p.role !== 'secretary') throw new AppError(403, 'forbidden', 'Seul le secrétariat d’une mairie peut déposer une saisine.')
  const mairie = await trx.selectFrom('organisation').select(['id', 'commune_insee', 'kind']).where('id', '=', p.organisationId).executeTakeFirstOrThrow()
  const tenant = await trx.selectFrom('tenant').select(['id', 'code']).where('id', '=', p.tenantId).executeTakeFirstOrThrow()
  const theme = await trx.selectFrom('theme').select(['id', 'code', 'label']).where('code', '=', input.themeCode).where('active', '=', true).executeTakeFirst()
  const details: { path: string; message: string }[] = []
  if (!theme) details.push({ path: 'themeCode', message: 'Thème inconnu.' })
  const communeInsee = input.communeInsee ?? mairie.commune_insee
  const commune = communeInsee ? await trx.selectFrom('commune').select(['insee', 'departement']).where('insee', '=', communeInsee).executeTakeFirst() : undefined
  if (!commune || commune.departement !== tenant.code) details.push({ path: 'communeInsee', message: 'Commune inconnue dans ce département.' })
  const c = input.citizen
  if (c.preferredChannel === 'email' && !c.email) details.push({ path: 'citizen.email', message: 'L’adresse électronique est obligatoire quand le citoyen préfère être contacté par courriel.' })
  if (c.preferredChannel === 'phone' && !c.phone) details.push({ path: 'citizen.phone', message: 'Le téléphone est obligatoire quand le citoyen préfère être contacté par téléphone.' })
  if (!input.question.trim()) details.push({ path: 'question', message: 'Ce champ ne peut pas être vide.' })
  if (!c.name.trim()) details.push({ path: 'citizen.name', message: 'Ce champ ne peut pas être vide.' })
  if (details.length || !theme || !commune) throw new AppError(400, 'validation_failed', 'Certaines informations sont invalides : corrigez les champs indiqués.', details)

  const decision = await decideRouting(trx, { themeId: theme.id, communeInsee: commune.insee, now })
  const year = Number(new Intl.DateTimeFormat('en', { timeZone: 'Europe/Paris', year: 'numeric' }).format(now))
  const triage = decision.mode === 'triage'
  const referral = await trx.insertInto('referral').values({
    // Numbered last (below): the per-tenant counter row is then locked only until the commit that follows.
    tenant_id: p.tenantId, reference: `pending-${randomUUID()}`, mairie_organisation_id: mairie.id, filed_by_person_id: p.personId, theme_id: theme.id,
    commune_insee: commune.insee, question: input.question, citizen_name: c.name.trim(), citizen_email: c.email ?? null,
    citizen_phone: c.phone ?? null, citizen_preferred_channel: c.preferredChannel, internal_note: input.internalNote ?? null,
    status: triage ? 'submitted' : 'assigned', holder_organisation_id: decision.organisationId, holder_person_id: decision.personId,
    filed_at: now, clock_started_at: now,
  }).returning(['id', 'reference', 'status']).executeTakeFirstOrThrow()
  await appendEvent(trx, p.tenantId, referral.id, 'filed', actorOf(p), now, { themeCode: theme.code, communeInsee: commune.insee })
  await assign(trx, { tenantId: p.tenantId, referralId: referral.id, decision: { ...decision, mode: triage ? 'triage' : 'automatic' }, previous: null, actor: SYSTEM, now })
  await refreshSchedule(trx, referral.id)
  const recipients = triage ? await networkAdmins(trx) : await holderRecipients(trx, decision.organisationId, decision.personId)
  await enqueueMail(trx, { tenantId: p.tenantId, referralId: referral.id, kind: 'referral_new', recipients, payload: { triage }, now })
  const seq = await trx.insertInto('referral_sequence').values({ tenant_id: p.tenantId, year, last_value: 1 })
    .onConflict((oc) => oc.columns(['tenant_id', 'year']).doUpdateSet((eb) => ({ last_value: eb('referral_sequence.last_value', '+', 1) })))
    .returning('last_value').executeTakeFirstOrThrow()
  await trx.updateTable('referral').set({ reference: formatReference(tenant.code, year, seq.last_value) }).where('id', '=', referral.id).execute()
  return referral.id
}

export async function lockVisible(trx: Tx, p: Principal, referralId: string) {
  const r = await trx.selectFrom('referral').selectAll().where('id', '=', referralId).forUpdate().executeTakeFirst()
  if (!r || !canSee(p, r)) throw notFound('Cette saisine')
  return r
}

export interface ActionInput { body?: string; organisationId?: string; toRouting?: boolean; reason?: string; placeOrganisationId?: string; at?: string; personId?: string }

/** Applies one action of a person to a referral: state machine, timeline, SLA and mails in one transaction. */
export async function act(trx: Tx, p: Principal, referralId: string, action: ReferralAction, input: ActionInput, now: Date) {
  const r = await lockVisible(trx, p, referralId)
  const status = nextStatus(r.status, action, { actorRole: p.role, closedAt: r.closed_at, now })
  const actor = actorOf(p)
  const need = (field: keyof ActionInput, label: string) => {
    const v = input[field]
    if (typeof v !== 'string' || !v.trim()) throw new AppError(400, 'validation_failed', 'Certaines informations sont invalides : corrigez les champs indiqués.', [{ path: field, message: `${label} est obligatoire.` }])
    return v.trim()
  }
  const update: Record<string, unknown> = { status, updated_at: now }
  const slaMet = async () => {
    if (r.sla_met_at) return
    const events = await trx.selectFrom('referral_event').select(['kind', 'at', 'data']).where('referral_id', '=', r.id).orderBy('seq').execute()
    const policy = await loadPolicy(trx, r.tenant_id, r.theme_id)
    const taken = countedMinutes(r.clock_started_at, now, policy, pausesFrom(events, r.clock_started_at))
    Object.assign(update, { sla_met_at: now, sla_minutes_taken: taken, sla_minutes_vs_target: taken - policy.responseMinutes })
    await appendEvent(trx, r.tenant_id, r.id, 'sla_met', SYSTEM, now, { minutesTaken: taken, minutesVsTarget: taken - policy.responseMinutes })
  }
  const secretary = () => personRecipient(trx, r.filed_by_person_id)

  switch (action) {
    case 'answer': {
      const body = need('body', 'La réponse')
      const ev = await appendEvent(trx, r.tenant_id, r.id, 'answered', actor, now, { body })
      await slaMet()
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'answer_received', recipients: await secretary(), payload: { eventSeq: ev.seq }, now })
      break
    }
    case 'propose_appointment': {
      const placeId = need('placeOrganisationId', 'Le lieu du rendez-vous')
      const at = need('at', 'La date du rendez-vous')
      const when = new Date(at)
      if (Number.isNaN(when.getTime()) || when <= now || when.getTime() > now.getTime() + 366 * 86400_000) throw badRequest('validation_failed', 'La date du rendez-vous doit être dans l’année qui vient.', [{ path: 'at', message: 'Date invalide ou passée.' }])
      const place = await trx.selectFrom('organisation').select(['id', 'name', 'address']).where('id', '=', placeId).where('kind', '=', 'msap').executeTakeFirst()
      if (!place) throw badRequest('validation_failed', 'Le lieu doit être une maison de services au public du département.', [{ path: 'placeOrganisationId', message: 'Lieu inconnu.' }])
      const ev = await appendEvent(trx, r.tenant_id, r.id, 'appointment_proposed', actor, now, { placeOrganisationId: place.id, placeName: place.name, placeAddress: place.address, at: when.toISOString(), body: input.body?.trim() || null })
      await slaMet()
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'appointment_proposed', recipients: await secretary(), payload: { eventSeq: ev.seq }, now })
      break
    }
    case 'request_info': {
      const body = need('body', 'La demande de complément')
      const ev = await appendEvent(trx, r.tenant_id, r.id, 'info_requested', actor, now, { body })
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'info_requested', recipients: await secretary(), payload: { eventSeq: ev.seq }, now })
      break
    }
    case 'provide_info': {
      const body = need('body', 'Le complément')
      await appendEvent(trx, r.tenant_id, r.id, 'info_provided', actor, now, { body })
      break
    }
    case 'transfer': {
      const reason = need('reason', 'Le motif du transfert')
      const lastAssigned = await trx.selectFrom('referral_event').select('at').where('referral_id', '=', r.id).where('kind', '=', 'assigned').orderBy('seq', 'desc').limit(1).executeTakeFirst()
      const heldMinutes = Math.max(0, Math.round((now.getTime() - (lastAssigned?.at ?? r.filed_at).getTime()) / 60000))
      let decision: Pick<RoutingDecision, 'organisationId' | 'personId' | 'reason' | 'viaBackupOf'> & { mode: 'transfer' | 'triage' }
      if (input.toRouting || !input.organisationId) {
        const d = await decideRouting(trx, { themeId: r.theme_id, communeInsee: r.commune_insee, now, excludeOrganisationIds: [r.holder_organisation_id] })
        decision = { ...d, mode: d.mode === 'triage' ? 'triage' : 'transfer' }
      } else {
        const org = await trx.selectFrom('organisation').select(['id', 'kind', 'status']).where('id', '=', input.organisationId).executeTakeFirst()
        if (!org || org.kind === 'mairie' || org.status === 'suspended') throw badRequest('validation_failed', 'L’organisme destinataire est inconnu ou ne peut pas recevoir de saisine.', [{ path: 'organisationId', message: 'Organisme inconnu.' }])
        if (org.id === r.holder_organisation_id) throw badRequest('validation_failed', 'La saisine est déjà chez cet organisme.', [{ path: 'organisationId', message: 'Choisissez un autre organisme.' }])
        let personId: string | null = null
        if (input.personId) {
          const person = await trx.selectFrom('person').select('id').where('id', '=', input.personId).where('organisation_id', '=', org.id).where('active', '=', true).executeTakeFirst()
          if (!person) throw badRequest('validation_failed', 'Ce référent n’appartient pas à l’organisme choisi.', [{ path: 'personId', message: 'Référent inconnu.' }])
          personId = person.id
        }
        decision = { organisationId: org.id, personId, reason: 'Transfert manuel', viaBackupOf: null, mode: org.kind === 'mission_tic' ? 'triage' : 'transfer' }
      }
      await appendEvent(trx, r.tenant_id, r.id, 'transferred', actor, now, { fromOrganisationId: r.holder_organisation_id, fromPersonId: r.holder_person_id, toOrganisationId: decision.organisationId, reason, heldMinutes })
      await assign(trx, { tenantId: r.tenant_id, referralId: r.id, decision, previous: { organisationId: r.holder_organisation_id, personId: r.holder_person_id }, actor, now })
      Object.assign(update, { holder_organisation_id: decision.organisationId, holder_person_id: decision.personId, status: decision.mode === 'triage' ? 'submitted' : 'assigned' })
      const recipients = decision.mode === 'triage' ? await networkAdmins(trx) : await holderRecipients(trx, decision.organisationId, decision.personId)
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'transferred', recipients, payload: { reason }, now })
      break
    }
    case 'assign': {
      // Manual assignment from the triage queue by the mission TIC.
      const orgId = need('organisationId', 'L’organisme')
      const org = await trx.selectFrom('organisation').select(['id', 'kind']).where('id', '=', orgId).where('status', '<>', 'suspended').executeTakeFirst()
      if (!org || org.kind === 'mairie') throw badRequest('validation_failed', 'Organisme inconnu.', [{ path: 'organisationId', message: 'Organisme inconnu.' }])
      let personId: string | null = null
      if (input.personId) {
        const person = await trx.selectFrom('person').select('id').where('id', '=', input.personId).where('organisation_id', '=', org.id).where('active', '=', true).executeTakeFirst()
        if (!person) throw badRequest('validation_failed', 'Ce référent n’appartient pas à l’organisme choisi.', [{ path: 'personId', message: 'Référent inconnu.' }])
        personId = person.id
      }
      await assign(trx, { tenantId: r.tenant_id, referralId: r.id, decision: { organisationId: org.id, personId, reason: 'Affectation manuelle', viaBackupOf: null, mode: 'manual' }, previous: { organisationId: r.holder_organisation_id, personId: r.holder_person_id }, actor, now })
      Object.assign(update, { holder_organisation_id: org.id, holder_person_id: personId })
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'referral_new', recipients: await holderRecipients(trx, org.id, personId), payload: {}, now })
      break
    }
    case 'close':
      await appendEvent(trx, r.tenant_id, r.id, 'closed', actor, now, {})
      update.closed_at = now
      break
    case 'reopen': {
      await appendEvent(trx, r.tenant_id, r.id, 'reopened', actor, now, { body: input.body?.trim() || null })
      // A reopened referral is a new question for its holder: a new clock cycle starts.
      Object.assign(update, { closed_at: null, sla_met_at: null, sla_minutes_taken: null, sla_minutes_vs_target: null, clock_started_at: now })
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'referral_new', recipients: await holderRecipients(trx, r.holder_organisation_id, r.holder_person_id), payload: { reopened: true }, now })
      break
    }
    case 'cancel':
      await appendEvent(trx, r.tenant_id, r.id, 'cancelled', actor, now, { body: input.body?.trim() || null })
      break
  }
  await trx.updateTable('referral').set(update).where('id', '=', r.id).execute()
  await refreshSchedule(trx, r.id)
  return r.id
}

export { OPEN_STATUSES }
