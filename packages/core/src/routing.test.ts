import t from 'tap'
import { isAbsent, isAvailable, route, type CoverageInput, type RoutingDecision, type RoutingInput, type RoutingPerson, type RoutingRuleInput } from './routing.ts'

// A small network in the Indre: Ardentes (36005) and Étrechet (36071) share an EPCI; Issoudun (36088) is in another.
const NOW = new Date('2026-06-03T10:00:00+02:00')
const YESTERDAY = new Date('2026-06-02T10:00:00+02:00')
const TOMORROW = new Date('2026-06-04T10:00:00+02:00')
const ARDENTES = { communeInsee: '36005', epciCode: '200071595', departement: '36' }
const ETRECHET = { communeInsee: '36071', epciCode: '200071595', departement: '36' }
const ISSOUDUN = { communeInsee: '36088', epciCode: '243600277', departement: '36' }
const NO_EPCI = { communeInsee: '36999', epciCode: null, departement: '36' }
const BOURGES = { communeInsee: '18033', epciCode: '241800507', departement: '18' }

const LOGEMENT = 'theme-logement'
const URBANISME = 'theme-urbanisme'
const TIC = 'org-tic'
const CAF = 'org-caf'
const DDT = 'org-ddt'
const OPAC = 'org-opac'

const rule = (id: string, territoryKind: RoutingRuleInput['territoryKind'], territoryCode: string, organisationId: string, personId: string | null = null, themeId = LOGEMENT): RoutingRuleInput =>
  ({ id, themeId, territoryKind, territoryCode, organisationId, personId })
const cover = (personId: string | null, territoryKind: CoverageInput['territoryKind'], territoryCode: string, organisationId = CAF, themeId = LOGEMENT): CoverageInput =>
  ({ organisationId, personId, themeId, territoryKind, territoryCode })
const person = (id: string, over: Partial<RoutingPerson> = {}): RoutingPerson => ({
  id, organisationId: CAF, role: 'referent', active: true, absentFrom: null, absentUntil: null, backupPersonId: null, emailBouncedAt: null, openReferrals: 0, ...over,
})
const absent = { absentFrom: YESTERDAY, absentUntil: TOMORROW }
const bounced = { emailBouncedAt: YESTERDAY }

const territoryRules = [rule('r-dep', 'departement', '36', CAF), rule('r-epci', 'epci', '200071595', DDT), rule('r-com', 'commune', '36005', OPAC)]
const base = (over: Partial<RoutingInput> = {}): RoutingInput => ({
  themeId: LOGEMENT, ...ARDENTES, rules: [], coverage: [], people: [], missionTicOrganisationId: TIC, now: NOW, ...over,
})

t.test('which rule: the most specific territory wins', async (t) => {
  const cases: { name: string; input: RoutingInput; expect: Partial<RoutingDecision> }[] = [
    { name: 'commune rule beats EPCI and département', input: base({ rules: territoryRules }), expect: { organisationId: OPAC, mode: 'rule', ruleId: 'r-com', territoryKind: 'commune' } },
    { name: 'rules listed in another order: same answer', input: base({ rules: [...territoryRules].reverse() }), expect: { ruleId: 'r-com' } },
    { name: 'another commune of the EPCI: the EPCI rule', input: base({ ...ETRECHET, rules: territoryRules }), expect: { organisationId: DDT, ruleId: 'r-epci', territoryKind: 'epci' } },
    { name: 'a commune of another EPCI: the département rule', input: base({ ...ISSOUDUN, rules: territoryRules }), expect: { organisationId: CAF, ruleId: 'r-dep', territoryKind: 'departement' } },
    { name: 'a commune in no EPCI: the département rule', input: base({ ...NO_EPCI, rules: territoryRules }), expect: { ruleId: 'r-dep' } },
    { name: 'EPCI beats département', input: base({ rules: [rule('r-dep', 'departement', '36', CAF), rule('r-epci', 'epci', '200071595', DDT)] }), expect: { ruleId: 'r-epci' } },
    { name: 'two rules as specific: the first by id', input: base({ rules: [rule('r-b', 'commune', '36005', DDT), rule('r-a', 'commune', '36005', OPAC)] }), expect: { ruleId: 'r-a', organisationId: OPAC } },
    { name: 'a rule of another theme does not apply', input: base({ themeId: URBANISME, rules: [...territoryRules, rule('r-urba', 'departement', '36', DDT, null, URBANISME)] }), expect: { ruleId: 'r-urba', organisationId: DDT } },
    {
      name: 'transfer back to routing: the holder organisation is skipped',
      input: base({ rules: territoryRules, excludeOrganisationIds: [OPAC] }),
      expect: { organisationId: DDT, ruleId: 'r-epci' },
    },
    {
      name: 'an organisation still onboarding receives nothing: the next rule',
      input: base({ rules: [rule('r-dep', 'departement', '36', CAF), { ...rule('r-com', 'commune', '36005', OPAC), organisationStatus: 'onboarding' }] }),
      expect: { organisationId: CAF, ruleId: 'r-dep' },
    },
    {
      name: 'a suspended organisation receives nothing: the next rule',
      input: base({ rules: [rule('r-dep', 'departement', '36', CAF), { ...rule('r-epci', 'epci', '200071595', DDT), organisationStatus: 'suspended' }, { ...rule('r-com', 'commune', '36005', OPAC), organisationStatus: 'active' }] }),
      expect: { organisationId: OPAC, ruleId: 'r-com' },
    },
    {
      name: 'transfer back to routing, two organisations excluded',
      input: base({ rules: territoryRules, excludeOrganisationIds: [OPAC, DDT] }),
      expect: { organisationId: CAF, ruleId: 'r-dep' },
    },
  ]
  for (const c of cases) t.match(route(c.input), c.expect, c.name)
})

