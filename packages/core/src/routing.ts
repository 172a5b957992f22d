/**
 * Routing: which organisation and which referent receive a referral, from the theme, the commune (with its EPCI
 * and département) and the directory's routing rules and coverage. Pure: the caller loads the rules, coverage and
 * people (with their count of open referrals) and passes `now`.
 *
 * 1. Rule: among the rules of the theme that match the commune and point at an `active` organisation (one still
 *    onboarding or suspended receives nothing: the next rule applies), the most specific territory wins
 *    (commune > EPCI > département); equally specific rules are taken in id order. No rule: the mission TIC's
 *    triage queue, nobody named.
 * 2. Referent within the rule's organisation, first available in this order:
 *    a. the rule's named person;
 *    b. the active referents whose coverage matches the theme and the commune, most specific coverage first,
 *       then fewest open referrals, then id;
 *    c. only when no referent of the organisation has matching coverage: every active referent, fewest open first;
 *    d. a colleague of the organisation who covers the theme on another territory, fewest open first;
 *    e. the organisation's admins, fewest open first.
 *    A candidate who is absent or whose address bounced is replaced by their backup when the backup is available
 *    (viaBackupOf records whom they stand in for), else the next candidate is tried. Nobody available: personId
 *    null, and the organisation's admins are told by the caller.
 */

export type TerritoryKind = 'commune' | 'epci' | 'departement'

export interface RoutingRuleInput {
  id: string
  themeId: string
  territoryKind: TerritoryKind
  territoryCode: string
  organisationId: string
  personId: string | null
  /** Only an active organisation receives referrals; absent means active. */
  organisationStatus?: 'onboarding' | 'active' | 'suspended'
}

export interface CoverageInput {
  organisationId: string
  personId: string | null
  themeId: string
  territoryKind: TerritoryKind
  territoryCode: string
}

export interface RoutingPerson {
  id: string
  organisationId: string
  role: 'secretary' | 'referent' | 'org_admin' | 'network_admin'
  active: boolean
  absentFrom: Date | null
  absentUntil: Date | null
  backupPersonId: string | null
  emailBouncedAt: Date | null
  openReferrals: number
}

export interface RoutingInput {
  themeId: string
  communeInsee: string
  epciCode: string | null
  departement: string
  rules: RoutingRuleInput[]
  coverage: CoverageInput[]
  people: RoutingPerson[]
  missionTicOrganisationId: string
  now: Date
  /** On a transfer "back to routing": rules pointing at these organisations are skipped. */
  excludeOrganisationIds?: string[]
}

export interface RoutingDecision {
  organisationId: string
  personId: string | null
  mode: 'rule' | 'triage'
  ruleId: string | null
  territoryKind: TerritoryKind | null
  viaBackupOf: string | null
  reason: string /* French, shown on the timeline */
}

/** Most specific first. */
export const TERRITORY_PRECEDENCE: readonly TerritoryKind[] = ['commune', 'epci', 'departement']

const TERRITORY_LABEL: Record<TerritoryKind, string> = { commune: 'commune', epci: 'intercommunalité', departement: 'département' }
const COVERAGE_LABEL = ['sur la commune', 'sur l’intercommunalité', 'sur le département']

/**
 * Absent when `now` is within [absentFrom, absentUntil). An open end means "since" or "until": only absentFrom set
 * is an absence with no planned return; only absentUntil set is an absence already under way.
 */
export function isAbsent(p: RoutingPerson, now: Date): boolean {
  if (!p.absentFrom && !p.absentUntil) return false
  const t = now.getTime()
  if (p.absentFrom && t < p.absentFrom.getTime()) return false
  if (p.absentUntil && t >= p.absentUntil.getTime()) return false
  return true
}

/** Can receive a referral right now: active, present, and reachable by email. */
export function isAvailable(p: RoutingPerson, now: Date): boolean {
  return p.active && !isAbsent(p, now) && !p.emailBouncedAt
}

/** The rank of a territory for this commune (0 = commune), or -1 when it does not contain it. */
function territoryRank(kind: TerritoryKind, code: string, input: RoutingInput): number {
  switch (kind) {
    case 'commune':
      return code === input.communeInsee ? 0 : -1
    case 'epci':
      return input.epciCode !== null && code === input.epciCode ? 1 : -1
    case 'departement':
      return code === input.departement ? 2 : -1
    default:
      return -1
  }
}

const byOpenThenId = (a: RoutingPerson, b: RoutingPerson) => a.openReferrals - b.openReferrals || compareIds(a.id, b.id)
const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

