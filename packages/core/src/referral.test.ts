import t from 'tap'
import { Conflict, DomainError, Forbidden, InvalidInput } from './errors.ts'

// The HTTP status each kind of domain error becomes in the apps, to read the table below as the API answers.
const statusOf = (e: DomainError) => (e instanceof Forbidden ? 403 : e instanceof Conflict ? 409 : e instanceof InvalidInput ? 400 : 500)
import {
  ACTION_ROLES,
  REFERRAL_ACTIONS,
  REFERRAL_STATUSES,
  REOPEN_WINDOW_DAYS,
  SLA_MET_ACTIONS,
  allowedActions,
  formatReference,
  isUnfinished,
  nextStatus,
  parseReference,
  pausesFromStatusChanges,
  reopenDeadline,
  type ActorRole,
  type ReferralAction,
  type ReferralStatus,
} from './referral.ts'

const NOW = new Date('2026-06-03T10:00:00+02:00')
const DAY = 86_400_000
const CLOSED_RECENTLY = new Date(NOW.getTime() - 2 * DAY)

function outcome(status: ReferralStatus, action: ReferralAction, actorRole: ActorRole, closedAt: Date | null = CLOSED_RECENTLY, now = NOW): string {
  try {
    return nextStatus(status, action, { actorRole, closedAt, now })
  } catch (e) {
    if (e instanceof DomainError) return `${statusOf(e)} ${e.code}`
    throw e
  }
}

const ILLEGAL = '409 illegal_transition'

// Every (status, action) pair, acted by a role allowed to take the action.
const EXPECTED: Record<ReferralStatus, Record<ReferralAction, string>> = {
  submitted: {
    assign: 'assigned', answer: ILLEGAL, request_info: ILLEGAL, provide_info: ILLEGAL, propose_appointment: ILLEGAL,
    transfer: 'assigned', reassign: ILLEGAL, close: ILLEGAL, close_no_reply: ILLEGAL, reopen: ILLEGAL, cancel: 'cancelled',
  },
  assigned: {
    assign: ILLEGAL, answer: 'answered', request_info: 'awaiting_info', provide_info: ILLEGAL, propose_appointment: 'appointment_proposed',
    transfer: 'assigned', reassign: 'assigned', close: ILLEGAL, close_no_reply: ILLEGAL, reopen: ILLEGAL, cancel: 'cancelled',
  },
  awaiting_info: {
    assign: ILLEGAL, answer: 'answered', request_info: ILLEGAL, provide_info: 'assigned', propose_appointment: 'appointment_proposed',
    transfer: 'awaiting_info', reassign: 'awaiting_info', close: ILLEGAL, close_no_reply: 'closed', reopen: ILLEGAL, cancel: 'cancelled',
  },
  answered: {
    assign: ILLEGAL, answer: 'answered', request_info: ILLEGAL, provide_info: ILLEGAL, propose_appointment: 'appointment_proposed',
    transfer: ILLEGAL, reassign: ILLEGAL, close: 'closed', close_no_reply: ILLEGAL, reopen: ILLEGAL, cancel: 'cancelled',
  },
  appointment_proposed: {
    assign: ILLEGAL, answer: 'answered', request_info: ILLEGAL, provide_info: ILLEGAL, propose_appointment: 'appointment_proposed',
    transfer: ILLEGAL, reassign: ILLEGAL, close: 'closed', close_no_reply: ILLEGAL, reopen: ILLEGAL, cancel: 'cancelled',
  },
  closed: {
    assign: ILLEGAL, answer: ILLEGAL, request_info: ILLEGAL, provide_info: ILLEGAL, propose_appointment: ILLEGAL,
    transfer: ILLEGAL, reassign: ILLEGAL, close: ILLEGAL, close_no_reply: ILLEGAL, reopen: 'assigned', cancel: ILLEGAL,
  },
  cancelled: {
    assign: ILLEGAL, answer: ILLEGAL, request_info: ILLEGAL, provide_info: ILLEGAL, propose_appointment: ILLEGAL,
    transfer: ILLEGAL, reassign: ILLEGAL, close: ILLEGAL, close_no_reply: ILLEGAL, reopen: ILLEGAL, cancel: ILLEGAL,
  },
}