t.test('no matching rule: the mission TIC triage queue', async (t) => {
  const triage = { organisationId: TIC, personId: null, mode: 'triage', ruleId: null, territoryKind: null, viaBackupOf: null }
  const cases: { name: string; input: RoutingInput; reason: RegExp }[] = [
    { name: 'no rule at all', input: base(), reason: /^Aucune règle de routage/ },
    { name: 'a theme without rules', input: base({ themeId: URBANISME, rules: territoryRules }), reason: /file de tri de la mission TIC/ },
    { name: 'rules of another département only', input: base({ ...BOURGES, rules: territoryRules }), reason: /Aucune règle/ },
    { name: 'a commune rule elsewhere', input: base({ ...ISSOUDUN, rules: [rule('r-com', 'commune', '36005', OPAC)] }), reason: /Aucune règle/ },
    { name: 'the only matching organisation is onboarding', input: base({ rules: [{ ...rule('r-dep', 'departement', '36', CAF), organisationStatus: 'onboarding' }] }), reason: /^Aucune règle/ },
    { name: 'every matching organisation excluded', input: base({ rules: territoryRules, excludeOrganisationIds: [OPAC, DDT, CAF] }), reason: /^Aucune autre règle/ },
  ]
  for (const c of cases) {
    const d = route(c.input)
    t.match(d, triage, c.name)
    t.match(d.reason, c.reason, `${c.name}: reason`)
  }
})

