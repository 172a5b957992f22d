import { randomUUID } from 'node:crypto'
import { authorizeRole, badRequest, formatTrackingCode, conflict, infoPauseSteps, filingFieldIssues, canSeeReferral, invalidFields, countedMinutes, localYear, referencePrefix, nextStatus, notFound, route, type ReferralAction, type RoutingDecision } from '@relais/core'
import type { Role, ReferralTable, TenantTx } from '@relais/db'
import type { Updateable } from 'kysely'
import * as referrals from '@relais/db/repositories/referrals'
import { clockEvents, insertEvents, lastEventAt, transferredFrom } from '@relais/db/repositories/timeline'
import { insertOutbox } from '@relais/db/repositories/outbox'
import { activeMember, holdingPeople, organisationFacts } from '@relais/db/repositories/parties'
import { appendEvent, chainEvents, GENESIS_HASH, SYSTEM, type Actor } from './timeline.ts'
import { enqueueMail, outboxRows } from './outbox.ts'
import { holderRecipients, networkAdmins, personRecipient } from './recipients.ts'
import { decideRouting, loadRoutingSnapshot, routingInput } from './routing-input.ts'
import { pausesFrom, plannedSteps, scheduleOf } from './schedule.ts'
import { newTrackingCode, trackingHash } from './citizen.ts'
import { loadPolicy, mergePolicy } from './policy.ts'
import { bookAppointment, notifyAppointment } from './appointments.ts'
import { claimAttachments, linkClaimed } from './attachments.ts'

export interface Principal { personId: string; tenantId: string; organisationId: string; role: Role }

export interface FileInput {
  themeCode: string
  communeInsee?: string
  question: string
  citizen: { name: string; email?: string; phone?: string; preferredChannel: 'email' | 'phone' | 'post' | 'counter' }
  internalNote?: string
  /** Files uploaded first (POST /attachments), linked to the filing. */
  attachmentIds?: string[]
}

const actorOf = (p: Principal): Actor => ({ personId: p.personId, organisationId: p.organisationId })

type Assignment = Pick<RoutingDecision, 'organisationId' | 'personId' | 'reason' | 'viaBackupOf'> & { mode: 'automatic' | 'manual' | 'transfer' | 'triage' | 'reassigned' }

/** Every assignment on the timeline says how it was made and who held the referral before. */
function assignmentData(d: Assignment, previous: { organisationId: string; personId: string | null } | null) {
  return {
    mode: d.mode, organisationId: d.organisationId, personId: d.personId, viaBackupOf: d.viaBackupOf ?? null, reason: d.reason,
    previousOrganisationId: previous?.organisationId ?? null, previousPersonId: previous?.personId ?? null,
  }
}

async function assign(trx: TenantTx, args: { tenantId: string; referralId: string; decision: Assignment; previous: { organisationId: string; personId: string | null } | null; actor: Actor; now: Date }) {
  await appendEvent(trx, args.tenantId, args.referralId, 'assigned', args.actor, args.now, assignmentData(args.decision, args.previous))
}

export interface FiledReferral {
  id: string; reference: string; status: 'submitted' | 'assigned'; dueAt: Date | null; assignedOrganisation: { id: string; name: string }
  /** Given once (only its hash is kept): for the citizen, by mail or on the printed receipt. */
  trackingCode: string
  /** How the acknowledgement reaches the citizen: mailed now, or printed by the secretary. */
  acknowledgement: 'email' | 'print'
}

/**
 * Files a referral: validation, routing and the SLA schedule are decided in memory from one snapshot of the
 * directory; the referral, its first events and its mails are written together.
 */
