import { isErased } from './timeline.ts'
import type { AccessVia, TenantTx, ReferralStatus } from '@relais/db'
import * as repo from '@relais/db/repositories/referrals'
import { eventsWithActors } from '@relais/db/repositories/timeline'
import { decodeCursor, page } from '@relais/db/paging'
import { CLOCK_STATUSES, REFERRAL_STATUSES, UNFINISHED_STATUSES, badRequest, canReadNote, canSeeReferral, clockMayRun, formatReference, parseReference, referralSearchWords, isUuid, notFound, reachOf, referralListScope } from '@relais/core'
import type { ListOrder } from '@relais/db/repositories/referrals'
import type { Principal } from './service.ts'
import { listAttachments } from './attachments.ts'

export interface ListFilters {
  status?: ReferralStatus; organisationId?: string; themeCode?: string; communeInsee?: string
  overdue?: boolean; dueBefore?: string; limit: number; cursor?: string
  /** Only referrals whose clock runs (submitted, assigned, awaiting information). */
  open?: boolean
  /**
   * newest: filed most recently first (the API's default). inbox: running clocks by deadline, soonest first, then
   * the other unfinished ones, then the finished ones, newest first. follow_up (a mairie's): overdue ones by deadline,
   * then the others newest first.
   */
  sort?: ListSort
  /** What was typed in the search box: every word must match the reference, citizen, question, organisation or commune. */
  q?: string
}

export type ListSort = 'newest' | 'inbox' | 'follow_up'

/** One part of a list: its statuses and overdue-ness, read in one order. A list reads its segments one after the other. */
interface Segment { statuses: readonly ReferralStatus[]; overdue?: boolean; order: ListOrder }

const FINISHED: readonly ReferralStatus[] = REFERRAL_STATUSES.filter((s) => !UNFINISHED_STATUSES.includes(s))
// What waits on the holder (her clock runs) and what waits on the mairie (its complement, or a reply to an answer).
const HOLDER_TURN: readonly ReferralStatus[] = CLOCK_STATUSES.filter((s) => s !== 'awaiting_info')
const OTHER_TURN: readonly ReferralStatus[] = UNFINISHED_STATUSES.filter((s) => !HOLDER_TURN.includes(s))
const NOT_AWAITING_INFO: readonly ReferralStatus[] = REFERRAL_STATUSES.filter((s) => s !== 'awaiting_info')

// What waits on the person looking comes first (issue 12): a holder's running clocks by deadline (the overdue ones
// lead), and only then what waits on the mairie; a mairie's referrals awaiting its complement, then the overdue ones.
const SEGMENTS: Record<ListSort, Segment[]> = {
  newest: [{ statuses: REFERRAL_STATUSES, order: 'newest' }],
  inbox: [{ statuses: HOLDER_TURN, order: 'due' }, { statuses: OTHER_TURN, order: 'newest' }, { statuses: FINISHED, order: 'newest' }],
  follow_up: [
    { statuses: ['awaiting_info'], order: 'due' },
    { statuses: HOLDER_TURN, overdue: true, order: 'due' },
    { statuses: NOT_AWAITING_INFO, overdue: false, order: 'newest' },
  ],
}

/**
 * Lists what the person may see, a page at a time, in SQL: each segment is one keyset query on an index, and the
 * cursor names the segment, the sort key and the id of the last row shown. Nothing is cut: every row is on a page.
 * The visibility rule is canSeeReferral's, as a filter.
 */
export async function listReferrals(trx: TenantTx, p: Principal, f: ListFilters, now: Date) {
  const cursor = decodeCursor(f.cursor, 3)
  const segments = SEGMENTS[f.sort ?? 'newest']
  const start = cursor ? Number(cursor[0]) : 0
  // The key is PostgreSQL's own text of a timestamptz (or infinity): anything else was not made by us.
  if (cursor && !(Number.isInteger(start) && start >= 0 && start < segments.length && typeof cursor[1] === 'string' && SORT_KEY.test(cursor[1]) && isUuid(cursor[2]))) {
    throw badRequest('invalid_cursor', 'Le curseur de pagination est invalide : repartez de la première page.', [{ path: 'cursor', message: 'Curseur invalide.' }])
  }
  const wanted = f.status ? [f.status] : f.open ? CLOCK_STATUSES : REFERRAL_STATUSES
  const words = f.q ? referralSearchWords(f.q) : []
  const rows: (Row & { segment: number })[] = []
  for (let i = start; i < segments.length && rows.length <= f.limit; i++) {
    const seg = segments[i]
    if (seg.overdue !== undefined && f.overdue !== undefined && seg.overdue !== f.overdue) continue
    const statuses = seg.statuses.filter((s) => wanted.includes(s))
    if (!statuses.length) continue
    const after = cursor && i === start ? { key: String(cursor[1]), id: String(cursor[2]) } : null
    const got = await repo.listReferrals(trx, p.tenantId, {
      ...referralListScope(p),
      statuses: statuses.length === REFERRAL_STATUSES.length ? undefined : statuses,
      organisationId: f.organisationId, themeCode: f.themeCode, communeInsee: f.communeInsee, overdue: seg.overdue ?? f.overdue,
      dueBefore: f.dueBefore ? new Date(f.dueBefore) : undefined, search: words,
    }, now, seg.order, after, f.limit + 1 - rows.length)
    rows.push(...got.map((r) => ({ ...r, segment: i })))
  }
  const result = page(rows, f.limit, (r) => [r.segment, r.sort_key, r.id])
  return {
    nextCursor: result.nextCursor,
    items: result.items.map((r) => ({
      id: r.id, reference: r.reference, status: r.status, filedAt: r.filed_at.toISOString(), dueAt: r.due_at?.toISOString() ?? null,
      overdue: !!r.due_at && !r.sla_met_at && r.due_at < now && clockMayRun(r.status),
      theme: { code: r.theme_code, label: r.theme_label }, commune: { insee: r.insee, name: r.commune_name },
      holder: { id: r.holder_id, name: r.holder_name }, mairie: { id: r.mairie_id, name: r.mairie_name }, citizenName: r.citizen_name,
    })),
  }
}