t.test('which referent', async (t) => {
  const dep = rule('r-dep', 'departement', '36', CAF)
  const named = rule('r-dep', 'departement', '36', CAF, 'alice')
  type Case = { name: string; rule: RoutingRuleInput; people: RoutingPerson[]; coverage?: CoverageInput[]; expect: { personId: string | null; viaBackupOf?: string | null }; reason?: RegExp }
  const cases: Case[] = [
    {
      name: 'the rule names an available person: that person, however loaded',
      rule: named,
      people: [person('alice', { openReferrals: 9 }), person('bob')],
      coverage: [cover('bob', 'commune', '36005')],
      expect: { personId: 'alice', viaBackupOf: null },
      reason: /^Règle de routage \(département\) : référent désigné par la règle \(9 saisines en cours\)\.$/,
    },
    {
      name: 'the named person is absent: their backup takes it',
      rule: named,
      people: [person('alice', { ...absent, backupPersonId: 'carol' }), person('bob'), person('carol', { openReferrals: 4 })],
      coverage: [cover('bob', 'departement', '36')],
      expect: { personId: 'carol', viaBackupOf: 'alice' },
      reason: /le référent désigné par la règle est absent : la personne qui le supplée reçoit la saisine/,
    },
    {
      name: 'the named person’s address bounced: their backup takes it',
      rule: named,
      people: [person('alice', { ...bounced, backupPersonId: 'carol' }), person('carol')],
      expect: { personId: 'carol', viaBackupOf: 'alice' },
      reason: /adresse e-mail en échec/,
    },
    {
      name: 'an organisation admin may be the backup',
      rule: named,
      people: [person('alice', { ...absent, backupPersonId: 'dana' }), person('dana', { role: 'org_admin' })],
      expect: { personId: 'dana', viaBackupOf: 'alice' },
    },
    {
      name: 'named person and backup both absent: the next candidate, from coverage',
      rule: named,
      people: [person('alice', { ...absent, backupPersonId: 'carol' }), person('carol', absent), person('bob', { openReferrals: 2 })],
      coverage: [cover('bob', 'departement', '36')],
      expect: { personId: 'bob', viaBackupOf: null },
      reason: /les référents mieux placés sont indisponibles/,
    },
    {
      name: 'a backup from another organisation is not used',
      rule: named,
      people: [person('alice', { ...absent, backupPersonId: 'erin' }), person('erin', { organisationId: DDT }), person('bob')],
      expect: { personId: 'bob', viaBackupOf: null },
    },
    {
      name: 'a secretary cannot be a backup',
      rule: named,
      people: [person('alice', { ...absent, backupPersonId: 'sam' }), person('sam', { role: 'secretary' })],
      expect: { personId: null },
    },
    {
      name: 'a named person who left (inactive): the next candidate, not their backup',
      rule: named,
      people: [person('alice', { active: false, backupPersonId: 'carol' }), person('carol', { openReferrals: 3 }), person('bob', { openReferrals: 1 })],
      expect: { personId: 'bob', viaBackupOf: null },
    },
    {
      name: 'a rule naming someone of another organisation: ignored, routing goes on in the rule’s organisation',
      rule: rule('r-dep', 'departement', '36', CAF, 'erin'),
      people: [person('erin', { organisationId: DDT }), person('bob')],
      expect: { personId: 'bob' },
    },
    {
      name: 'coverage: the most specific coverage first, even if more loaded',
      rule: dep,
      people: [person('anne', { openReferrals: 0 }), person('ben', { openReferrals: 5 }), person('cleo', { openReferrals: 1 })],
      coverage: [cover('anne', 'departement', '36'), cover('ben', 'commune', '36005'), cover('cleo', 'epci', '200071595')],
      expect: { personId: 'ben' },
      reason: /référent le moins chargé parmi ceux qui couvrent ce thème sur la commune \(5 saisines en cours\)/,
    },
    {
      name: 'coverage: a person’s most specific line counts',
      rule: dep,
      people: [person('anne', { openReferrals: 0 }), person('ben', { openReferrals: 5 })],
      coverage: [cover('anne', 'departement', '36'), cover('ben', 'departement', '36'), cover('ben', 'epci', '200071595')],
      expect: { personId: 'ben' },
    },
    {
      name: 'coverage at the same level: the fewest open referrals',
      rule: dep,
      people: [person('anne', { openReferrals: 3 }), person('ben', { openReferrals: 1 }), person('cleo', { openReferrals: 2 })],
      coverage: [cover('anne', 'departement', '36'), cover('ben', 'departement', '36'), cover('cleo', 'departement', '36')],
      expect: { personId: 'ben' },
      reason: /sur le département \(1 saisine en cours\)/,
    },
    {
      name: 'coverage tie on open referrals: the smallest id, whatever the input order',
      rule: dep,
      people: [person('zoe', { openReferrals: 1 }), person('max', { openReferrals: 1 })],
      coverage: [cover('zoe', 'departement', '36'), cover('max', 'departement', '36')],
      expect: { personId: 'max' },
    },
    {
      name: 'the least loaded covering referent is absent: their backup takes it',
      rule: dep,
      people: [person('anne', { ...absent, backupPersonId: 'carol', openReferrals: 0 }), person('ben', { openReferrals: 1 }), person('carol', { openReferrals: 7 })],
      coverage: [cover('anne', 'departement', '36'), cover('ben', 'departement', '36')],
      expect: { personId: 'carol', viaBackupOf: 'anne' },
      reason: /le référent le moins chargé parmi ceux qui couvrent ce thème sur le département est absent/,
    },
    {
      name: 'the least loaded covering referent is absent with no backup: the next one',
      rule: dep,
      people: [person('anne', { ...absent, openReferrals: 0 }), person('ben', { openReferrals: 1 })],
      coverage: [cover('anne', 'departement', '36'), cover('ben', 'departement', '36')],
      expect: { personId: 'ben', viaBackupOf: null },
    },
    {
      name: 'coverage of another theme, territory or organisation does not count: any referent, the least loaded',
      rule: dep,
      people: [person('anne', { openReferrals: 2 }), person('ben', { openReferrals: 1 }), person('sam', { role: 'secretary' }), person('olga', { role: 'org_admin' }), person('ivan', { active: false })],
      coverage: [cover('anne', 'departement', '36', CAF, URBANISME), cover('anne', 'commune', '36088'), cover('anne', 'departement', '36', DDT), cover(null, 'departement', '36')],
      expect: { personId: 'ben' },
      reason: /aucun référent ne couvre ce thème sur ce territoire ; référent de l’organisation le moins chargé \(1 saisine en cours\)/,
    },
    {
      name: 'no coverage, the least loaded referent absent: their backup',
      rule: dep,
      people: [person('anne', { ...absent, backupPersonId: 'olga' }), person('ben', { openReferrals: 4 }), person('olga', { role: 'org_admin' })],
      expect: { personId: 'olga', viaBackupOf: 'anne' },
    },
    {
      name: 'covering referents all unavailable: nobody, even if a non-covering referent is present',
      rule: dep,
      people: [person('anne', absent), person('ben', bounced), person('zed')],
      coverage: [cover('anne', 'departement', '36'), cover('ben', 'departement', '36')],
      expect: { personId: null, viaBackupOf: null },
      reason: /aucun référent ni administrateur n’est disponible/,
    },
    {
      name: 'the covering referent is absent without backup: a present colleague covering the theme elsewhere',
      rule: dep,
      people: [person('anne', absent), person('ben', { openReferrals: 3 }), person('cleo', { openReferrals: 1 }), person('zed')],
      coverage: [cover('anne', 'commune', '36005'), cover('ben', 'commune', '36088'), cover('cleo', 'epci', '243600277'), cover('zed', 'departement', '36', CAF, URBANISME)],
      expect: { personId: 'cleo', viaBackupOf: null },
      reason: /aucun référent couvrant ce territoire n’est disponible ; collègue qui couvre ce thème sur un autre territoire \(1 saisine en cours\)\.$/,
    },
    {
      name: 'the colleague is absent too: their backup',
      rule: dep,
      people: [person('anne', absent), person('ben', { ...absent, backupPersonId: 'carol' }), person('carol')],
      coverage: [cover('anne', 'commune', '36005'), cover('ben', 'commune', '36088')],
      expect: { personId: 'carol', viaBackupOf: 'ben' },
    },
    {
      name: 'no present referent covers the theme: the organisation’s admin, the least loaded present one',
      rule: dep,
      people: [person('anne', absent), person('olga', { role: 'org_admin', openReferrals: 2 }), person('oscar', { role: 'org_admin', ...absent }), person('omar', { role: 'org_admin', openReferrals: 0, organisationId: DDT }), person('otto', { role: 'org_admin', openReferrals: 5 })],
      coverage: [cover('anne', 'departement', '36')],
      expect: { personId: 'olga', viaBackupOf: null },
      reason: /la saisine est confiée à l’administrateur de l’organisation \(2 saisines en cours\)/,
    },
    {
      name: 'nobody in the organisation: nobody named',
      rule: dep,
      people: [person('erin', { organisationId: DDT })],
      expect: { personId: null },
    },
    {
      name: 'only inactive referents: nobody named',
      rule: dep,
      people: [person('anne', { active: false }), person('ben', { active: false })],
      expect: { personId: null },
    },
    {
      name: 'an absence that starts tomorrow does not matter',
      rule: named,
      people: [person('alice', { absentFrom: TOMORROW, absentUntil: null, backupPersonId: 'carol' }), person('carol')],
      expect: { personId: 'alice', viaBackupOf: null },
    },
    {
      name: 'an absence that ended does not matter',
      rule: named,
      people: [person('alice', { absentFrom: null, absentUntil: NOW, backupPersonId: 'carol' }), person('carol')],
      expect: { personId: 'alice', viaBackupOf: null },
    },
  ]
  for (const c of cases) {
    const d = route(base({ rules: [c.rule], people: c.people, coverage: c.coverage ?? [] }))
    t.match(d, { organisationId: CAF, mode: 'rule', ruleId: 'r-dep', territoryKind: 'departement', ...c.expect }, c.name)
    if (c.reason) t.match(d.reason, c.reason, `${c.name}: reason`)
  }
})