export async function fileReferralSummary(trx: TenantTx, p: Principal, input: FileInput, now: Date): Promise<FiledReferral> {
  authorizeRole(p, 'referral.file')
  const snap = await loadRoutingSnapshot(trx, p.tenantId, { themeCode: input.themeCode, communeInsee: input.communeInsee, mairieOrganisationId: p.organisationId })
  const { theme, commune } = snap
  const details: { path: string; message: string }[] = []
  if (!theme) details.push({ path: 'themeCode', message: 'Thème inconnu.' })
  if (!commune || commune.departement !== snap.tenant.code) details.push({ path: 'communeInsee', message: 'Commune inconnue dans ce département.' })
  const c = input.citizen
  details.push(...filingFieldIssues(input))
  if (details.length || !theme || !commune) throw invalidFields(details)

  const files = await claimAttachments(trx, p, null, input.attachmentIds, now)
  const given = input.communeInsee ?? snap.mairieCommune
  const decision = route(routingInput(snap, now))
  const triage = decision.mode === 'triage'
  const policy = mergePolicy(snap.tenant, snap.policies, theme)
  const { dueAt, steps } = plannedSteps(now, policy, [])
  const id = randomUUID()
  const trackingCode = newTrackingCode()
  const events = chainEvents(p.tenantId, id, 0, GENESIS_HASH, [
    // A merged commune's old code was given: the timeline keeps what was typed next to where it landed.
    { kind: 'filed', actor: actorOf(p), at: now, data: { themeCode: theme.code, communeInsee: commune.insee, ...(given && given !== commune.insee ? { communeInseeGiven: given } : {}), ...(files.data.length ? { attachments: files.data } : {}) } },
    { kind: 'assigned', actor: SYSTEM, at: now, data: assignmentData({ ...decision, mode: triage ? 'triage' : 'automatic' }, null) },
  ])
  const chosen = snap.people.find((x) => x.id === decision.personId)
  // The routing function only picks reachable people; the fallbacks (admins, shared address) need a query.
  const recipients = triage ? await networkAdmins(trx, p.tenantId) : chosen ? [{ personId: chosen.id, email: chosen.email }] : await holderRecipients(trx, p.tenantId, decision.organisationId, null)
  const year = localYear(now, policy.timeZone)

  // The reference (formatReference's form) is numbered by the INSERT itself.
  const reference = await referrals.insertNumberedReferral(trx, p.tenantId, referencePrefix(snap.tenant.code, year), {
    id, tenant_id: p.tenantId, mairie_organisation_id: p.organisationId, filed_by_person_id: p.personId, theme_id: theme.id,
    commune_insee: commune.insee, question: input.question, citizen_name: c.name.trim(), citizen_email: c.email ?? null,
    citizen_phone: c.phone ?? null, citizen_preferred_channel: c.preferredChannel, internal_note: input.internalNote ?? null,
    status: triage ? 'submitted' : 'assigned', holder_organisation_id: decision.organisationId, holder_person_id: decision.personId,
    filed_at: now, clock_started_at: now, due_at: dueAt, next_step: steps[0]?.name ?? null, next_step_at: steps[0]?.sendAt ?? null,
    tracking_code_hash: trackingHash(id, trackingCode),
  })
  await insertEvents(trx, p.tenantId, events)
  await linkClaimed(trx, p.tenantId, files, id, events[0]!.seq)
  // The acknowledgement (CRPA L112-3) by the channel she gave: a mail now, or the receipt the secretary prints. The code
  // waits in the outbox row until the mail is sent, then is wiped from it (delivery.ts). Both mails in one INSERT.
  const email = c.email?.trim()
  await insertOutbox(trx, p.tenantId, [
    ...outboxRows({ tenantId: p.tenantId, referralId: id, kind: 'referral_new', recipients, payload: { triage }, now }),
    ...(email ? outboxRows({ tenantId: p.tenantId, referralId: id, kind: 'acknowledgement', recipients: [{ personId: null, email }], payload: { trackingCode }, now }) : []),
  ])
  const name = snap.organisations[decision.organisationId] ?? snap.tic.name
  return { id, reference, status: triage ? 'submitted' : 'assigned', dueAt, assignedOrganisation: { id: decision.organisationId, name }, trackingCode: formatTrackingCode(trackingCode), acknowledgement: email ? 'email' : 'print' }
}

/** The referral, locked, if the person may see it; otherwise the same 404 as a missing one. */
async function lockVisible(trx: TenantTx, p: Principal, referralId: string) {
  const r = await referrals.lockReferral(trx, p.tenantId, referralId)
  if (!r || !canSeeReferral(p, r)) throw notFound('Cette saisine')
  return r
}

export interface ActionInput { attachmentIds?: string[]; body?: string; organisationId?: string; toRouting?: boolean; reason?: string; placeOrganisationId?: string; at?: string; personId?: string; startsAt?: string; placeId?: string; note?: string; minutes?: number }

