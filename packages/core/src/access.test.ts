import t from 'tap'
import {
  ACCESS, ACTIONS, PERSON_ROLES, authorize, authorizeRole, canReadNote, canSeeReferral, canSeeTheme, mayAttempt, peopleListScope,
  personReadRefusal, personRefusal, reachOf, referralListScope, subjectsOf, themeListActive, type Action, type Principal,
} from './access.ts'
import { REFERRAL_ACTIONS } from './referral.ts'

const tic: Principal = { personId: 'p-tic', organisationId: 'org-tic', role: 'network_admin' }
const secretary: Principal = { personId: 'p-sec', organisationId: 'mairie-ardentes', role: 'secretary' }
const otherSecretary: Principal = { personId: 'p-sec2', organisationId: 'mairie-issoudun', role: 'secretary' }
const referent: Principal = { personId: 'p-ref', organisationId: 'org-caf', role: 'referent' }
const cafAdmin: Principal = { personId: 'p-admin', organisationId: 'org-caf', role: 'org_admin' }
const ddtReferent: Principal = { personId: 'p-ddt', organisationId: 'org-ddt', role: 'referent' }
const everyone = [tic, secretary, referent, cafAdmin]
const only = (action: Action) => PERSON_ROLES.filter((r) => mayAttempt(r, action)).sort()

const referral = { mairie_organisation_id: 'mairie-ardentes', holder_organisation_id: 'org-caf' }

t.test('a secretary files for her own mairie, and only a secretary files', async (t) => {
  t.same(only('referral.file'), ['secretary'])
  t.equal(reachOf('secretary', 'referral.file'), 'own_mairie')
  t.throws(() => authorizeRole(referent, 'referral.file'), /Seul le secrétariat d’une mairie/)
})

t.test('a referral is seen by the mairie that filed it, the organisation that holds it and the mission TIC; by nobody else', async (t) => {
  t.ok(canSeeReferral(secretary, referral), 'the secretary of the mairie')
  t.ok(canSeeReferral(referent, referral), 'a referent of the holder')
  t.ok(canSeeReferral(cafAdmin, referral), 'the admin of the holder')
  t.ok(canSeeReferral(tic, referral), 'the mission TIC')
  t.notOk(canSeeReferral(otherSecretary, referral), 'not another mairie')
  t.notOk(canSeeReferral(ddtReferent, referral), 'not another partner')
  t.same(referralListScope(secretary), { mairieOrganisationId: 'mairie-ardentes' }, 'a list says the same, as a filter')
  t.same(referralListScope(referent), { holderOrganisationId: 'org-caf' })
  t.same(referralListScope(tic), {})
  // A referral out of reach is not found, exactly like one that does not exist.
  const err = t.throws(() => authorize(ddtReferent, 'referral.read', { mairieOrganisationId: 'mairie-ardentes', holderOrganisationId: 'org-caf' }, 'Cette saisine'))
  t.match(err, { code: 'not_found' }, '404, never 403: its existence is not revealed')
})

t.test('the internal note stays with the mairie that wrote it and the mission TIC', async (t) => {
  t.ok(canReadNote(secretary, referral))
  t.ok(canReadNote(tic, referral))
  t.notOk(canReadNote(referent, referral), 'the holder does not read it')
})

t.test('the holder’s side answers; the mairie’s side follows up, closes, reopens, cancels; the mission TIC may do all', async (t) => {
  for (const a of ['answer', 'request_info', 'propose_appointment'] as const) t.same(subjectsOf(`referral.${a}`).sort(), ['network_admin', 'org_admin', 'referent'], a)
  t.same(subjectsOf('referral.transfer').sort(), ['network_admin', 'org_admin', 'referent', 'system'], 'transfer: the platform too (bounced address)')
  for (const a of ['provide_info', 'close', 'reopen', 'cancel'] as const) t.same(subjectsOf(`referral.${a}`).sort(), ['network_admin', 'secretary'], a)
  t.same(subjectsOf('referral.assign').sort(), ['network_admin', 'system'], 'assign: the platform on filing, the mission TIC from triage')
  for (const a of REFERRAL_ACTIONS) {
    for (const role of PERSON_ROLES) {
      // Whoever may act on a referral reaches it exactly as she sees it.
      const reach = reachOf(role, `referral.${a}`)
      if (reach) t.equal(reach, reachOf(role, 'referral.read'), `${role} ${a}: same reach as reading`)
    }
  }
})