t.test('isAbsent: now within [absentFrom, absentUntil)', async (t) => {
  const cases: [Date | null, Date | null, Date, boolean, string][] = [
    [null, null, NOW, false, 'no absence'],
    [YESTERDAY, TOMORROW, NOW, true, 'inside the period'],
    [NOW, TOMORROW, NOW, true, 'from is included'],
    [YESTERDAY, NOW, NOW, false, 'until is excluded'],
    [TOMORROW, null, NOW, false, 'starts later, no return date'],
    [YESTERDAY, null, NOW, true, 'started, no return date'],
    [null, TOMORROW, NOW, true, 'until tomorrow'],
    [null, YESTERDAY, NOW, false, 'ended yesterday'],
  ]
  for (const [absentFrom, absentUntil, now, expected, why] of cases) {
    t.equal(isAbsent(person('p', { absentFrom, absentUntil }), now), expected, why)
  }
  t.notOk(isAvailable(person('p', bounced), NOW), 'a bounced address is unavailable')
  t.notOk(isAvailable(person('p', { active: false }), NOW), 'an inactive person is unavailable')
  t.ok(isAvailable(person('p'), NOW))
})

t.test('routing is deterministic and does not change its input', async (t) => {
  const input = base({
    rules: territoryRules,
    people: [person('a', { organisationId: OPAC, openReferrals: 1 }), person('b', { organisationId: OPAC, openReferrals: 1 })],
  })
  const frozen = JSON.stringify(input)
  const first = route(input)
  t.match(first, { organisationId: OPAC, personId: 'a' })
  t.same(route({ ...input, people: [...input.people].reverse() }), first)
  t.equal(JSON.stringify(input), frozen)
})