/** Applies one action of a person to a referral: state machine, timeline, SLA and mails in one transaction. */
export async function act(trx: TenantTx, p: Principal, referralId: string, action: ReferralAction, input: ActionInput, now: Date) {
  const r = await lockVisible(trx, p, referralId)
  const status = nextStatus(r.status, action, { actorRole: p.role, closedAt: r.closed_at, now })
  const actor = actorOf(p)
  const need = (field: keyof ActionInput, label: string) => {
    const v = input[field]
    if (typeof v !== 'string' || !v.trim()) throw invalidFields([{ path: field, message: `${label} est obligatoire.` }])
    return v.trim()
  }
  const update: Updateable<ReferralTable> = { status, updated_at: now }
  // The timeline and the policy are read once: what this action appends is added in memory, and the new deadline and
  // next step are computed from them and written with the rest (no second and third read of the timeline).
  let timeline: { kind: string; at: Date; data: Record<string, unknown> }[] | undefined
  const appended: { kind: string; at: Date; data: Record<string, unknown> }[] = []
  const clockSoFar = async () => [...(timeline ??= await clockEvents(trx, r.tenant_id, r.id)), ...appended]
  let policyOnce: Awaited<ReturnType<typeof loadPolicy>> | undefined
  const policyOf = async () => (policyOnce ??= await loadPolicy(trx, r.tenant_id, r.theme_id))
  const append = async (kind: string, who: Actor, at: Date, data: Record<string, unknown> = {}) => {
    const ev = await appendEvent(trx, r.tenant_id, r.id, kind, who, at, data)
    appended.push({ kind, at, data })
    return ev
  }
  const slaMet = async () => {
    if (r.sla_met_at) return
    const events = await clockSoFar()
    const policy = await policyOf()
    const taken = countedMinutes(r.clock_started_at, now, policy, pausesFrom(events, r.clock_started_at))
    Object.assign(update, { sla_met_at: now, sla_minutes_taken: taken, sla_minutes_vs_target: taken - policy.responseMinutes })
    await append('sla_met', SYSTEM, now, { minutesTaken: taken, minutesVsTarget: taken - policy.responseMinutes, clockMode: policy.clockMode })
  }
  const secretary = () => personRecipient(trx, r.tenant_id, r.filed_by_person_id)
  // Files come with the actions that carry a text (answer, information request, complement): claimed before the event
  // (their ids and digests are in its data), linked to it after.
  const files = await claimAttachments(trx, p, r.id, ['answer', 'request_info', 'provide_info'].includes(action) ? input.attachmentIds : undefined, now)
  const withFiles = (data: Record<string, unknown>) => (files.data.length ? { ...data, attachments: files.data } : data)

  switch (action) {
    case 'answer': {
      const body = need('body', 'La réponse')
      const ev = await append('answered', actor, now, withFiles({ body }))
      await linkClaimed(trx, r.tenant_id, files, r.id, ev.seq)
      await slaMet()
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'answer_received', recipients: await secretary(), payload: { eventSeq: ev.seq }, now })
      break
    }
    case 'propose_appointment': {
      // A real booking (issue 14): the exclusion constraints decide whether the time is free; the event keeps
      // what the mails and the timeline show.
      const booked = await bookAppointment(trx, p, r, { startsAt: input.startsAt ?? input.at, placeId: input.placeId ?? input.placeOrganisationId, personId: input.personId, note: input.note ?? input.body, minutes: input.minutes }, now)
      const ev = await append('appointment_proposed', actor, now, { appointmentId: booked.id, placeId: booked.placeId, placeName: booked.placeName, placeAddress: booked.placeAddress, at: booked.startsAt.toISOString(), endsAt: booked.endsAt.toISOString(), personId: booked.personId, body: booked.note })
      await slaMet()
      void ev
      await notifyAppointment(trx, booked.id, r.tenant_id, 'booked', now)
      break
    }
    case 'request_info': {
      const body = need('body', 'La demande de complément')
      const ev = await append('info_requested', actor, now, withFiles({ body }))
      await linkClaimed(trx, r.tenant_id, files, r.id, ev.seq)
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'info_requested', recipients: await secretary(), payload: { eventSeq: ev.seq }, now })
      break
    }
    case 'provide_info': {
      const body = need('body', 'Le complément')
      const ev = await append('info_provided', actor, now, withFiles({ body }))
      await linkClaimed(trx, r.tenant_id, files, r.id, ev.seq)
      // The clock runs again: the holder must know the complement is there.
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'info_provided', recipients: await holderRecipients(trx, r.tenant_id, r.holder_organisation_id, r.holder_person_id), payload: { eventSeq: ev.seq }, now })
      break
    }
    case 'transfer': {
      const reason = need('reason', 'Le motif du transfert')
      const lastAssigned = await lastEventAt(trx, r.tenant_id, r.id, 'assigned')
      const heldMinutes = Math.max(0, Math.round((now.getTime() - (lastAssigned ?? r.filed_at).getTime()) / 60000))
      let decision: Pick<RoutingDecision, 'organisationId' | 'personId' | 'reason' | 'viaBackupOf'> & { mode: 'transfer' | 'triage' }
      if (input.toRouting || !input.organisationId) {
        // Every organisation that already sent it on ("pas pour nous") is left out, not only the holder: no A → B → A.
        const declined = await transferredFrom(trx, r.tenant_id, r.id)
        const d = await decideRouting(trx, r.tenant_id, { themeId: r.theme_id, communeInsee: r.commune_insee, now, excludeOrganisationIds: [...new Set([r.holder_organisation_id, ...declined])] })
        decision = { ...d, mode: d.mode === 'triage' ? 'triage' : 'transfer' }
      } else {
        const org = await organisationFacts(trx, r.tenant_id, input.organisationId)
        if (!org || org.kind === 'mairie') throw badRequest('validation_failed', 'L’organisme destinataire est inconnu ou ne peut pas recevoir de saisine.', [{ path: 'organisationId', message: 'Organisme inconnu.' }])
        if (org.status !== 'active') throw badRequest('validation_failed', 'Cet organisme n’est pas actif : il ne peut pas encore (ou plus) recevoir de saisine.', [{ path: 'organisationId', message: 'Organisme non actif.' }])
        if (org.id === r.holder_organisation_id) throw badRequest('validation_failed', 'La saisine est déjà chez cet organisme.', [{ path: 'organisationId', message: 'Choisissez un autre organisme.' }])
        let personId: string | null = null
        if (input.personId) {
          const member = await activeMember(trx, r.tenant_id, input.personId, org.id)
          if (!member) throw badRequest('validation_failed', 'Ce référent n’appartient pas à l’organisme choisi.', [{ path: 'personId', message: 'Référent inconnu.' }])
          personId = member
        }
        decision = { organisationId: org.id, personId, reason: 'Transfert manuel', viaBackupOf: null, mode: org.kind === 'mission_tic' ? 'triage' : 'transfer' }
      }
      const transferred = await append('transferred', actor, now, { fromOrganisationId: r.holder_organisation_id, fromPersonId: r.holder_person_id, toOrganisationId: decision.organisationId, reason, heldMinutes })
      await assign(trx, { tenantId: r.tenant_id, referralId: r.id, decision, previous: { organisationId: r.holder_organisation_id, personId: r.holder_person_id }, actor, now })
      // Awaiting information stays so with the new holder: the mairie still owes the complement.
      Object.assign(update, { holder_organisation_id: decision.organisationId, holder_person_id: decision.personId, status: decision.mode === 'triage' ? 'submitted' : r.status === 'awaiting_info' ? 'awaiting_info' : 'assigned' })
      const recipients = decision.mode === 'triage' ? await networkAdmins(trx, r.tenant_id) : await holderRecipients(trx, r.tenant_id, decision.organisationId, decision.personId)
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'transferred', recipients, payload: { reason, eventSeq: transferred.seq, triage: decision.mode === 'triage' }, now })
      // CRPA L114-2: the mairie and the citizen learn which organisation now handles it (not while it waits for triage).
      if (decision.mode !== 'triage') {
        await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'transfer_notice', recipients: await secretary(), payload: { audience: 'mairie', eventSeq: transferred.seq }, now })
        if (r.citizen_email) await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'transfer_notice', recipients: [{ personId: null, email: r.citizen_email }], payload: { audience: 'citizen', eventSeq: transferred.seq }, now })
      }
      break
    }
    case 'reassign': {
      const personId = need('personId', 'La personne')
      const member = (await holdingPeople(trx, r.tenant_id, r.holder_organisation_id)).find((x) => x.id === personId)
      if (!member) throw badRequest('validation_failed', 'Choisissez un référent ou un administrateur actif de l’organisme qui détient la saisine.', [{ path: 'personId', message: 'Personne inconnue dans cet organisme.' }])
      if (member.id === r.holder_person_id) throw badRequest('validation_failed', 'Cette personne détient déjà la saisine.', [{ path: 'personId', message: 'Choisissez une autre personne.' }])
      const why = input.reason?.trim()
      const ev = await append('assigned', actor, now, assignmentData({
        organisationId: r.holder_organisation_id, personId: member.id, viaBackupOf: null, mode: 'reassigned',
        reason: `Réaffectée au sein de l’organisme à ${member.name}${why ? ` : ${why}` : '.'}`,
      }, { organisationId: r.holder_organisation_id, personId: r.holder_person_id }))
      Object.assign(update, { holder_person_id: member.id })
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'referral_new', recipients: await holderRecipients(trx, r.tenant_id, r.holder_organisation_id, member.id), payload: { reassigned: true, eventSeq: ev.seq }, now })
      break
    }
    case 'assign': {
      // Manual assignment from the triage queue by the mission TIC.
      const orgId = need('organisationId', 'L’organisme')
      const org = await organisationFacts(trx, r.tenant_id, orgId)
      if (!org || org.kind === 'mairie') throw badRequest('validation_failed', 'Organisme inconnu.', [{ path: 'organisationId', message: 'Organisme inconnu.' }])
      if (org.status !== 'active') throw badRequest('validation_failed', 'Cet organisme n’est pas actif : il ne peut pas encore (ou plus) recevoir de saisine.', [{ path: 'organisationId', message: 'Organisme non actif.' }])
      let personId: string | null = null
      if (input.personId) {
        const member = await activeMember(trx, r.tenant_id, input.personId, org.id)
        if (!member) throw badRequest('validation_failed', 'Ce référent n’appartient pas à l’organisme choisi.', [{ path: 'personId', message: 'Référent inconnu.' }])
        personId = member
      }
      await assign(trx, { tenantId: r.tenant_id, referralId: r.id, decision: { organisationId: org.id, personId, reason: 'Affectation manuelle', viaBackupOf: null, mode: 'manual' }, previous: { organisationId: r.holder_organisation_id, personId: r.holder_person_id }, actor, now })
      Object.assign(update, { holder_organisation_id: org.id, holder_person_id: personId })
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'referral_new', recipients: await holderRecipients(trx, r.tenant_id, org.id, personId), payload: {}, now })
      break
    }
    case 'close':
      await append('closed', actor, now, {})
      update.closed_at = now
      break
    case 'close_no_reply': {
      // Only once the policy's second delay has passed since the latest request (the holder was told then).
      const events = await clockEvents(trx, r.tenant_id, r.id)
      const request = [...events].reverse().find((e) => e.kind === 'info_requested')
      const told = request && events.some((e) => e.kind === 'info_stale_notified' && e.at >= request.at)
      if (!told) {
        const policy = await loadPolicy(trx, r.tenant_id, r.theme_id)
        const closable = request ? infoPauseSteps(request.at, policy)[1].at : null
        throw conflict('too_early', `La mairie a encore le temps d’apporter le complément : la clôture sans suite sera possible ${closable ? `à partir du ${closable.toLocaleDateString('fr-FR', { timeZone: policy.timeZone, day: 'numeric', month: 'long', year: 'numeric' })}` : 'plus tard'}.`, { closableAt: closable?.toISOString() ?? null })
      }
      const ev = await appendEvent(trx, r.tenant_id, r.id, 'closed', actor, now, { withoutFollowUp: true, body: input.body?.trim() || null })
      update.closed_at = now
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'closed_no_reply', recipients: await secretary(), payload: { eventSeq: ev.seq }, now })
      break
    }
    case 'reopen': {
      const reopened = await append('reopened', actor, now, { body: input.body?.trim() || null })
      // A reopened referral is a new question for its holder: a new clock cycle starts.
      Object.assign(update, { closed_at: null, sla_met_at: null, sla_minutes_taken: null, sla_minutes_vs_target: null, clock_started_at: now })
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'referral_new', recipients: await holderRecipients(trx, r.tenant_id, r.holder_organisation_id, r.holder_person_id), payload: { reopened: true, eventSeq: reopened.seq }, now })
      break
    }
    case 'cancel': {
      // Final: the mairie says why, and whoever holds the referral stops working on it.
      const body = need('body', 'Le motif de l’annulation')
      const ev = await append('cancelled', actor, now, { body })
      update.cancelled_at = now
      await enqueueMail(trx, { tenantId: r.tenant_id, referralId: r.id, kind: 'cancelled', recipients: await holderRecipients(trx, r.tenant_id, r.holder_organisation_id, r.holder_person_id), payload: { eventSeq: ev.seq }, now })
      break
    }
  }
  const facts = {
    status: String(update.status ?? r.status),
    clock_started_at: update.clock_started_at !== undefined ? new Date(update.clock_started_at as Date) : r.clock_started_at,
    sla_met_at: update.sla_met_at !== undefined ? (update.sla_met_at as Date | null) : r.sla_met_at,
  }
  const schedule = scheduleOf(facts, await clockSoFar(), await policyOf())
  await referrals.updateReferral(trx, r.tenant_id, r.id, { ...update, ...schedule })
  return r.id
}