t.test('the directory is read by everyone logged in and written by the mission TIC only', async (t) => {
  t.same(only('organisation.read'), [...PERSON_ROLES].sort())
  t.same(only('theme.read'), [...PERSON_ROLES].sort())
  t.same(only('directory.write'), ['network_admin'])
  t.same(only('routing.read'), ['network_admin'], 'routing rules and coverage are the mission TIC’s, even to read')
  t.same(only('routing.import'), ['network_admin'])
  t.throws(() => authorizeRole(cafAdmin, 'directory.write'), /Seule la mission TIC peut modifier l’annuaire/)
  t.throws(() => authorizeRole(secretary, 'routing.read'), /routage des saisines/)
  t.notOk(canSeeTheme(secretary, { active: false }), 'an inactive theme is hidden from all but the mission TIC')
  t.ok(canSeeTheme(tic, { active: false }))
  t.equal(themeListActive(secretary, false), true, 'a secretary lists active themes whatever she asks')
  t.equal(themeListActive(tic, false), false)
})

t.test('an org admin manages her organisation’s people; the mission TIC everyone of its network', async (t) => {
  t.same(only('people.manage'), ['network_admin', 'org_admin'])
  t.same(only('people.create'), ['network_admin', 'org_admin'])
  t.same(peopleListScope(tic), {})
  t.same(peopleListScope(tic, 'org-ddt'), { organisationId: 'org-ddt' })
  t.same(peopleListScope(cafAdmin), { organisationId: 'org-caf' }, 'an organisation admin sees its own organisation by default')
  t.equal(peopleListScope(cafAdmin, 'org-ddt'), 'forbidden')
  t.equal(peopleListScope(secretary), 'forbidden', 'a secretary or a referent lists nobody')

  const cafReferent = { organisationId: 'org-caf', role: 'referent' as const }
  t.equal(personRefusal(tic, { organisationId: 'org-ddt', role: 'referent' }, { organisationId: 'org-tic', role: 'network_admin' }), null)
  t.equal(personRefusal(cafAdmin, cafReferent, { ...cafReferent, role: 'org_admin' }), null)
  t.match(personRefusal(cafAdmin, { organisationId: 'org-ddt', role: 'referent' }), /votre organisation/)
  t.match(personRefusal(cafAdmin, cafReferent, { organisationId: 'org-ddt', role: 'referent' }), /votre organisation/, 'nor hand one to another organisation')
  t.match(personRefusal(cafAdmin, undefined, { organisationId: 'org-caf', role: 'network_admin' }), /mission TIC/, 'nor name a network admin')
  t.match(personRefusal(cafAdmin, { organisationId: 'org-caf', role: 'network_admin' }), /mission TIC/, 'nor touch one')
  t.match(personRefusal(secretary, undefined, cafReferent), /administrateurs/)
  t.equal(personReadRefusal(referent, { id: referent.personId, ...cafReferent }), null, 'everyone reads her own record')
  t.match(personReadRefusal(referent, { id: 'someone', ...cafReferent }), /administrateurs/)
})

t.test('mails, the SLA policy, the dashboard and the directory pages are the mission TIC’s; the people page an org admin’s', async (t) => {
  for (const a of ['mails.read', 'mails.resend', 'sla_policy.read', 'sla_policy.write', 'network.overview', 'directory.browse'] as const) t.same(only(a), ['network_admin'], a)
  t.same(only('organisation.people'), ['org_admin'])
  t.throws(() => authorizeRole(referent, 'network.overview'), /réservée à la mission TIC/)
  t.throws(() => authorizeRole(tic, 'organisation.people'), /réservée aux administrateurs d’organisme/)
})

t.test('everyone logged in reads her own account', async (t) => {
  for (const p of everyone) t.doesNotThrow(() => authorize(p, 'me.read', { personId: p.personId }))
  t.throws(() => authorize(referent, 'me.read', { personId: 'someone' }))
})

t.test('the table is well formed: every refusal is French and a role refused is forbidden', async (t) => {
  for (const action of ACTIONS) {
    const rule = ACCESS[action] as { who: object; refusal?: string }
    t.ok(Object.keys(rule.who).length > 0, `${action}: someone may`)
    if (rule.refusal) t.match(rule.refusal, /^[A-ZÀ-Ý].*\.$/, `${action}: a sentence`)
  }
  const err = t.throws(() => authorizeRole(secretary, 'mails.read'))
  t.match(err, { code: 'forbidden' })
})