const ROLES: ActorRole[] = ['secretary', 'referent', 'org_admin', 'network_admin', 'system']
const MAY: Record<ReferralAction, ActorRole[]> = {
  assign: ['system', 'network_admin'],
  answer: ['referent', 'org_admin', 'network_admin'],
  request_info: ['referent', 'org_admin', 'network_admin'],
  propose_appointment: ['referent', 'org_admin', 'network_admin'],
  transfer: ['referent', 'org_admin', 'network_admin', 'system'],
  reassign: ['org_admin', 'network_admin'],
  provide_info: ['secretary', 'network_admin'],
  close: ['secretary', 'network_admin'],
  close_no_reply: ['referent', 'org_admin', 'network_admin'],
  reopen: ['secretary', 'network_admin'],
  cancel: ['secretary', 'network_admin'],
}

t.test('every (status, action) pair, by every role allowed to act', async (t) => {
  t.same(REFERRAL_STATUSES.length * REFERRAL_ACTIONS.length, 77)
  for (const status of REFERRAL_STATUSES) {
    for (const action of REFERRAL_ACTIONS) {
      for (const role of MAY[action]) {
        t.equal(outcome(status, action, role), EXPECTED[status][action], `${status} --${action}--> (${role})`)
      }
    }
  }
})

t.test('every (role, action) pair: a role that may never act gets 403, whatever the status', async (t) => {
  for (const action of REFERRAL_ACTIONS) {
    t.same([...ACTION_ROLES[action]].sort(), [...MAY[action]].sort(), `${action}: who may act`)
    for (const role of ROLES) {
      if (MAY[action].includes(role)) continue
      for (const status of REFERRAL_STATUSES) t.equal(outcome(status, action, role), '403 forbidden', `${role} cannot ${action} (${status})`)
    }
  }
})

t.test('messages are French and say what is wrong', async (t) => {
  const cases: [ReferralStatus, ReferralAction, ActorRole, RegExp][] = [
    ['assigned', 'close', 'secretary', /^Impossible de clôturer une saisine en cours de traitement\.$/],
    ['submitted', 'answer', 'referent', /^Impossible de répondre à une saisine en file de tri\.$/],
    ['cancelled', 'cancel', 'secretary', /^Impossible d’annuler cette saisine : elle a été annulée\.$/],
    ['closed', 'answer', 'referent', /^Impossible de répondre à cette saisine : elle est clôturée \(seule une réouverture est possible, dans les 30 jours\)\.$/],
    ['awaiting_info', 'request_info', 'referent', /^Impossible de demander un complément pour une saisine en attente d’informations\.$/],
    ['assigned', 'answer', 'secretary', /^Votre rôle \(secrétaire de mairie\) ne permet pas de répondre à une saisine\.$/],
    ['submitted', 'assign', 'referent', /^Votre rôle \(référent\) ne permet pas d’affecter une saisine\.$/],
    ['answered', 'close', 'system', /^Votre rôle \(système\) ne permet pas de clôturer une saisine\.$/],
  ]
  for (const [status, action, role, message] of cases) {
    const err = t.throws(() => nextStatus(status, action, { actorRole: role, now: NOW, closedAt: CLOSED_RECENTLY })) as unknown as DomainError
    t.ok(err instanceof DomainError)
    t.match(err.message, message, `${status} ${action} ${role}`)
  }
  const err = t.throws(() => nextStatus('answered', 'request_info', { actorRole: 'referent', now: NOW })) as unknown as DomainError
  t.same(err.details, { status: 'answered', action: 'request_info', allowed: ['answer', 'propose_appointment'] }, 'the 409 lists what the actor may do instead')
})

t.test('reopen within 30 days of closing', async (t) => {
  const closedAt = new Date('2026-05-01T12:00:00+02:00')
  const rows: [Date, string, string][] = [
    [new Date(closedAt.getTime() + 1000), 'assigned', 'a second later'],
    [new Date(closedAt.getTime() + 29 * DAY), 'assigned', '29 days later'],
    [new Date(closedAt.getTime() + 30 * DAY), 'assigned', 'exactly 30 days later'],
    [new Date(closedAt.getTime() + 30 * DAY + 1000), '409 reopen_window_expired', '30 days and a second later'],
    [new Date(closedAt.getTime() + 365 * DAY), '409 reopen_window_expired', 'a year later'],
  ]
  for (const [now, expected, why] of rows) t.equal(outcome('closed', 'reopen', 'secretary', closedAt, now), expected, why)
  const err = t.throws(() => nextStatus('closed', 'reopen', { actorRole: 'secretary', closedAt, now: new Date(closedAt.getTime() + 31 * DAY) })) as unknown as DomainError
  t.ok(err instanceof Conflict)
  t.match(err.message, /clôturée il y a plus de 30 jours : elle ne peut plus être rouverte/)
  t.same(err.details, { closedAt: closedAt.toISOString(), reopenDeadline: '2026-05-31T10:00:00.000Z' })
  t.equal(REOPEN_WINDOW_DAYS, 30)
  t.equal(reopenDeadline(closedAt).toISOString(), '2026-05-31T10:00:00.000Z')
  t.throws(() => nextStatus('closed', 'reopen', { actorRole: 'secretary', now: NOW }), /closedAt is required/, 'a caller that forgets closedAt is a bug, not a user error')
})