export function route(input: RoutingInput): RoutingDecision {
  const excluded = new Set(input.excludeOrganisationIds ?? [])
  const matching = input.rules
    .filter((r) => r.themeId === input.themeId && !excluded.has(r.organisationId) && (r.organisationStatus ?? 'active') === 'active')
    .map((r) => ({ rule: r, rank: territoryRank(r.territoryKind, r.territoryCode, input) }))
    .filter((m) => m.rank >= 0)
    .sort((a, b) => a.rank - b.rank || compareIds(a.rule.id, b.rule.id))

  if (matching.length === 0) {
    return {
      organisationId: input.missionTicOrganisationId,
      personId: null,
      mode: 'triage',
      ruleId: null,
      territoryKind: null,
      viaBackupOf: null,
      reason:
        excluded.size > 0
          ? 'Aucune autre règle de routage pour ce thème et cette commune : la saisine rejoint la file de tri de la mission TIC.'
          : 'Aucune règle de routage pour ce thème et cette commune : la saisine rejoint la file de tri de la mission TIC.',
    }
  }

  const { rule } = matching[0]
  const where = `Règle de routage (${TERRITORY_LABEL[rule.territoryKind]})`
  const decide = (personId: string | null, viaBackupOf: string | null, reason: string): RoutingDecision => ({
    organisationId: rule.organisationId,
    personId,
    mode: 'rule',
    ruleId: rule.id,
    territoryKind: rule.territoryKind,
    viaBackupOf,
    reason: `${where} : ${reason}`,
  })

  const people = new Map(input.people.map((p) => [p.id, p]))
  const inOrg = (p: RoutingPerson | undefined): p is RoutingPerson => p !== undefined && p.organisationId === rule.organisationId

  /** The candidate, their backup, or nobody. Backups come from the same organisation only (the directory's rule). */
  const resolve = (p: RoutingPerson): { person: RoutingPerson; viaBackupOf: string | null } | null => {
    if (isAvailable(p, input.now)) return { person: p, viaBackupOf: null }
    if (!p.active) return null // someone who left has no standing backup
    const backup = p.backupPersonId ? people.get(p.backupPersonId) : undefined
    if (inOrg(backup) && backup.id !== p.id && (backup.role === 'referent' || backup.role === 'org_admin') && isAvailable(backup, input.now)) {
      return { person: backup, viaBackupOf: p.id }
    }
    return null
  }
  const whyUnavailable = (p: RoutingPerson) => (p.emailBouncedAt ? 'injoignable (adresse e-mail en échec)' : 'absent')
  const load = (p: RoutingPerson) => `${p.openReferrals} saisine${p.openReferrals > 1 ? 's' : ''} en cours`

  let skipped = 0
  /** `label` names the candidate without article, e.g. 'référent désigné par la règle'. */
  const take = (p: RoutingPerson, label: string, prefix = ''): RoutingDecision | null => {
    const r = resolve(p)
    if (!r) {
      skipped++
      return null
    }
    const others = skipped > 0 ? ' ; les référents mieux placés sont indisponibles' : ''
    if (r.viaBackupOf) {
      return decide(r.person.id, r.viaBackupOf, `${prefix}le ${label} est ${whyUnavailable(p)} : la personne qui le supplée reçoit la saisine${others}.`)
    }
    return decide(r.person.id, null, `${prefix}${label} (${load(p)})${others}.`)
  }

  // a. The rule's named person.
  const named = rule.personId ? people.get(rule.personId) : undefined
  if (named && inOrg(named)) {
    const d = take(named, 'référent désigné par la règle')
    if (d) return d
  }

  // b. Referents whose coverage matches, most specific coverage first, then the least loaded.
  const referents = input.people.filter((p) => inOrg(p) && p.role === 'referent' && p.active)
  const bestCoverage = new Map<string, number>()
  for (const c of input.coverage) {
    if (c.themeId !== input.themeId || c.organisationId !== rule.organisationId || !c.personId) continue
    const rank = territoryRank(c.territoryKind, c.territoryCode, input)
    if (rank < 0) continue
    const previous = bestCoverage.get(c.personId)
    if (previous === undefined || rank < previous) bestCoverage.set(c.personId, rank)
  }
  const covering = referents
    .filter((p) => bestCoverage.has(p.id) && p.id !== named?.id)
    .sort((a, b) => bestCoverage.get(a.id)! - bestCoverage.get(b.id)! || byOpenThenId(a, b))
  for (const p of covering) {
    const d = take(p, `référent le moins chargé parmi ceux qui couvrent ce thème ${COVERAGE_LABEL[bestCoverage.get(p.id)!]}`)
    if (d) return d
  }

  // c. Nobody covers this theme here: any active referent of the organisation, the least loaded.
  if (!referents.some((p) => bestCoverage.has(p.id))) {
    for (const p of referents.filter((p) => p.id !== named?.id).sort(byOpenThenId)) {
      const d = take(p, 'référent de l’organisation le moins chargé', 'aucun référent ne couvre ce thème sur ce territoire ; ')
      if (d) return d
    }
  }

  // d. A present colleague who covers the theme elsewhere in the organisation's territory.
  const tried = new Set([named?.id, ...covering.map((p) => p.id)])
  skipped = 0 // the prefix says why we are here
  const coversTheme = new Set(input.coverage.filter((c) => c.themeId === input.themeId && c.organisationId === rule.organisationId && c.personId).map((c) => c.personId!))
  for (const p of referents.filter((p) => coversTheme.has(p.id) && !tried.has(p.id)).sort(byOpenThenId)) {
    const d = take(p, 'collègue qui couvre ce thème sur un autre territoire', 'aucun référent couvrant ce territoire n’est disponible ; ')
    if (d) return d
  }

  // e. The organisation's admins: someone answers for the organisation.
  const admins = input.people.filter((p) => inOrg(p) && p.role === 'org_admin' && isAvailable(p, input.now)).sort(byOpenThenId)
  if (admins.length) {
    return decide(admins[0].id, null, `aucun référent disponible pour ce thème : la saisine est confiée à l’administrateur de l’organisation (${load(admins[0])}).`)
  }

  return decide(null, null, 'aucun référent ni administrateur n’est disponible dans l’organisation : elle est prévenue par courriel.')
}