const SORT_KEY = /^(infinity|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2})$/

type Row = Awaited<ReturnType<typeof repo.listReferrals>>[number]

/** How many referrals wait on the person looking, by what she has to do (counted by the database on the list indexes). */
export async function waitingOnMe(trx: TenantTx, p: Principal, now: Date) {
  const reach = reachOf(p.role, 'referral.read')
  const counts = await repo.waitingCounts(trx, p.tenantId, referralListScope(p), now)
  if (reach === 'own_mairie') return { awaitingInfo: counts.awaitingInfo }
  if (reach === 'tenant') return { triage: counts.triage, overdue: counts.overdue }
  return { overdue: counts.overdue }
}

/**
 * A full reference typed in a search box (« 36-2026-42 » too): the referral's id when the person may see it, else null
 * (the search then runs as usual and finds nothing she may not see).
 */
export async function referralIdByReference(trx: TenantTx, p: Principal, typed: string): Promise<string | null> {
  const parts = parseReference(typed)
  if (!parts || parts.year < 1000 || parts.year > 9999) return null
  const r = await repo.referralByReference(trx, p.tenantId, formatReference(parts.tenantCode, parts.year, parts.sequence))
  return r && canSeeReferral(p, r) ? r.id : null
}

/** afterOwnAction: the person just acted on it (e.g. transferred it away) and may see the outcome once. */
/** An erased text (retention, issue 18) reads as such; its commitment is for the chain, not for people. */
const ERASED_TEXT = 'Donnée effacée (durée de conservation écoulée)'
function shownData(data: Record<string, unknown>): Record<string, unknown> {
  if (!Object.values(data).some(isErased)) return data
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, isErased(v) ? ERASED_TEXT : v]))
}

/** An event's files in the order it names them (the order they were given). */
function inEventOrder<T extends { id: string }>(files: T[], data: Record<string, unknown>): T[] {
  if (files.length < 2 || !Array.isArray(data.attachments)) return files
  const order = (data.attachments as { id?: string }[]).map((a) => a.id)
  return [...files].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
}

/**
 * `logged`: this read is shown to the person (the page, the API's detail), so it goes on the access log (issue 18) —
 * by the timeline's own statement, no round trip of its own.
 */
export async function getReferral(trx: TenantTx, p: Principal, id: string, opts: { afterOwnAction?: boolean; logged?: { via: AccessVia; at: Date } } = {}) {
  const r = await repo.referralDetail(trx, p.tenantId, id)
  if (!r || (!opts.afterOwnAction && !canSeeReferral(p, r))) throw notFound('Cette saisine')
  const events = await eventsWithActors(trx, p.tenantId, id, opts.logged && { personId: p.personId, ...opts.logged })
  // Files by the event they came with; each downloads from the API (the pages have their own address).
  const attachments = (await listAttachments(trx, p.tenantId, id)).filter((a) => !a.erased).map((a) => ({
    id: a.id, seq: a.seq, name: a.name, type: a.type, typeLabel: a.typeLabel, size: a.size, sizeText: a.sizeText, sha256: a.sha256, addedAt: a.addedAt, viaMail: a.viaMail,
    url: `/api/v1/referrals/${id}/attachments/${a.id}`,
  }))
  const timeline = events.map((e) => ({
    seq: e.seq, at: e.at.toISOString(), kind: e.kind, data: shownData(e.data), hash: e.hash, attachments: inEventOrder(attachments.filter((a) => a.seq === e.seq), e.data),
    actor: e.actor_person_id ? { personId: e.actor_person_id, name: e.actor_name ?? '', organisation: e.actor_organisation ?? '' } : null,
  }))
  const showNote = canReadNote(p, r)
  return {
    id: r.id, reference: r.reference, status: r.status,
    theme: { code: r.theme_code, label: r.theme_label }, commune: { insee: r.commune_insee, name: r.commune_name },
    mairie: { id: r.mairie_organisation_id, name: r.mairie_name },
    holder: { organisation: { id: r.holder_organisation_id, name: r.holder_name }, person: r.holder_person_id ? { id: r.holder_person_id, name: r.holder_person_name ?? '' } : null },
    question: r.question,
    citizen: { name: r.citizen_name, email: r.citizen_email, phone: r.citizen_phone, preferredChannel: r.citizen_preferred_channel },
    internalNote: showNote ? r.internal_note : null,
    filedAt: r.filed_at.toISOString(), dueAt: r.due_at?.toISOString() ?? null, slaMetAt: r.sla_met_at?.toISOString() ?? null,
    slaMinutesTaken: r.sla_minutes_taken, slaMinutesVsTarget: r.sla_minutes_vs_target, closedAt: r.closed_at?.toISOString() ?? null,
    answers: timeline.filter((e) => e.kind === 'answered').map((e) => ({ seq: e.seq, at: e.at, body: String(e.data.body ?? ''), by: e.actor, attachments: e.attachments })),
    attachments: timeline.flatMap((e) => e.attachments),
    timeline,
  }
}