t.test('transfer: the holder changes; back to the triage queue when routing finds no rule', async (t) => {
  t.equal(nextStatus('assigned', 'transfer', { actorRole: 'referent', now: NOW }), 'assigned')
  t.equal(nextStatus('assigned', 'transfer', { actorRole: 'referent', now: NOW, toTriage: false }), 'assigned')
  t.equal(nextStatus('assigned', 'transfer', { actorRole: 'org_admin', now: NOW, toTriage: true }), 'submitted')
  t.equal(outcome('answered', 'transfer', 'referent'), ILLEGAL, 'an answered referral is not transferred')
})

t.test('an unknown action is a 400', async (t) => {
  t.equal(outcome('assigned', 'archive' as ReferralAction, 'network_admin'), '400 unknown_action')
})

t.test('allowed actions, for pages', async (t) => {
  t.same(allowedActions('assigned', 'referent'), ['answer', 'request_info', 'propose_appointment', 'transfer'])
  t.same(allowedActions('awaiting_info', 'secretary'), ['provide_info', 'cancel'])
  t.same(allowedActions('answered', 'secretary'), ['close', 'cancel'])
  t.same(allowedActions('closed', 'secretary'), ['reopen'])
  t.same(allowedActions('cancelled', 'network_admin'), [])
  t.same(allowedActions('submitted', 'network_admin'), ['assign', 'transfer', 'cancel'])
  t.same(allowedActions('awaiting_info', 'referent'), ['answer', 'propose_appointment', 'transfer', 'close_no_reply'])
  t.same(allowedActions('assigned', 'org_admin'), ['answer', 'request_info', 'propose_appointment', 'transfer', 'reassign'])
  t.ok(isUnfinished('awaiting_info'))
  t.notOk(isUnfinished('closed'))
  t.notOk(isUnfinished('cancelled'))
  t.same(SLA_MET_ACTIONS, ['answer', 'propose_appointment'])
})

t.test('reference numbers readable on the phone', async (t) => {
  const rows: [string, number, number, string][] = [
    ['36', 2026, 42, '36-2026-000042'],
    ['36', 2026, 1, '36-2026-000001'],
    ['57', 2027, 999_999, '57-2027-999999'],
    ['2A', 2026, 1_234_567, '2A-2026-1234567'],
  ]
  for (const [code, year, seq, expected] of rows) {
    t.equal(formatReference(code, year, seq), expected)
    t.same(parseReference(expected), { tenantCode: code, year, sequence: seq })
  }
  t.same(parseReference(' 36 - 2026 - 42 '), { tenantCode: '36', year: 2026, sequence: 42 }, 'spaces and missing zeros are tolerated')
  t.same(parseReference('2a-2026-000042'), { tenantCode: '2A', year: 2026, sequence: 42 })
  for (const bad of ['', '36-26-000042', '36-2026-000000', '36/2026/42', '36-2026-42x']) t.equal(parseReference(bad), null, bad)
  t.throws(() => formatReference('36', 2026, 0), RangeError)
  t.throws(() => formatReference('36', 2026, 1.5), RangeError)
  t.throws(() => formatReference('36', 26, 1), RangeError)
})

t.test('pauses from status changes', async (t) => {
  const at = (h: number) => new Date(NOW.getTime() + h * 3_600_000)
  t.same(pausesFromStatusChanges([]), [])
  t.same(
    pausesFromStatusChanges([
      { at: at(0), status: 'assigned' },
      { at: at(1), status: 'awaiting_info' },
      { at: at(5), status: 'assigned' },
      { at: at(6), status: 'awaiting_info' },
      { at: at(7), status: 'answered' },
      { at: at(7.5), status: 'closed' },
      { at: at(7.8), status: 'assigned' },
      { at: at(8), status: 'awaiting_info' },
    ]),
    [
      { from: at(1), to: at(5) },
      { from: at(6), to: at(7) },
      { from: at(8), to: null },
    ],
  )
})
